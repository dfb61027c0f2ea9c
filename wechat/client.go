package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"zsjc/cache"
	"zsjc/secure"
	"zsjc/service"
)

// The platform's hosts; every request to them goes through the rewriting
// transport, which sends it to the configured base instead.
const (
	DefaultAPIBase  = "https://api.weixin.qq.com"
	DefaultOpenBase = "https://open.weixin.qq.com"
)

// errcodes on which the client drops its token and retries once.
const (
	ErrCodeInvalidToken = 40001 // token not valid (another instance refreshed it, or revoked)
	ErrCodeTokenExpired = 42001
)

// Config configures a Client.
type Config struct {
	AppID  string
	Secret string
	// APIBase and OpenBase replace https://api.weixin.qq.com and
	// https://open.weixin.qq.com ("" keeps them).
	APIBase  string
	OpenBase string
	// Cache is shared by all instances (Redis in production): it holds the
	// access token, the jsapi_ticket and their refresh locks.
	Cache cache.Store
	// Transport carries the rewritten requests; nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	Log       *slog.Logger
}

// Client calls the platform for one official account. Its access token
// and jsapi_ticket are shared by every instance through the cache.
//
// The SDK's own handles (credential.DefaultAccessToken, DefaultJsTicket)
// serialise refreshes with a sync.Mutex, i.e. inside one process only
// (silenceper/wechat issues #790, #870): N instances would make N token
// requests per expiry, each invalidating the previous token. Ours refresh
// under a cache lock (SetNX + DelIfEqual) instead. The API calls themselves
// are written here too: the SDK's go through one package-global
// http.Client, take no context, and report errcodes as formatted strings,
// while we need a per-client host, deadlines, and the errcode to drop a
// stale token (40001/42001) and retry once.
type Client struct {
	appID, secret string
	openBase      string
	cache         cache.Store
	http          *http.Client
	log           *slog.Logger
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	if cfg.AppID == "" || cfg.Secret == "" {
		return nil, errors.New("wechat: AppID and secret are required")
	}
	if cfg.Cache == nil {
		return nil, errors.New("wechat: a cache is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	rt, err := NewRewriteTransport(cfg.APIBase, cfg.Transport)
	if err != nil {
		return nil, err
	}
	openBase := strings.TrimRight(cfg.OpenBase, "/")
	if openBase == "" {
		openBase = DefaultOpenBase
	}
	return &Client{appID: cfg.AppID, secret: cfg.Secret, openBase: openBase, cache: cfg.Cache,
		http: &http.Client{Transport: rt, Timeout: 10 * time.Second}, log: cfg.Log}, nil
}

// AppID is the account's AppID.
func (c *Client) AppID() string { return c.appID }

// HTTPClient is the client's rewriting HTTP client, for installing on the
// SDK (see cmd/zsjc menu push).
func (c *Client) HTTPClient() *http.Client { return c.http }

// RewriteTransport sends requests for api.weixin.qq.com to another base
// URL (a fake platform, a proxy), keeping path and query.
type RewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

// NewRewriteTransport rewrites to apiBase ("" or the default: no rewrite).
func NewRewriteTransport(apiBase string, next http.RoundTripper) (*RewriteTransport, error) {
	if next == nil {
		next = http.DefaultTransport
	}
	t := &RewriteTransport{next: next}
	if apiBase == "" || strings.TrimRight(apiBase, "/") == DefaultAPIBase {
		return t, nil
	}
	u, err := url.Parse(strings.TrimRight(apiBase, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wechat: API base %q is not an absolute http(s) URL", apiBase)
	}
	t.base = u
	return t, nil
}

// RoundTrip rewrites and forwards the request.
func (t *RewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.base == nil || req.URL.Host != "api.weixin.qq.com" {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = t.base.Scheme, t.base.Host, ""
	out.URL.Path = t.base.Path + req.URL.Path
	out.URL.RawPath = ""
	return t.next.RoundTrip(out)
}

// apiStatus is the errcode/errmsg every answer may carry.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s apiStatus) err() error {
	if s.ErrCode == 0 {
		return nil
	}
	return &APIError{Code: s.ErrCode, Msg: s.ErrMsg}
}

// status lets do() find the errcode in any answer type.
type statusCarrier interface{ status() apiStatus }

func (s apiStatus) status() apiStatus { return s }

// maxAnswer bounds what we read from the platform.
const maxAnswer = 1 << 20

// do sends one request to the platform (path on api.weixin.qq.com) and
// decodes the JSON answer into out, returning *APIError for an errcode.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, out statusCarrier) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("wechat %s: encode: %w", path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://api.weixin.qq.com"+path+"?"+query.Encode(), rd)
	if err != nil {
		return fmt.Errorf("wechat %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL carries the secret or a token: report the path only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("wechat %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wechat %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		return fmt.Errorf("wechat %s: decode answer: %w", path, err)
	}
	if err := out.status().err(); err != nil {
		return fmt.Errorf("wechat %s: %w", path, err)
	}
	return nil
}

// withToken runs call with the shared access token. When the platform
// says the token is invalid or expired, it drops that token (only if the
// cache still holds it: another instance may already have replaced it),
// takes a fresh one and retries once.
func (c *Client) withToken(ctx context.Context, call func(token string) error) error {
	tok, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = call(tok)
	var ae *APIError
	if !errors.As(err, &ae) || (ae.Code != ErrCodeInvalidToken && ae.Code != ErrCodeTokenExpired) {
		return err
	}
	c.log.Info("wechat access token refused; refreshing", "errcode", ae.Code)
	if _, derr := c.cache.DelIfEqual(ctx, c.tokenKey(), tok); derr != nil {
		return fmt.Errorf("drop stale access token: %w", derr)
	}
	if tok, err = c.shared(ctx, c.tokenKey(), c.fetchStableToken(tok)); err != nil {
		return err
	}
	return call(tok)
}

func (c *Client) tokenKey() string  { return "wechat:token:" + c.appID }
func (c *Client) ticketKey() string { return "wechat:ticket:" + c.appID }

// refreshMargin renews a credential this long before the platform's
// expiry, so no call goes out with a token about to lapse.
const refreshMargin = 5 * time.Minute

// AccessToken returns the account's access token, fetching one when none
// is cached; one instance at a time fetches (see shared).
//
// It is the stable token (POST /cgi-bin/stable_token): unlike
// /cgi-bin/token, another system calling the token endpoint for the same
// account (a menu tool, a 12309 connector) does not invalidate it, and
// asking again while it is valid returns the same token.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.shared(ctx, c.tokenKey(), c.fetchStableToken(""))
}

// forcedRefreshKey claims the one forced refresh allowed for a refused
// token, fleet-wide; forcedCountKey counts the day's forced refreshes.
func (c *Client) forcedRefreshKey(refused string) string {
	return "wechat:token:forced:" + c.appID + ":" + refused
}
func (c *Client) forcedCountKey(day string) string {
	return "wechat:token:forced-count:" + c.appID + ":" + day
}

// fetchStableToken asks for the stable token. refused is a token the
// platform has just refused (40001/42001), "" otherwise: when the platform
// still hands out that same token, one forced refresh replaces it — at
// most once per refused token across the fleet, since the platform allows
// only a few forced refreshes a day; each is logged with the day's count.
func (c *Client) fetchStableToken(refused string) func(context.Context) (string, int, error) {
	return func(ctx context.Context) (string, int, error) {
		tok, expiresIn, err := c.stableToken(ctx, false)
		if err != nil || refused == "" || tok != refused {
			return tok, expiresIn, err
		}
		won, err := c.cache.SetNX(ctx, c.forcedRefreshKey(refused), "1", forcedClaimTTL)
		if err != nil || !won {
			return tok, expiresIn, err
		}
		n, _ := c.cache.Incr(ctx, c.forcedCountKey(time.Now().UTC().Format("2006-01-02")), 48*time.Hour)
		c.log.Warn("wechat access token refused while still current; forcing a refresh", "forced_today", n)
		return c.stableToken(ctx, true)
	}
}

// forcedClaimTTL outlives the token a forced refresh replaces (two hours).
const forcedClaimTTL = 3 * time.Hour

func (c *Client) stableToken(ctx context.Context, force bool) (string, int, error) {
	var ans struct {
		apiStatus
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	body := map[string]any{"grant_type": "client_credential", "appid": c.appID, "secret": c.secret, "force_refresh": force}
	if err := c.do(ctx, http.MethodPost, "/cgi-bin/stable_token", nil, body, &ans); err != nil {
		return "", 0, err
	}
	return ans.AccessToken, ans.ExpiresIn, nil
}

// JSTicket returns the account's jsapi_ticket (service.JSTicketSource),
// shared like the access token.
func (c *Client) JSTicket(ctx context.Context) (string, error) {
	return c.shared(ctx, c.ticketKey(), func(ctx context.Context) (string, int, error) {
		var ans struct {
			apiStatus
			Ticket    string `json:"ticket"`
			ExpiresIn int    `json:"expires_in"`
		}
		err := c.withToken(ctx, func(token string) error {
			q := url.Values{"access_token": {token}, "type": {"jsapi"}}
			return c.do(ctx, http.MethodGet, "/cgi-bin/ticket/getticket", q, nil, &ans)
		})
		return ans.Ticket, ans.ExpiresIn, err
	})
}

// Lock timing of shared: how long a refresher may hold the lock, and how
// often the others look whether it is done.
const (
	refreshLockTTL = 15 * time.Second
	refreshPoll    = 25 * time.Millisecond
	refreshWait    = 10 * time.Second
)

// shared returns the cached value of key or, when it is missing, lets one
// instance of the fleet fetch it: the one that wins SetNX on key+":lock"
// looks again (another may have just finished), fetches, stores the value
// for its lifetime less refreshMargin and releases the lock if it still
// owns it; the others poll the cache until the value appears.
func (c *Client) shared(ctx context.Context, key string, fetch func(context.Context) (string, int, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshWait)
	defer cancel()
	lockKey, owner := key+":lock", secure.Token(12)
	for {
		v, err := c.cache.Get(ctx, key)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, cache.ErrMiss) {
			return "", fmt.Errorf("read %s: %w", key, err)
		}
		won, err := c.cache.SetNX(ctx, lockKey, owner, refreshLockTTL)
		if err != nil {
			return "", fmt.Errorf("lock %s: %w", key, err)
		}
		if won {
			return c.refresh(ctx, key, lockKey, owner, fetch)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for %s refresh: %w", key, ctx.Err())
		case <-time.After(refreshPoll):
		}
	}
}

// refresh runs while holding the lock of key.
func (c *Client) refresh(ctx context.Context, key, lockKey, owner string, fetch func(context.Context) (string, int, error)) (string, error) {
	defer func() {
		// Released even when ctx has ended, so others need not wait out the TTL.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if _, err := c.cache.DelIfEqual(rctx, lockKey, owner); err != nil {
			c.log.Warn("release wechat refresh lock", "key", lockKey, "err", err)
		}
	}()
	if v, err := c.cache.Get(ctx, key); err == nil {
		return v, nil
	}
	v, expiresIn, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", fmt.Errorf("refresh %s: the platform answered no value", key)
	}
	ttl := time.Duration(expiresIn)*time.Second - refreshMargin
	if ttl < time.Minute {
		ttl = time.Minute
	}
	if err := c.cache.Set(ctx, key, v, ttl); err != nil {
		return "", fmt.Errorf("store %s: %w", key, err)
	}
	c.log.Info("wechat credential refreshed", "key", key, "ttl_s", int(ttl.Seconds()))
	return v, nil
}

// SendTemplate sends a template message and returns WeChat's msgid; an
// errcode comes back as *APIError (43004: not following, final; 45009:
// quota, back off). ClientMsgID makes a resend not show twice.
func (c *Client) SendTemplate(ctx context.Context, m TemplateMessage) (int64, error) {
	body := message.TemplateMessage{ToUser: m.ToUser, TemplateID: m.TemplateID, URL: m.URL,
		Data: make(map[string]*message.TemplateDataItem, len(m.Data)), ClientMsgID: m.ClientMsgID}
	for k, v := range m.Data {
		body.Data[k] = &message.TemplateDataItem{Value: v}
	}
	var ans struct {
		apiStatus
		MsgID int64 `json:"msgid"`
	}
	err := c.withToken(ctx, func(token string) error {
		ans.apiStatus = apiStatus{}
		return c.do(ctx, http.MethodPost, "/cgi-bin/message/template/send", url.Values{"access_token": {token}}, body, &ans)
	})
	if err != nil {
		return 0, err
	}
	return ans.MsgID, nil
}

// ErrCodeSubscribeRefused answers a subscribe notice to a user who has not
// accepted (or has since refused) its template.
const ErrCodeSubscribeRefused = 43101

// SendSubscribe sends a subscribe notice (POST
// /cgi-bin/message/subscribe/bizsend) and returns the msgid the platform
// answers with (0 when it gives none); the delivery report
// (subscribe_msg_sent_event) carries the same id. 43101: the user has not
// accepted this template.
func (c *Client) SendSubscribe(ctx context.Context, m SubscribeMessage) (int64, error) {
	type item struct {
		Value string `json:"value"`
	}
	body := struct {
		ToUser     string          `json:"touser"`
		TemplateID string          `json:"template_id"`
		Page       string          `json:"page,omitempty"`
		Data       map[string]item `json:"data"`
	}{ToUser: m.ToUser, TemplateID: m.TemplateID, Page: m.Page, Data: make(map[string]item, len(m.Data))}
	for k, v := range m.Data {
		body.Data[k] = item{Value: v}
	}
	var ans struct {
		apiStatus
		MsgID int64 `json:"msgid"`
	}
	err := c.withToken(ctx, func(token string) error {
		ans.apiStatus = apiStatus{}
		return c.do(ctx, http.MethodPost, "/cgi-bin/message/subscribe/bizsend", url.Values{"access_token": {token}}, body, &ans)
	})
	if err != nil {
		return 0, err
	}
	return ans.MsgID, nil
}

// templateField finds the fields in a template's content
// ("案件名称：{{thing1.DATA}}").
var templateField = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.DATA\s*\}\}`)

// TemplateFields lists the fields of the account's templates by template
// id, read from their content: template messages
// (GET /cgi-bin/template/get_all_private_template) and, with subscribe,
// subscribe-notice templates too (GET /wxaapi/newtmpl/gettemplate).
func (c *Client) TemplateFields(ctx context.Context, subscribe bool) (map[string][]string, error) {
	var tpl struct {
		apiStatus
		List []struct {
			TemplateID string `json:"template_id"`
			Content    string `json:"content"`
		} `json:"template_list"`
	}
	err := c.withToken(ctx, func(token string) error {
		tpl.apiStatus = apiStatus{}
		return c.do(ctx, http.MethodGet, "/cgi-bin/template/get_all_private_template", url.Values{"access_token": {token}}, nil, &tpl)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(tpl.List))
	for _, t := range tpl.List {
		out[t.TemplateID] = fieldsOf(t.Content)
	}
	if !subscribe {
		return out, nil
	}
	var sub struct {
		apiStatus
		Data []struct {
			ID      string `json:"priTmplId"`
			Content string `json:"content"`
		} `json:"data"`
	}
	err = c.withToken(ctx, func(token string) error {
		sub.apiStatus = apiStatus{}
		return c.do(ctx, http.MethodGet, "/wxaapi/newtmpl/gettemplate", url.Values{"access_token": {token}}, nil, &sub)
	})
	if err != nil {
		return nil, err
	}
	for _, t := range sub.Data {
		out[t.ID] = fieldsOf(t.Content)
	}
	return out, nil
}

func fieldsOf(content string) []string {
	var fields []string
	for _, m := range templateField.FindAllStringSubmatch(content, -1) {
		fields = append(fields, m[1])
	}
	return fields
}

// AuthCodeURL is the OAuth page (snsapi_base: openid only, no prompt) the
// browser goes to; WeChat sends it back to redirectURI with code and state.
func (c *Client) AuthCodeURL(redirectURI, state string) string {
	// WeChat wants the parameters in this order and the fragment.
	return c.openBase + "/connect/oauth2/authorize?appid=" + url.QueryEscape(c.appID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=snsapi_base&state=" +
		url.QueryEscape(state) + "#wechat_redirect"
}

// Exchange trades an OAuth code for the user's identity. A used or unknown
// code answers *APIError 40163/40029.
func (c *Client) Exchange(ctx context.Context, code string) (service.OAuthIdentity, error) {
	var ans struct {
		apiStatus
		OpenID  string `json:"openid"`
		UnionID string `json:"unionid"`
	}
	q := url.Values{"appid": {c.appID}, "secret": {c.secret}, "code": {code}, "grant_type": {"authorization_code"}}
	if err := c.do(ctx, http.MethodGet, "/sns/oauth2/access_token", q, nil, &ans); err != nil {
		return service.OAuthIdentity{}, err
	}
	if ans.OpenID == "" {
		return service.OAuthIdentity{}, errors.New("wechat oauth: the platform answered no openid")
	}
	return service.OAuthIdentity{OpenID: ans.OpenID, UnionID: ans.UnionID}, nil
}

var (
	_ service.OAuth          = (*Client)(nil)
	_ service.JSTicketSource = (*Client)(nil)
)
