package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// meRoutes mounts the WeChat user's own account on the H5 API.
func (s *Server) meRoutes(h5 *gin.RouterGroup) {
	h5.GET("/me", must(s.me))
	h5.PUT("/me/lawyer", must(s.saveLawyer))
	h5.PUT("/me/phone", must(s.savePhone))
	h5.GET("/jssdk-config", must(s.jssdkConfig))
	h5.GET("/subscribe-offer", s.subscribeOffer)
}

// subscribeOffer lists the subscribe-notice templates the pages offer
// (wx-open-subscribe); empty when no push kind is sent as one.
func (s *Server) subscribeOffer(c *gin.Context) {
	ok(c, http.StatusOK, s.svc.SubscribeOffer())
}

func (s *Server) me(c *gin.Context) error {
	me, err := s.svc.Me(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, me)
	return nil
}

// savedProfile is the answer of PUT /me/lawyer: the profile and, when the
// page was given one, the safe page to go on to ("" when none or unsafe).
type savedProfile struct {
	model.LawyerProfile
	Next string `json:"next,omitempty"`
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
	// The page goes on to next only as the server returns it (SafeNext).
	ok(c, http.StatusOK, savedProfile{LawyerProfile: p, Next: service.SafeNext(c.Query("next"))})
	return nil
}

func (s *Server) savePhone(c *gin.Context) error {
	var in service.PhoneInput
	if err := decode(c, &in); err != nil {
		return err
	}
	view, err := s.svc.SavePhone(c.Request.Context(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, view)
	return nil
}
