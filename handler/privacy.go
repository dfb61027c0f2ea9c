package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// privacyRoutes mount the privacy notice, the user's consents and the
// account deletion (docs/design.md §13).
func (s *Server) privacyRoutes(h5, public *gin.RouterGroup) {
	public.GET("/privacy", s.privacyNotice)
	h5.GET("/consents", must(s.consents))
	h5.POST("/consents", must(s.giveConsent))
	h5.DELETE("/consents/:purpose", must(s.withdrawConsent))
	h5.DELETE("/me", must(s.deleteAccount))
}

func (s *Server) privacyNotice(c *gin.Context) {
	ok(c, http.StatusOK, s.svc.PrivacyNotice())
}

func (s *Server) consents(c *gin.Context) error {
	items, err := s.svc.Consents(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) giveConsent(c *gin.Context) error {
	var in service.ConsentInput
	if err := decode(c, &in); err != nil {
		return err
	}
	items, err := s.svc.GiveConsent(c.Request.Context(), currentUser(c), c.ClientIP(), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, gin.H{"items": items})
	return nil
}

func (s *Server) withdrawConsent(c *gin.Context) error {
	if err := s.svc.WithdrawConsent(c.Request.Context(), currentUser(c), c.ClientIP(), c.Param("purpose")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// deleteAccount deletes the user's account and ends this session (the
// service ends every other one).
func (s *Server) deleteAccount(c *gin.Context) error {
	if err := s.svc.DeleteAccount(c.Request.Context(), currentUser(c), c.ClientIP()); err != nil {
		return err
	}
	s.setCookie(c, userCookie, "", -1)
	c.Status(http.StatusNoContent)
	return nil
}
