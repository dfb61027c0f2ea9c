package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

func (s *Server) listStaff(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.StaffView], error) {
		return s.svc.StaffList(c.Request.Context(), actor(c), p)
	})
}

func (s *Server) createStaff(c *gin.Context) error {
	var in service.NewStaff
	if err := decode(c, &in); err != nil {
		return err
	}
	st, err := s.svc.CreateStaff(c.Request.Context(), actor(c), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, s.svc.StaffView(st))
	return nil
}

func (s *Server) disableStaff(c *gin.Context) error { return s.setStaffDisabled(c, true) }
func (s *Server) enableStaff(c *gin.Context) error  { return s.setStaffDisabled(c, false) }

func (s *Server) setStaffDisabled(c *gin.Context, disabled bool) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	st, err := s.svc.SetStaffDisabled(c.Request.Context(), actor(c), id, disabled)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, s.svc.StaffView(st))
	return nil
}

type resetPasswordBody struct {
	Password string `json:"password"`
}

func (s *Server) resetStaffPassword(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in resetPasswordBody
	if err := decode(c, &in); err != nil {
		return err
	}
	st, err := s.svc.ResetStaffPassword(c.Request.Context(), actor(c), id, in.Password)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, s.svc.StaffView(st))
	return nil
}
