package handler_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// pagesServer is the HTTP handler on env's service, in dev mode with the
// sandbox when sb is not nil.
func pagesServer(env *handlertest.Env, sb *handler.Sandbox) http.Handler {
	return handler.New(handler.Deps{Service: env.Svc, Log: slog.New(slog.DiscardHandler), Dev: sb != nil, Sandbox: sb})
}

func get(h http.Handler, path string, header http.Header, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestEveryPageRouteServesItsAppShell(t *testing.T) {
	h := pagesServer(handlertest.New(t), nil)
	h5, staff := handler.PagePaths()
	for _, app := range []struct {
		paths  []string
		script string
	}{{h5, "/assets/h5.js"}, {staff, "/assets/staff.js"}} {
		for _, p := range app.paths {
			path := strings.ReplaceAll(p, ":id", "7")
			rec := get(h, path, nil)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
			}
			if !strings.Contains(rec.Body.String(), `src="`+app.script+`?v=`) {
				t.Errorf("GET %s does not load %s", path, app.script)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: CSP %q", path, csp)
			}
		}
	}
	if rec := get(h, "/", nil); rec.Code != http.StatusFound || rec.Header().Get("Location") != "/staff/" {
		t.Errorf("GET / outside dev mode: %d → %q, want the console", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get(h, "/sandbox", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /sandbox outside dev mode: %d, want 404", rec.Code)
	}
}

// The routers of the pages' scripts and the server's page table must name
// the same paths, or a page would load a shell that renders "not found".
func TestPageScriptsRouteTheServedPaths(t *testing.T) {
	h5, staff := handler.PagePaths()
	for _, app := range []struct {
		file, prefix string
		paths        []string
	}{{"../web/assets/h5.js", "/h5/", h5}, {"../web/assets/staff.js", "/staff/", staff}} {
		raw, err := os.ReadFile(app.file)
		if err != nil {
			t.Fatal(err)
		}
		var routed []string
		for _, m := range regexp.MustCompile(`\['(`+app.prefix+`[^']*)', (?:start\()?[a-zA-Z]+View\b`).FindAllStringSubmatch(string(raw), -1) {
			routed = append(routed, m[1])
		}
		want := slices.Sorted(slices.Values(app.paths))
		got := slices.Sorted(slices.Values(routed))
		if !slices.Equal(got, want) {
			t.Errorf("%s routes %q, the server serves %q", app.file, got, want)
		}
	}
}

func TestAssetsRevalidateByETag(t *testing.T) {
	h := pagesServer(handlertest.New(t), nil)
	rec := get(h, "/assets/app.js", nil)
	etag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || etag == "" || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("GET /assets/app.js: %d, ETag %q, type %q", rec.Code, etag, rec.Header().Get("Content-Type"))
	}
	if rec := get(h, "/assets/app.js", http.Header{"If-None-Match": {etag}}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and no body", rec.Code, rec.Body.Len())
	}
	if rec := get(h, "/assets/../pages/h5.html", nil); rec.Code == http.StatusOK {
		t.Errorf("GET /assets/../pages/h5.html: %d, want no file outside assets", rec.Code)
	}
	if rec := get(h, "/assets/nope.js", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /assets/nope.js: %d, want 404", rec.Code)
	}
}

func sandboxFor(p *wechattest.Platform) *handler.Sandbox {
	return &handler.Sandbox{Platform: p, Menu: json.RawMessage(`{"button":[{"type":"click","name":"帮助","key":"HELP"}]}`),
		Callback: wechattest.CallbackClient{Token: wechattest.CallbackToken, AppID: p.AppID(),
			EncodingAESKey: wechattest.EncodingAESKey, Mode: wechattest.Safe, Target: "/wechat/callback"}}
}

func TestSandboxStateInDevMode(t *testing.T) {
	h := pagesServer(handlertest.New(t, handlertest.WithDev()), sandboxFor(wechattest.New()))
	if rec := get(h, "/", nil); rec.Header().Get("Location") != "/sandbox" {
		t.Errorf("GET / in dev mode → %q, want the sandbox", rec.Header().Get("Location"))
	}
	if rec := get(h, "/sandbox", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/assets/sandbox.js") {
		t.Fatalf("GET /sandbox: %d", rec.Code)
	}
	rec := get(h, "/sandbox/api/state", nil)
	var state struct {
		OpenIDs []struct {
			OpenID string `json:"openid"`
		} `json:"openids"`
		Menu struct {
			Button []struct {
				Name string `json:"name"`
			} `json:"button"`
		} `json:"menu"`
		Demo struct {
			CaseNo string `json:"case_no"`
		} `json:"demo"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &state); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("state: %d %s", rec.Code, rec.Body)
	}
	if len(state.OpenIDs) == 0 || state.Demo.CaseNo == "" || len(state.Menu.Button) != 1 {
		t.Errorf("state lacks test users, demo case or menu: %s", rec.Body)
	}
}

func TestSandboxAPIRefusesBadInput(t *testing.T) {
	env := handlertest.New(t, handlertest.WithDev())
	h := pagesServer(env, sandboxFor(wechattest.New()))
	send := func(path, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	post := func(path, body string) *httptest.ResponseRecorder { return send(path, body) }
	asUser := func(path, body string) *httptest.ResponseRecorder {
		return send(path, body, &http.Cookie{Name: "wx_sandbox_openid", Value: "o-sandbox-party"})
	}
	for _, c := range []struct {
		name string
		rec  *httptest.ResponseRecorder
		want int
	}{
		{"unknown test user", post("/sandbox/api/user", `{"openid":"o-real-person"}`), http.StatusUnprocessableEntity},
		{"not JSON", post("/sandbox/api/user", `openid=x`), http.StatusBadRequest},
		{"unknown message type", post("/sandbox/api/callback", `{"openid":"o-sandbox-party","type":"image"}`), http.StatusUnprocessableEntity},
		{"unknown event", post("/sandbox/api/callback", `{"openid":"o-sandbox-party","type":"event","event":"LOCATION"}`), http.StatusUnprocessableEntity},
		{"empty text", post("/sandbox/api/callback", `{"openid":"o-sandbox-party","type":"text"}`), http.StatusUnprocessableEntity},
		{"messages of a stranger", get(h, "/sandbox/api/messages?openid=o-real-person", nil), http.StatusUnprocessableEntity},
		{"open without a test user", get(h, "/sandbox/open?next=/h5/", nil), http.StatusUnprocessableEntity},
		{"subscribe without a test user", post("/sandbox/api/subscribe", `{"template_ids":["T"],"accept":true}`), http.StatusUnprocessableEntity},
		{"subscribe to a template not offered", asUser("/sandbox/api/subscribe", `{"template_ids":["T"],"accept":true}`), http.StatusUnprocessableEntity},
	} {
		if c.rec.Code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, c.rec.Code, c.rec.Body, c.want)
		}
	}
}

// The phone's messages go through the real callback (signed, encrypted in
// safe mode) and come back as the opened passive reply.
func TestSandboxCallbackReturnsTheReply(t *testing.T) {
	platform := wechattest.New()
	crypto, err := wechat.NewCrypto(wechattest.CallbackToken, platform.AppID(), wechattest.EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	env := handlertest.New(t, handlertest.WithDev(), handlertest.WithPlatform(platform))
	env.Clock.Set(time.Now()) // the sandbox stamps callbacks with the wall clock, as WeChat does
	h := handler.New(handler.Deps{Service: env.Svc, Log: slog.New(slog.DiscardHandler), Dev: true,
		Sandbox: sandboxFor(platform), WeChat: crypto})
	for _, body := range []string{
		`{"openid":"o-sandbox-party","type":"event","event":"subscribe"}`,
		`{"openid":"o-sandbox-party","type":"text","content":"帮助"}`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/sandbox/api/callback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out struct {
			Reply struct {
				MsgType string `json:"msg_type"`
				Content string `json:"content"`
			} `json:"reply"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
		}
		if out.Reply.MsgType != "text" || out.Reply.Content == "" {
			t.Errorf("%s: reply %+v, want a text reply", body, out.Reply)
		}
	}
}

// /sandbox/open logs the phone's user in through the real OAuth flow: a
// code the fake platform issued for that openid, exchanged by our client.
func TestSandboxOpenLogsInThroughOAuth(t *testing.T) {
	platform := wechattest.New()
	env := handlertest.New(t, handlertest.WithDev(), handlertest.WithPlatform(platform))
	h := pagesServer(env, sandboxFor(platform))

	req := httptest.NewRequest(http.MethodPost, "/sandbox/api/user", strings.NewReader(`{"openid":"o-sandbox-party"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("switch user: %d %s", rec.Code, rec.Body)
	}
	who := cookie(t, rec, "wx_sandbox_openid")

	// The sandbox runs in a browser on this machine: without a public URL,
	// only a loopback peer's Host builds the OAuth redirect.
	req = httptest.NewRequest(http.MethodGet, "/sandbox/open?next="+url.QueryEscape("/h5/bind?role=party"), nil)
	req.RemoteAddr = "127.0.0.1:50000"
	req.AddCookie(who)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil || loc.Path != "/auth/wechat/callback" || loc.Query().Get("code") == "" {
		t.Fatalf("open: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = get(h, loc.String(), nil, cookie(t, rec, "zsjc_oauth"))
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/h5/bind?role=party" {
		t.Fatalf("oauth callback: %d → %q %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	session := cookie(t, rec, "zsjc_session")
	if rec := get(h, "/api/h5/me", nil, session); rec.Code != http.StatusOK {
		t.Fatalf("GET /api/h5/me with the new session: %d %s", rec.Code, rec.Body)
	}
	var openid string
	if err := env.DB.Table("we_chat_users").Select("open_id").Order("id DESC").Limit(1).Scan(&openid).Error; err != nil {
		t.Fatal(err)
	}
	if openid != "o-sandbox-party" {
		t.Errorf("logged in as %q, want the phone's user o-sandbox-party", openid)
	}
}

func cookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no %s cookie set; headers %v", name, rec.Header())
	return nil
}

// TestAssetsCompressedAndCachedByVersion: pages name their assets by
// content hash, which browsers keep for a year; assets go gzip-compressed
// to browsers that accept it.
func TestAssetsCompressedAndCachedByVersion(t *testing.T) {
	h := pagesServer(handlertest.New(t), nil)
	shell := get(h, "/staff/", nil).Body.String()
	m := regexp.MustCompile(`src="(/assets/staff\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(shell)
	if m == nil {
		t.Fatalf("the console shell does not name staff.js by version:\n%s", shell)
	}
	plain := get(h, "/assets/staff.js", nil)
	if cc := plain.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned asset: Cache-Control %q, want no-cache", cc)
	}
	zipped := get(h, m[1], http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if cc := zipped.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset: Cache-Control %q", cc)
	}
	if zipped.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("versioned asset: encoding %q vary %q", zipped.Header().Get("Content-Encoding"), zipped.Header().Get("Vary"))
	}
	zlen := zipped.Body.Len()
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(body, plain.Body.Bytes()) {
		t.Fatalf("gzip body differs from the plain one (%v)", err)
	}
	if ratio := float64(zlen) / float64(len(body)); ratio > 0.4 {
		t.Errorf("staff.js compressed to %.0f%% of %d bytes", ratio*100, len(body))
	}
	t.Logf("staff.js: %d bytes, %d gzipped", len(body), zlen)
	if r := get(h, m[1], http.Header{"Accept-Encoding": {"gzip;q=0, identity"}}); r.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got %q", r.Header().Get("Content-Encoding"))
	}
	if r := get(h, "/assets/staff.js?v=stale", nil); r.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale version is cached as immutable: %q", r.Header().Get("Cache-Control"))
	}
}
