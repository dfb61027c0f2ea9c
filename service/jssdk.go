package service

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"zsjc/model"
	"zsjc/secure"
)

// JSSDKConfig is what a page passes to wx.config.
type JSSDKConfig struct {
	AppID     string `json:"app_id"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonce_str"`
	Signature string `json:"signature"`
	URL       string `json:"url"`
}

var errJSSDKURL = model.Invalid(map[string]string{"url": "只能为本站（ZSJC_PUBLIC_URL）下的页面签名"})

// JSSDKConfig signs the JS-SDK configuration for the page at pageURL,
// which must lie under the public URL: the ticket is the account's, and
// signing for foreign pages would lend them our identity.
func (s *Service) JSSDKConfig(ctx context.Context, pageURL string) (JSSDKConfig, error) {
	page, ok := underPublicURL(s.opt.PublicURL, pageURL)
	if !ok {
		return JSSDKConfig{}, errJSSDKURL
	}
	if s.ticket == nil {
		return JSSDKConfig{}, ErrOAuthMissing
	}
	ticket, err := s.ticket.JSTicket(ctx)
	if err != nil {
		return JSSDKConfig{}, fmt.Errorf("jsapi ticket: %w", unavailable(err))
	}
	cfg := JSSDKConfig{AppID: s.opt.AppID, Timestamp: s.Now().Unix(), NonceStr: secure.Token(12), URL: page}
	cfg.Signature = SignJSSDK(ticket, cfg.NonceStr, cfg.Timestamp, page)
	return cfg, nil
}

// SignJSSDK is WeChat's JS-SDK signature: the hex SHA-1 of
// "jsapi_ticket=T&noncestr=N&timestamp=TS&url=U".
func SignJSSDK(ticket, nonce string, timestamp int64, pageURL string) string {
	sum := sha1.Sum(fmt.Appendf(nil, "jsapi_ticket=%s&noncestr=%s&timestamp=%d&url=%s", ticket, nonce, timestamp, pageURL))
	return hex.EncodeToString(sum[:])
}

// underPublicURL checks that page has the public URL's scheme and host and
// lies under its path, and returns page without its #fragment (WeChat
// signs the URL without it).
func underPublicURL(public, page string) (string, bool) {
	if public == "" || page == "" || len(page) > 2048 {
		return "", false
	}
	base, err := url.Parse(public)
	if err != nil {
		return "", false
	}
	page, _, _ = strings.Cut(page, "#")
	u, err := url.Parse(page)
	if err != nil || u.User != nil || !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return "", false
	}
	if slices.Contains(strings.Split(u.Path, "/"), "..") {
		return "", false
	}
	prefix := strings.TrimSuffix(base.Path, "/") + "/"
	if u.Path != strings.TrimSuffix(prefix, "/") && !strings.HasPrefix(u.Path, prefix) {
		return "", false
	}
	return page, true
}
