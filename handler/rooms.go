package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// roomStaffRoutes manage the reading rooms of the units in scope.
func (s *Server) roomStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/rooms", anyStaff, must(s.rooms)},
		{http.MethodPost, "/rooms", caseOffice, must(s.createRoom)},
		{http.MethodPut, "/rooms/:id", caseOffice, must(s.updateRoom)},
	}
}

func (s *Server) rooms(c *gin.Context) error {
	items, err := s.svc.Rooms(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) createRoom(c *gin.Context) error {
	var in service.RoomInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.CreateRoom(c.Request.Context(), actor(c), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) updateRoom(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in service.RoomPatch
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.UpdateRoom(c.Request.Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, v)
	return nil
}
