package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// meRoutes mounts the WeChat user's own account on the H5 API.
func (s *Server) meRoutes(h5 *gin.RouterGroup) {
	h5.GET("/me", must(s.me))
	h5.PUT("/me/lawyer", must(s.saveLawyer))
	h5.GET("/jssdk-config", must(s.jssdkConfig))
}

func (s *Server) me(c *gin.Context) error {
	me, err := s.svc.Me(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, me)
	return nil
}

func (s *Server) saveLawyer(c *gin.Context) error {
	var in service.LawyerInput
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := s.svc.SaveLawyerProfile(c.Request.Context(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, p)
	return nil
}
