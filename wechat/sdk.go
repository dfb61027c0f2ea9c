package wechat

import (
	"context"
	"fmt"
	"time"

	sdkcache "github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	sdkconfig "github.com/silenceper/wechat/v2/officialaccount/config"

	"zsjc/cache"
)

// SDKCache adapts our cache.Store (go-redis v9 in production) to the SDK's
// cache.Cache, so whatever the SDK caches is shared by the fleet. The SDK
// caches strings (tokens, tickets); other values are stored with %v.
type SDKCache struct {
	Store cache.Store
	// Timeout bounds the calls made without a context.
	Timeout time.Duration
}

var _ sdkcache.ContextCache = SDKCache{}

func (a SDKCache) ctx() (context.Context, context.CancelFunc) {
	d := a.Timeout
	if d <= 0 {
		d = 3 * time.Second
	}
	return context.WithTimeout(context.Background(), d)
}

// GetContext returns the string stored under key, nil when missing.
func (a SDKCache) GetContext(ctx context.Context, key string) any {
	v, err := a.Store.Get(ctx, key)
	if err != nil {
		return nil
	}
	return v
}

// SetContext stores val for timeout.
func (a SDKCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	s, ok := val.(string)
	if !ok {
		s = fmt.Sprint(val)
	}
	return a.Store.Set(ctx, key, s, timeout)
}

// IsExistContext reports whether key holds a value.
func (a SDKCache) IsExistContext(ctx context.Context, key string) bool {
	_, err := a.Store.Get(ctx, key)
	return err == nil
}

// DeleteContext removes key.
func (a SDKCache) DeleteContext(ctx context.Context, key string) error {
	return a.Store.Del(ctx, key)
}

// Get is GetContext without a context.
func (a SDKCache) Get(key string) any {
	ctx, cancel := a.ctx()
	defer cancel()
	return a.GetContext(ctx, key)
}

// Set is SetContext without a context.
func (a SDKCache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := a.ctx()
	defer cancel()
	return a.SetContext(ctx, key, val, timeout)
}

// IsExist is IsExistContext without a context.
func (a SDKCache) IsExist(key string) bool {
	ctx, cancel := a.ctx()
	defer cancel()
	return a.IsExistContext(ctx, key)
}

// Delete is DeleteContext without a context.
func (a SDKCache) Delete(key string) error {
	ctx, cancel := a.ctx()
	defer cancel()
	return a.DeleteContext(ctx, key)
}

// sdkTokenHandle gives the SDK our fleet-wide access token
// (credential.AccessTokenContextHandle).
type sdkTokenHandle struct{ c *Client }

func (h sdkTokenHandle) GetAccessToken() (string, error) {
	return h.GetAccessTokenContext(context.Background())
}

func (h sdkTokenHandle) GetAccessTokenContext(ctx context.Context) (string, error) {
	return h.c.AccessToken(ctx)
}

// OfficialAccount is the SDK's account API for the features we do not
// write ourselves (menus, users, materials), sharing our cache and our
// fleet-wide access token. Its HTTP calls go through the SDK's
// package-global client: cmd installs HTTPClient() there.
func (c *Client) OfficialAccount(token, encodingAESKey string) *officialaccount.OfficialAccount {
	oa := officialaccount.NewOfficialAccount(&sdkconfig.Config{AppID: c.appID, AppSecret: c.secret,
		Token: token, EncodingAESKey: encodingAESKey, Cache: SDKCache{Store: c.cache}})
	oa.SetAccessTokenHandle(sdkTokenHandle{c})
	return oa
}
