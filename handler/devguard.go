package handler

import (
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"zsjc/model"
)

var errNoPublicURL = model.NewError(model.KindUnavailable, "public_url_missing",
	"未配置 ZSJC_PUBLIC_URL：只能在本机（localhost）登录")

// loopbackPeer reports whether the TCP peer of r is this machine. It reads
// the connection's address, never X-Forwarded-For: what a guard trusts
// must not come from the request.
func loopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly hides the dev login and the sandbox (404, as if absent)
// from every peer but this machine when they must not be public: dev mode
// pointed at a MySQL server, which may be a shared one.
func (s *Server) loopbackOnly(c *gin.Context) {
	if s.devLoopbackOnly && !loopbackPeer(c.Request) {
		fail(c, errNotFoundPath)
		return
	}
	c.Next()
}
