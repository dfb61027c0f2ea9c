package handler_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

const publicURL = "https://zsjc.example.gov.cn"

func newOAuthEnv(t *testing.T) *handlertest.Env {
	return handlertest.New(t, handlertest.WithPlatform(wechattest.New()), handlertest.WithPublicURL(publicURL))
}

func cookiesOf(r handlertest.Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// browser is one browser's cookie for a pending login.
type browser struct{ oauth *http.Cookie }

// startLogin opens /h5/login?next= and returns the browser and the
// authorize URL it was sent to.
func startLogin(t *testing.T, env *handlertest.Env, next string) (browser, *url.URL) {
	t.Helper()
	r := env.Do(handlertest.Anonymous, http.MethodGet, "/h5/login?next="+url.QueryEscape(next), nil)
	if r.Code != http.StatusFound {
		t.Fatalf("login: %d %s", r.Code, r.Body)
	}
	c := cookiesOf(r)["zsjc_oauth"]
	if c == nil || c.Value == "" {
		t.Fatal("login set no browser cookie")
	}
	auth, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return browser{oauth: c}, auth
}

// authorize plays the WeChat authorize page as openid and returns the
// callback path (with code and state) it sends the browser back to.
func authorize(t *testing.T, env *handlertest.Env, auth *url.URL, openid string) string {
	t.Helper()
	if !strings.HasPrefix(auth.String(), env.PlatformURL+"/connect/oauth2/authorize?") {
		t.Fatalf("sent to %s, not the platform's authorize page", auth)
	}
	if q := auth.Query(); q.Get("scope") != "snsapi_base" || q.Get("redirect_uri") != publicURL+"/auth/wechat/callback" ||
		q.Get("appid") != env.Platform.AppID() || q.Get("state") == "" {
		t.Fatalf("authorize URL %s", auth)
	}
	page := *auth
	page.Fragment = ""
	q := page.Query()
	q.Set("openid", openid) // the fake page's way to say who logs in
	page.RawQuery = q.Encode()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(page.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize page: %d %v", resp.StatusCode, err)
	}
	return back.RequestURI()
}

// callback sends the browser back to our callback with its cookie (nil: none).
func callback(env *handlertest.Env, b *http.Cookie, path string) handlertest.Response {
	return env.Do(handlertest.Caller{Cookie: b}, http.MethodGet, path, nil)
}

func userCaller(r handlertest.Response) handlertest.Caller {
	return handlertest.Caller{Cookie: cookiesOf(r)["zsjc_session"]}
}

func assertNoSession(t *testing.T, r handlertest.Response, wantCode int, wantError string) {
	t.Helper()
	if r.Code != wantCode || r.ErrorCode() != wantError {
		t.Errorf("got %d %s, want %d %s", r.Code, r.Body, wantCode, wantError)
	}
	if c := cookiesOf(r)["zsjc_session"]; c != nil && c.MaxAge >= 0 {
		t.Errorf("a session cookie was set: %v", c)
	}
}

func TestOAuthLoginFlow(t *testing.T) {
	env := newOAuthEnv(t)
	b, auth := startLogin(t, env, "/h5/cases/7?tab=docs")
	if !b.oauth.HttpOnly || !b.oauth.Secure || b.oauth.SameSite != http.SameSiteLaxMode {
		t.Errorf("browser cookie %+v: want HttpOnly, Secure, SameSite=Lax", b.oauth)
	}
	r := callback(env, b.oauth, authorize(t, env, auth, "o-lawyer-1"))
	if r.Code != http.StatusFound || r.Header.Get("Location") != "/h5/cases/7?tab=docs" {
		t.Fatalf("callback: %d to %q %s", r.Code, r.Header.Get("Location"), r.Body)
	}
	sess := cookiesOf(r)["zsjc_session"]
	if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax", sess)
	}
	if c := cookiesOf(r)["zsjc_oauth"]; c == nil || c.MaxAge >= 0 {
		t.Errorf("the browser cookie was not cleared: %+v", c)
	}
	var u model.WeChatUser
	if err := env.DB.Where("open_id = ?", "o-lawyer-1").Take(&u).Error; err != nil {
		t.Fatalf("user not recorded: %v", err)
	}
	me := env.Do(handlertest.Caller{Cookie: sess}, http.MethodGet, "/api/h5/me", nil)
	var body struct {
		ID     uint64 `json:"id"`
		Lawyer any    `json:"lawyer"`
	}
	me.JSON(t, &body)
	if me.Code != http.StatusOK || body.ID != u.ID || body.Lawyer != nil {
		t.Fatalf("me: %d %s (user %d)", me.Code, me.Body, u.ID)
	}

	// A second login of the same user finds the same row.
	b2, auth2 := startLogin(t, env, "")
	r2 := callback(env, b2.oauth, authorize(t, env, auth2, "o-lawyer-1"))
	if r2.Code != http.StatusFound || r2.Header.Get("Location") != service.DefaultNext {
		t.Fatalf("second login: %d %q", r2.Code, r2.Header.Get("Location"))
	}
	var n int64
	env.DB.Model(&model.WeChatUser{}).Where("open_id = ?", "o-lawyer-1").Count(&n)
	if n != 1 {
		t.Errorf("%d user rows for one openid", n)
	}
}

func TestOAuthStateIsSingleUse(t *testing.T) {
	env := newOAuthEnv(t)
	b, auth := startLogin(t, env, "/h5/")
	back := authorize(t, env, auth, "o-1")
	if r := callback(env, b.oauth, back); r.Code != http.StatusFound {
		t.Fatalf("first callback: %d %s", r.Code, r.Body)
	}
	assertNoSession(t, callback(env, b.oauth, back), http.StatusBadRequest, "login_state_invalid")

	// The same state with a fresh code from the platform is refused too.
	q, _ := url.ParseQuery(strings.SplitN(back, "?", 2)[1])
	fresh := "/auth/wechat/callback?code=" + env.Platform.IssueCode("o-1") + "&state=" + url.QueryEscape(q.Get("state"))
	assertNoSession(t, callback(env, b.oauth, fresh), http.StatusBadRequest, "login_state_invalid")
}

func TestOAuthStateBoundToBrowser(t *testing.T) {
	env := newOAuthEnv(t)
	victim, auth := startLogin(t, env, "/h5/")
	back := authorize(t, env, auth, "o-victim")
	attacker, _ := startLogin(t, env, "/h5/")

	assertNoSession(t, callback(env, attacker.oauth, back), http.StatusBadRequest, "login_state_invalid")
	assertNoSession(t, callback(env, nil, back), http.StatusBadRequest, "login_state_invalid")
	forged := &http.Cookie{Name: "zsjc_oauth", Value: "forged"}
	assertNoSession(t, callback(env, forged, back), http.StatusBadRequest, "login_state_invalid")

	// Refusals from other browsers do not use the login up.
	if r := callback(env, victim.oauth, back); r.Code != http.StatusFound {
		t.Fatalf("the starting browser: %d %s", r.Code, r.Body)
	}
}

func TestOAuthForgedOrExpiredStateAndBadCode(t *testing.T) {
	env := newOAuthEnv(t)
	b, _ := startLogin(t, env, "/h5/")
	code := env.Platform.IssueCode("o-1")
	assertNoSession(t, callback(env, b.oauth, "/auth/wechat/callback?code="+code+"&state=made-up"),
		http.StatusBadRequest, "login_state_invalid")
	assertNoSession(t, callback(env, b.oauth, "/auth/wechat/callback?code="+code),
		http.StatusBadRequest, "login_state_invalid")

	b, auth := startLogin(t, env, "/h5/")
	back := authorize(t, env, auth, "o-1")
	env.Clock.Advance(service.OAuthStateTTL + time.Second)
	assertNoSession(t, callback(env, b.oauth, back), http.StatusBadRequest, "login_state_invalid")
	env.Clock.Advance(-service.OAuthStateTTL - time.Second)

	// An unknown (expired) code and a code already spent are refused by
	// the platform; the user sees a clear error and gets no session.
	for name, code := range map[string]string{"unknown": "expired-code", "spent": spentCode(t, env)} {
		b, auth := startLogin(t, env, "/h5/")
		state := auth.Query().Get("state")
		r := callback(env, b.oauth, "/auth/wechat/callback?code="+code+"&state="+url.QueryEscape(state))
		t.Run(name, func(t *testing.T) { assertNoSession(t, r, http.StatusBadRequest, "login_code_invalid") })
	}
}

// spentCode is a code that has already been exchanged.
func spentCode(t *testing.T, env *handlertest.Env) string {
	b, auth := startLogin(t, env, "/h5/")
	back := authorize(t, env, auth, "o-spent")
	if r := callback(env, b.oauth, back); r.Code != http.StatusFound {
		t.Fatalf("login: %d %s", r.Code, r.Body)
	}
	q, _ := url.ParseQuery(strings.SplitN(back, "?", 2)[1])
	return q.Get("code")
}

func TestLoginRefusesOpenRedirects(t *testing.T) {
	env := newOAuthEnv(t)
	for _, next := range []string{
		"//evil.example", "https://evil.example", "/\\evil", "\\\\evil.example", "evil.example",
		"http:/evil.example", "javascript:alert(1)", "/\t/evil.example", "/\r\nSet-Cookie:x=1", " /h5/",
		"///evil.example",
	} {
		t.Run(next, func(t *testing.T) {
			r := env.Do(handlertest.Anonymous, http.MethodGet, "/h5/login?next="+url.QueryEscape(next), nil)
			if r.Code != http.StatusUnprocessableEntity || r.Header.Get("Location") != "" {
				t.Errorf("%d to %q, want 422 and no redirect", r.Code, r.Header.Get("Location"))
			}
			if c := cookiesOf(r)["zsjc_oauth"]; c != nil {
				t.Errorf("a login was started: %v", c)
			}
		})
	}
	// A refused next also shows as a page to a browser.
	req := httptest.NewRequest(http.MethodGet, "/h5/login?next=//evil.example", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	r := env.Send(handlertest.Anonymous, req)
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(r.Body), "跳转地址须为本站页面路径") {
		t.Errorf("browser page: %d %s %s", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
}

// assertSessionExpiry checks both timeouts of a kind of session on the
// harness clock: login opens a fresh session, path is a page it may read.
func assertSessionExpiry(t *testing.T, env *handlertest.Env, login func() handlertest.Caller, path string, idle, lifetime time.Duration) {
	t.Helper()
	get := func(c handlertest.Caller) int { return env.Do(c, http.MethodGet, path, nil).Code }

	quiet := login()
	env.Clock.Advance(idle - time.Minute)
	if code := get(quiet); code != http.StatusOK {
		t.Fatalf("within the idle timeout: %d", code)
	}
	env.Clock.Advance(idle - time.Minute) // the use extended the session
	if code := get(quiet); code != http.StatusOK {
		t.Fatalf("within the idle timeout of the last use: %d", code)
	}
	env.Clock.Advance(idle)
	if code := get(quiet); code != http.StatusUnauthorized {
		t.Fatalf("after the idle timeout: %d, want 401", code)
	}

	busy := login()
	start := env.Clock.Now()
	for env.Clock.Now().Sub(start) < lifetime-idle {
		env.Clock.Advance(idle - time.Minute)
		if code := get(busy); code != http.StatusOK {
			t.Fatalf("busy session after %v: %d", env.Clock.Now().Sub(start), code)
		}
	}
	env.Clock.Set(start.Add(lifetime))
	if code := get(busy); code != http.StatusUnauthorized {
		t.Fatalf("after the absolute lifetime: %d, want 401", code)
	}
}

func TestUserSessionExpiry(t *testing.T) {
	env := handlertest.New(t)
	login := func() handlertest.Caller { return env.LoginUser(env.Unique("o-")) }
	assertSessionExpiry(t, env, login, "/api/h5/me", service.UserSessionIdle, service.UserSessionLifetime)
}

func TestDevLogin(t *testing.T) {
	dev := handlertest.New(t, handlertest.WithDev())
	r := dev.Do(handlertest.Anonymous, http.MethodGet, "/h5/dev-login?openid=o-sandbox-2&next=/h5/profile", nil)
	if r.Code != http.StatusFound || r.Header.Get("Location") != "/h5/profile" {
		t.Fatalf("dev login: %d %q %s", r.Code, r.Header.Get("Location"), r.Body)
	}
	if code := dev.Do(userCaller(r), http.MethodGet, "/api/h5/me", nil).Code; code != http.StatusOK {
		t.Fatalf("me after dev login: %d", code)
	}
	for _, bad := range []string{"openid=&next=/h5/", "openid=o-1&next=//evil.example", "openid=a%20b"} {
		if r := dev.Do(handlertest.Anonymous, http.MethodGet, "/h5/dev-login?"+bad, nil); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("dev login ?%s: %d, want 422", bad, r.Code)
		}
	}

	// No dev login outside dev mode, nor in dev mode with WeChat credentials.
	for name, env := range map[string]*handlertest.Env{
		"prod":            handlertest.New(t),
		"dev with wechat": handlertest.New(t, handlertest.WithDev(), handlertest.WithPlatform(wechattest.New())),
	} {
		r := env.Do(handlertest.Anonymous, http.MethodGet, "/h5/dev-login?openid=o-1&next=/h5/", nil)
		if r.Code != http.StatusNotFound || cookiesOf(r)["zsjc_session"] != nil {
			t.Errorf("%s: dev login answered %d", name, r.Code)
		}
		if _, _, err := env.Svc.DevLogin(context.Background(), "o-1", ""); err == nil {
			t.Errorf("%s: the service allowed a dev login", name)
		}
	}
}

func TestLawyerProfile(t *testing.T) {
	env := handlertest.New(t)
	u := env.LoginUser("o-lawyer")
	r := env.Do(u, http.MethodPut, "/api/h5/me/lawyer", map[string]string{
		"name": "", "license_no": "1234567890123456", "firm": "", "phone": "12345678901"})
	var bad struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &bad)
	if r.Code != http.StatusUnprocessableEntity || len(bad.Error.Fields) != 4 {
		t.Fatalf("invalid profile: %d %s", r.Code, r.Body)
	}
	if bad.Error.Fields["license_no"] != "执业证号须为 17 位数字" || bad.Error.Fields["phone"] != "手机号须为 11 位中国大陆手机号码" {
		t.Errorf("field messages: %v", bad.Error.Fields)
	}
	for _, lic := range []string{"1234567890123456a", "123456789012345678", "１２３４５６７８９０１２３４５６７"} {
		r := env.Do(u, http.MethodPut, "/api/h5/me/lawyer", map[string]string{
			"name": "王律师", "license_no": lic, "firm": "某某律师事务所", "phone": "13812341234"})
		if r.Code != http.StatusUnprocessableEntity {
			t.Errorf("license %q: %d", lic, r.Code)
		}
	}

	in := map[string]string{"name": " 王律师 ", "license_no": "11101201810123456", "firm": "北京某某律师事务所", "phone": "138 1234 1234"}
	r = env.Do(u, http.MethodPut, "/api/h5/me/lawyer", in)
	if r.Code != http.StatusOK {
		t.Fatalf("save: %d %s", r.Code, r.Body)
	}
	if strings.Contains(string(r.Body), "13812341234") || !strings.Contains(string(r.Body), `"phone_masked":"138****1234"`) {
		t.Errorf("profile answer shows the phone unmasked or not at all: %s", r.Body)
	}
	in["firm"] = "上海某某律师事务所"
	in["phone"] = "13900001111"
	if r := env.Do(u, http.MethodPut, "/api/h5/me/lawyer", in); r.Code != http.StatusOK {
		t.Fatalf("update: %d %s", r.Code, r.Body)
	}
	var rows []model.LawyerProfile
	env.DB.Where("user_id = ?", u.UserID).Find(&rows)
	if len(rows) != 1 {
		t.Fatalf("%d profile rows", len(rows))
	}
	phone, err := env.Sealer.Open(rows[0].PhoneEnc)
	if err != nil || phone != "13900001111" || rows[0].Firm != "上海某某律师事务所" || rows[0].Name != "王律师" {
		t.Errorf("stored %+v, phone %q %v", rows[0], phone, err)
	}
	me := env.Do(u, http.MethodGet, "/api/h5/me", nil)
	if !strings.Contains(string(me.Body), `"phone_masked":"139****1111"`) || strings.Contains(string(me.Body), "13900001111") {
		t.Errorf("me: %s", me.Body)
	}
	if strings.Contains(env.Logs.String(), "13900001111") || strings.Contains(env.Logs.String(), "13812341234") {
		t.Error("a phone number reached the log")
	}
}

func TestJSSDKConfig(t *testing.T) {
	env := newOAuthEnv(t)
	u := env.LoginUser("o-js")
	page := publicURL + "/h5/cases/1?x=1"
	r := env.Do(u, http.MethodGet, "/api/h5/jssdk-config?url="+url.QueryEscape(page+"#frag"), nil)
	var cfg struct {
		AppID     string `json:"app_id"`
		Timestamp int64  `json:"timestamp"`
		NonceStr  string `json:"nonce_str"`
		Signature string `json:"signature"`
		URL       string `json:"url"`
	}
	r.JSON(t, &cfg)
	if r.Code != http.StatusOK || cfg.AppID != env.Platform.AppID() || cfg.URL != page || cfg.Timestamp != env.Clock.Now().Unix() {
		t.Fatalf("config: %d %s", r.Code, r.Body)
	}
	// Another client on the same cache gets the one shared ticket.
	other, err := wechat.NewClient(wechat.Config{AppID: env.Platform.AppID(), Secret: env.Platform.Secret(),
		APIBase: env.PlatformURL, OpenBase: env.PlatformURL, Cache: env.Cache})
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := other.JSTicket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(fmt.Appendf(nil, "jsapi_ticket=%s&noncestr=%s&timestamp=%d&url=%s", ticket, cfg.NonceStr, cfg.Timestamp, page))
	if cfg.Signature != hex.EncodeToString(sum[:]) {
		t.Errorf("signature %s does not match ticket %s", cfg.Signature, ticket)
	}

	for _, foreign := range []string{
		"https://evil.example/h5/", "http://zsjc.example.gov.cn/h5/", "https://zsjc.example.gov.cn.evil.example/h5/",
		"https://user@zsjc.example.gov.cn/h5/", "/h5/", "",
	} {
		r := env.Do(u, http.MethodGet, "/api/h5/jssdk-config?url="+url.QueryEscape(foreign), nil)
		if r.Code != http.StatusUnprocessableEntity {
			t.Errorf("url %q: %d, want 422", foreign, r.Code)
		}
	}
	if r := env.Do(handlertest.Anonymous, http.MethodGet, "/api/h5/jssdk-config?url="+url.QueryEscape(page), nil); r.Code != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", r.Code)
	}
}

// TestFirstLoginsRace: concurrent first logins of one openid, and
// concurrent profile saves of one user, each end with exactly one row.
func TestFirstLoginsRace(t *testing.T) {
	env := handlertest.New(t, handlertest.WithDev())
	const n = 8
	sessions := make([]handlertest.Caller, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := env.Do(handlertest.Anonymous, http.MethodGet, "/h5/dev-login?openid=o-race&next=/h5/", nil)
			if r.Code != http.StatusFound {
				t.Errorf("login %d: %d %s", i, r.Code, r.Body)
			}
			sessions[i] = userCaller(r)
		})
	}
	wg.Wait()
	var users int64
	env.DB.Model(&model.WeChatUser{}).Where("open_id = ?", "o-race").Count(&users)
	if users != 1 {
		t.Fatalf("%d user rows for one openid", users)
	}
	if r := env.Do(sessions[0], http.MethodPost, "/api/h5/consents", map[string]any{
		"version": env.Svc.PrivacyNotice().Version, "purposes": []string{"phone"}}); r.Code != http.StatusCreated {
		t.Fatalf("consent: %d %s", r.Code, r.Body)
	}
	for i, s := range sessions {
		wg.Go(func() {
			r := env.Do(s, http.MethodPut, "/api/h5/me/lawyer", map[string]string{"name": fmt.Sprintf("律师%d", i),
				"license_no": "11101201810123456", "firm": "某某律师事务所", "phone": "13812341234"})
			if r.Code != http.StatusOK {
				t.Errorf("save %d: %d %s", i, r.Code, r.Body)
			}
		})
	}
	wg.Wait()
	var profiles int64
	env.DB.Model(&model.LawyerProfile{}).Count(&profiles)
	if profiles != 1 {
		t.Errorf("%d profile rows for one user", profiles)
	}
}

// A use is recorded at most once a minute: a session never outlives its
// idle timeout after the last recorded use, and goes idle at most a minute
// early.
func TestSessionUseRecordedOncePerMinute(t *testing.T) {
	env := handlertest.New(t)
	u := env.LoginUser("o-touch")
	me := func() int { return env.Do(u, http.MethodGet, "/api/h5/me", nil).Code }
	env.Clock.Advance(30 * time.Second)
	if me() != http.StatusOK { // not recorded: within the minute
		t.Fatal("session refused 30 s after login")
	}
	env.Clock.Advance(service.UserSessionIdle - 31*time.Second)
	if me() != http.StatusOK { // recorded: idle − 1 s after the login
		t.Fatal("session refused before its idle timeout")
	}
	env.Clock.Advance(service.UserSessionIdle - time.Second)
	if me() != http.StatusOK {
		t.Fatal("a recorded use did not extend the session")
	}
	env.Clock.Advance(service.UserSessionIdle)
	if me() != http.StatusUnauthorized {
		t.Fatal("session outlived its idle timeout")
	}
}
