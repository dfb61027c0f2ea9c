package handler

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// bindingStaffRoutes are the binding review queue and decisions.
func (s *Server) bindingStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/bindings", caseOffice, must(s.staffBindings)},
		{http.MethodPost, "/bindings/:id/approve", caseOffice, must(s.approveBinding)},
		{http.MethodPost, "/bindings/:id/reject", caseOffice, must(s.rejectBinding)},
		{http.MethodPost, "/bindings/:id/revoke", caseOffice, must(s.revokeBinding)},
		{http.MethodPost, "/bindings/:id/lift", caseOffice, must(s.liftBinding)},
	}
}

// bindingRoutes mounts the H5 user's bindings.
func (s *Server) bindingRoutes(h5 *gin.RouterGroup) {
	h5.GET("/bindings", must(s.userBindings))
	h5.POST("/bindings", must(s.bind))
	h5.DELETE("/bindings/:id", must(s.unbind))
}

func (s *Server) staffBindings(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.StaffBinding], error) {
		return s.svc.StaffBindings(c.Request.Context(), actor(c), model.Status(c.Query("status")), p)
	})
}

func (s *Server) approveBinding(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := s.svc.ApproveBinding(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, b)
	return nil
}

// reasonBody is the body of a reject or revoke.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) rejectBinding(c *gin.Context) error {
	return s.decideWithReason(c, s.svc.RejectBinding)
}

func (s *Server) revokeBinding(c *gin.Context) error {
	return s.decideWithReason(c, s.svc.RevokeBinding)
}

// liftBinding lets a revoked binding's user bind the case again.
func (s *Server) liftBinding(c *gin.Context) error {
	return s.decideWithReason(c, s.svc.LiftBindingBlock)
}

func (s *Server) decideWithReason(c *gin.Context,
	decide func(context.Context, service.Actor, uint64, string) (model.Binding, error)) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in reasonBody
	if err := decode(c, &in); err != nil {
		return err
	}
	b, err := decide(c.Request.Context(), actor(c), id, in.Reason)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, b)
	return nil
}

func (s *Server) userBindings(c *gin.Context) error {
	items, err := s.svc.UserBindings(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) bind(c *gin.Context) error {
	var in service.BindInput
	if err := decode(c, &in); err != nil {
		return err
	}
	b, err := s.svc.Bind(c.Request.Context(), currentUser(c), c.ClientIP(), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, b)
	return nil
}

func (s *Server) unbind(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := s.svc.Unbind(c.Request.Context(), currentUser(c), c.ClientIP(), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, b)
	return nil
}
