package handler

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// oauthCookie binds a pending WeChat login to the browser that started it.
const oauthCookie = "zsjc_oauth"

const callbackPath = "/auth/wechat/callback"

// loginRoutes mounts the WeChat users' ways in: OAuth, and in the sandbox
// (dev mode without WeChat credentials) the dev login.
func (s *Server) loginRoutes(r *gin.Engine) {
	r.GET("/h5/login", s.startLogin)
	r.GET(callbackPath, s.finishLogin)
	if s.svc.DevLoginAllowed() {
		r.GET("/h5/dev-login", s.loopbackOnly, s.devLogin)
	}
}

// startLogin sends the browser to WeChat's authorize page with a fresh
// state, bound to this browser by a short-lived cookie.
func (s *Server) startLogin(c *gin.Context) {
	if err := s.svc.LimitLoginStart(c.Request.Context(), c.ClientIP()); err != nil {
		loginFailed(c, err)
		return
	}
	callback, err := s.absoluteURL(c, callbackPath)
	if err != nil {
		loginFailed(c, err)
		return
	}
	start, err := s.svc.StartLogin(c.Request.Context(), c.Query("next"), callback)
	if err != nil {
		loginFailed(c, err)
		return
	}
	s.setCookie(c, oauthCookie, start.BrowserKey, int(service.OAuthStateTTL.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, start.AuthURL)
}

// finishLogin is where WeChat sends the browser back with code and state.
func (s *Server) finishLogin(c *gin.Context) {
	browser, _ := c.Cookie(oauthCookie)
	s.setCookie(c, oauthCookie, "", -1) // one try per login, whatever happens
	sid, next, err := s.svc.FinishLogin(c.Request.Context(), c.Query("state"), browser, c.Query("code"))
	if err != nil {
		loginFailed(c, err)
		return
	}
	s.startUserSession(c, sid, next)
}

// devLogin logs the sandbox in as a chosen test openid.
func (s *Server) devLogin(c *gin.Context) {
	sid, next, err := s.svc.DevLogin(c.Request.Context(), c.Query("openid"), c.Query("next"))
	if err != nil {
		loginFailed(c, err)
		return
	}
	s.startUserSession(c, sid, next)
}

func (s *Server) startUserSession(c *gin.Context, sid, next string) {
	s.setCookie(c, userCookie, sid, int(service.UserSessionLifetime.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, next)
}

// absoluteURL is path on the public URL, or on the request's own host when
// no public URL is configured (the local sandbox).
func (s *Server) absoluteURL(c *gin.Context, path string) (string, error) {
	if s.publicURL != "" {
		return strings.TrimSuffix(s.publicURL, "/") + path, nil
	}
	// Without a public URL only a request from this machine may name the
	// host: another peer's Host header would send OAuth codes to its host.
	if !loopbackPeer(c.Request) {
		return "", errNoPublicURL
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + path, nil
}

var loginErrorPage = template.Must(template.New("login-error").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>登录未完成</title>
<style>body{font-family:system-ui,sans-serif;margin:3em 1.5em;color:#333}a{color:#1a5fb4}</style>
</head><body>
<h1>登录未完成</h1>
<p>{{.Message}}</p>
{{range .Fields}}<p>{{.}}</p>
{{end}}
<p><a href="/h5/">返回首页</a></p>
</body></html>`))

// loginFailed answers a failed browser login: a page for a browser, the
// JSON error body for anything else. No session is set.
func loginFailed(c *gin.Context, err error) {
	var de *model.Error
	if !errors.As(err, &de) || !strings.Contains(c.GetHeader("Accept"), "text/html") {
		fail(c, err)
		return
	}
	status, ok := statusOf[de.Kind]
	if !ok || status >= 500 {
		logger(c).Warn("login failed", "code", de.Code, "err", err)
	}
	if !ok {
		status = http.StatusInternalServerError
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := loginErrorPage.Execute(c.Writer, de); err != nil {
		logger(c).Error("render login error page", "err", err)
	}
	c.Abort()
}
