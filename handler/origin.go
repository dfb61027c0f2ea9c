package handler

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"zsjc/model"
)

var (
	errCrossOrigin = model.NewError(model.KindForbidden, "cross_origin", "拒绝来自其他网站的请求")
	errMediaType   = model.NewError(model.KindUnsupportedMedia, "unsupported_media_type",
		"请求内容须为 application/json（上传文件为 multipart/form-data）")
)

// sameOriginWrites guards the H5 API's state-changing requests, which
// carry only the session cookie: a request the browser says comes from
// another origin (Origin, Sec-Fetch-Site; another port of the same host
// included) is refused (403), and a body must be JSON or multipart (415),
// which a no-cors request from another page cannot send. Older webviews
// that send neither header still work.
func (s *Server) sameOriginWrites(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if s.fromOtherSite(c) {
		fail(c, errCrossOrigin)
		return
	}
	if hasBody(c.Request) {
		media, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if err != nil || (media != "application/json" && media != "multipart/form-data") {
			fail(c, errMediaType)
			return
		}
	}
	c.Next()
}

// fromOtherSite reports whether the browser says the request comes from
// another origin (Sec-Fetch-Site, Origin).
func (s *Server) fromOtherSite(c *gin.Context) bool {
	if site := c.GetHeader("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return true
	}
	origin := c.GetHeader("Origin")
	return origin != "" && !s.ownOrigin(c.Request, origin)
}

// ownOrigin reports whether origin is this site: the public URL's origin
// when one is set, else the request's own host.
func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" {
		return false // includes "null" (sandboxed frames, file: pages)
	}
	if s.publicURL != "" {
		pub, err := url.Parse(s.publicURL)
		return err == nil && strings.EqualFold(o.Scheme, pub.Scheme) && strings.EqualFold(o.Host, pub.Host)
	}
	return strings.EqualFold(o.Host, r.Host)
}

// hasBody reports whether the request carries a body (a declared length,
// or one of unknown length).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}
