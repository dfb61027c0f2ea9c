package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// listUnits lists the units in the caller's scope, parents before children.
func (s *Server) listUnits(c *gin.Context) error {
	items, err := s.svc.ListUnits(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) createUnit(c *gin.Context) error {
	var in service.UnitInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := s.svc.CreateUnit(c.Request.Context(), actor(c), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, u)
	return nil
}

// updateUnit changes the fields the body carries.
func (s *Server) updateUnit(c *gin.Context) error {
	var in service.UnitInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := s.svc.UpdateUnit(c.Request.Context(), actor(c), c.Param("code"), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, u)
	return nil
}

func (s *Server) deleteUnit(c *gin.Context) error {
	if err := s.svc.DeleteUnit(c.Request.Context(), actor(c), c.Param("code")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
