package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// pushStaffRoutes are the push outbox view and the retry of a failed push.
func (s *Server) pushStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/pushes", caseOffice, must(s.staffPushes)},
		{http.MethodPost, "/pushes/:id/retry", caseOffice, must(s.retryPush)},
		{http.MethodGet, "/pushes/quota", adminOnly, must(s.pushQuota)},
	}
}

func (s *Server) pushQuota(c *gin.Context) error {
	q, err := s.svc.PushQuota(c.Request.Context())
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, q)
	return nil
}

func (s *Server) staffPushes(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.PushItem], error) {
		return s.svc.ListPushes(c.Request.Context(), actor(c), c.Query("status"), p)
	})
}

func (s *Server) retryPush(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	item, err := s.svc.RetryPush(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, item)
	return nil
}
