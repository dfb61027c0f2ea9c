package handler_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/wechat/wechattest"
)

// Finding 15 of the security review: dev mode pointed at MySQL exposed the
// dev login and the sandbox to anyone, and without a public URL the OAuth
// redirect was built from any request's Host header.
func TestDevToolsOnlyForLoopbackPeers(t *testing.T) {
	env := handlertest.New(t, handlertest.WithDev())
	h := handler.New(handler.Deps{Service: env.Svc, Log: slog.New(slog.DiscardHandler), Dev: true,
		Sandbox: sandboxFor(wechattest.New()), DevLoopbackOnly: true})
	send := func(path, peer string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = peer
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, path := range []string{"/h5/dev-login?openid=o-dev&next=/h5/", "/sandbox", "/sandbox/api/state"} {
		if code := send(path, "203.0.113.9:4000"); code != http.StatusNotFound {
			t.Errorf("%s from another machine: %d, want 404", path, code)
		}
		if code := send(path, "127.0.0.1:4000"); code == http.StatusNotFound {
			t.Errorf("%s from this machine: 404", path)
		}
	}
	if code := send("/sandbox", "[::1]:4000"); code != http.StatusOK {
		t.Errorf("/sandbox from ::1: %d", code)
	}
}

func TestOAuthRedirectNotFromAForeignHost(t *testing.T) {
	platform := wechattest.New()
	env := handlertest.New(t, handlertest.WithDev(), handlertest.WithPlatform(platform))
	start := func(peer string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/h5/login?next=/h5/", nil)
		req.Host = "evil.example"
		req.RemoteAddr = peer
		rec := httptest.NewRecorder()
		env.Handler.ServeHTTP(rec, req)
		return rec
	}
	if rec := start("203.0.113.9:4000"); rec.Code == http.StatusFound {
		t.Errorf("login from another machine redirected to %q", rec.Header().Get("Location"))
	}
	if rec := start("127.0.0.1:4000"); rec.Code != http.StatusFound {
		t.Errorf("login from this machine: %d", rec.Code)
	}
}
