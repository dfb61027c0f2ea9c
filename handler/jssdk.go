package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// jssdkConfig signs wx.config for a page of this site (?url=).
func (s *Server) jssdkConfig(c *gin.Context) error {
	cfg, err := s.svc.JSSDKConfig(c.Request.Context(), c.Query("url"))
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	ok(c, http.StatusOK, cfg)
	return nil
}
