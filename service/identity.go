package service

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/secure"
)

// OAuthStateTTL is how long a login started at /h5/login may take to come
// back from WeChat's authorize page.
const OAuthStateTTL = 10 * time.Minute

// DefaultNext is where a login lands when no page was asked for.
const DefaultNext = "/h5/"

// Login errors of WeChat users.
var (
	ErrLoginState = model.NewError(model.KindBadRequest, "login_state_invalid",
		"登录链接已失效、已被使用或不是在本浏览器中打开的，请返回页面重新进入")
	ErrLoginCode = model.NewError(model.KindBadRequest, "login_code_invalid",
		"微信授权码无效或已过期，请返回页面重新进入")
	ErrLoginNext = model.Invalid(map[string]string{"next": "跳转地址须为本站页面路径（以单个 / 开头）"})
	// ErrDevLoginOff hides the dev login wherever it is not allowed.
	ErrDevLoginOff  = model.NewError(model.KindNotFound, "not_found", "未找到该页面或接口")
	ErrOAuthMissing = model.NewError(model.KindUnavailable, "wechat_not_configured", "微信登录未配置，请联系管理员")
	errOpenIDFormat = model.Invalid(map[string]string{"openid": "openid 须为 1–64 位字母、数字、_ 或 -"})
)

// SafeNext returns next if it is a path on this site, "" otherwise. It
// refuses anything a browser could read as another host: "//host",
// "/\host" (browsers treat \ as /), schemes, and control characters
// (browsers strip tabs and newlines, so "/\t/host" is "//host"). A page
// path may carry its own next (/h5/profile?next=…), which the page follows
// later: every next nested in it, at any depth, must be safe too. This is
// the one rule; pages follow only a next the server returned.
func SafeNext(next string) string {
	if next == "" || len(next) > 1024 || next[0] != '/' || strings.ContainsAny(next, "\\") {
		return ""
	}
	if len(next) > 1 && next[1] == '/' {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	for _, nested := range u.Query()["next"] {
		if SafeNext(nested) == "" {
			return ""
		}
	}
	return next
}

// loginState is what a pending OAuth login keeps in the cache under its
// state: the page to return to, the hash of the browser's binding cookie,
// and when it lapses (unix seconds, on the service clock).
type loginState struct {
	Next    string `json:"next"`
	Browser string `json:"browser"`
	Until   int64  `json:"until"`
}

func loginStateKey(state string) string { return "oauth:state:" + state }

// LoginStart is a WeChat login on its way to the authorize page.
type LoginStart struct {
	// AuthURL is WeChat's authorize page for this login.
	AuthURL string
	// BrowserKey goes into a cookie of the browser that started the login;
	// the callback is only accepted with it.
	BrowserKey string
}

// StartLogin begins a WeChat (snsapi_base) login that returns to next, a
// path on this site ("" for the home page). redirectURI is the absolute
// callback URL WeChat sends the browser back to.
func (s *Service) StartLogin(ctx context.Context, next, redirectURI string) (LoginStart, error) {
	if s.oauth == nil {
		return LoginStart{}, ErrOAuthMissing
	}
	if next == "" {
		next = DefaultNext
	}
	if SafeNext(next) == "" {
		return LoginStart{}, ErrLoginNext
	}
	state, browser := secure.Token(24), secure.Token(24)
	raw, err := json.Marshal(loginState{Next: next, Browser: s.sealer.Hash(browser),
		Until: s.Now().Add(OAuthStateTTL).Unix()})
	if err != nil {
		return LoginStart{}, fmt.Errorf("encode login state: %w", err)
	}
	if err := s.cache.Set(ctx, loginStateKey(state), string(raw), OAuthStateTTL); err != nil {
		return LoginStart{}, fmt.Errorf("store login state: %w", unavailable(err))
	}
	return LoginStart{AuthURL: s.oauth.AuthCodeURL(redirectURI, state), BrowserKey: browser}, nil
}

// FinishLogin completes a login at the OAuth callback: it consumes the
// state (once, and only from the browser that started it), exchanges the
// code, records the user and opens a session. It returns the session id
// and the page to go to.
func (s *Service) FinishLogin(ctx context.Context, state, browserKey, code string) (sessionID, next string, err error) {
	if s.oauth == nil {
		return "", "", ErrOAuthMissing
	}
	if state == "" || len(state) > 64 || browserKey == "" {
		return "", "", ErrLoginState
	}
	key := loginStateKey(state)
	raw, err := s.cache.Get(ctx, key)
	if errors.Is(err, cache.ErrMiss) {
		return "", "", ErrLoginState
	}
	if err != nil {
		return "", "", fmt.Errorf("load login state: %w", unavailable(err))
	}
	var ls loginState
	if json.Unmarshal([]byte(raw), &ls) != nil || s.Now().Unix() >= ls.Until ||
		subtle.ConstantTimeCompare([]byte(ls.Browser), []byte(s.sealer.Hash(browserKey))) != 1 {
		return "", "", ErrLoginState
	}
	// Single use: of concurrent callbacks with one state, one deletes it.
	won, err := s.cache.DelIfEqual(ctx, key, raw)
	if err != nil {
		return "", "", fmt.Errorf("consume login state: %w", unavailable(err))
	}
	if !won {
		return "", "", ErrLoginState
	}
	if code == "" || len(code) > 512 {
		return "", "", ErrLoginCode
	}
	id, err := s.oauth.Exchange(ctx, code)
	if err != nil {
		var platform interface{ ErrCode() int }
		if errors.As(err, &platform) {
			s.log.Info("oauth code refused", "errcode", platform.ErrCode())
			return "", "", ErrLoginCode
		}
		return "", "", fmt.Errorf("exchange oauth code: %w", unavailable(err))
	}
	if id.OpenID == "" {
		return "", "", fmt.Errorf("exchange oauth code: platform returned no openid: %w", model.ErrUnavailable)
	}
	sid, err := s.loginWeChatUser(ctx, id)
	return sid, ls.Next, err
}

// DevLoginAllowed reports whether the sandbox login is on: only in dev
// mode and only while no WeChat credentials are configured.
func (s *Service) DevLoginAllowed() bool { return s.opt.Dev && s.opt.SandboxWeChat }

// DevLogin opens a session as the test user openid, in the sandbox only,
// and returns the session id and the page to go to.
func (s *Service) DevLogin(ctx context.Context, openid, next string) (sessionID, to string, err error) {
	if !s.DevLoginAllowed() {
		return "", "", ErrDevLoginOff
	}
	if next == "" {
		next = DefaultNext
	}
	if SafeNext(next) == "" {
		return "", "", ErrLoginNext
	}
	if !validOpenID(openid) {
		return "", "", errOpenIDFormat
	}
	sid, err := s.loginWeChatUser(ctx, OAuthIdentity{OpenID: openid})
	return sid, next, err
}

func validOpenID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// loginWeChatUser records the user (first visit, or a unionid learnt
// since) and opens an H5 session.
func (s *Service) loginWeChatUser(ctx context.Context, id OAuthIdentity) (string, error) {
	u, err := s.upsertWeChatUser(ctx, id)
	if err != nil {
		return "", err
	}
	return s.NewUserSession(ctx, u)
}

// upsertWeChatUser finds or creates the user by openid. Two first logins
// racing for one openid both end with the one row the unique index allows.
func (s *Service) upsertWeChatUser(ctx context.Context, id OAuthIdentity) (model.WeChatUser, error) {
	var u model.WeChatUser
	db := s.db.WithContext(ctx)
	err := db.Where("open_id = ?", id.OpenID).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		u = model.WeChatUser{OpenID: id.OpenID, UnionID: id.UnionID}
		err = db.Create(&u).Error
		if model.IsDuplicate(err) {
			err = db.Where("open_id = ?", id.OpenID).Take(&u).Error
		}
	}
	if err != nil {
		return model.WeChatUser{}, fmt.Errorf("record wechat user: %w", err)
	}
	if id.UnionID != "" && u.UnionID != id.UnionID {
		if err := db.Model(&u).Update("union_id", id.UnionID).Error; err != nil {
			return model.WeChatUser{}, fmt.Errorf("record unionid of user %d: %w", u.ID, err)
		}
	}
	return u, nil
}
