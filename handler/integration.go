package handler

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

var errUnreadableBody = model.NewError(model.KindBadRequest, "unreadable_body", "无法读取请求内容")

// integrationRoutes mounts the case system's signed API (docs/design.md §7.5).
func (s *Server) integrationRoutes(r *gin.Engine) {
	g := r.Group("/api/integration", s.verifyIntegration)
	g.PUT("/cases/:case_no", must(s.integrationCase))
	g.POST("/cases/:case_no/events", must(s.integrationEvent))
}

// verifyIntegration reads the raw body, checks its signature (over the
// method, the escaped path as sent and the body), timestamp and freshness,
// and puts the body back for decoding.
func (s *Server) verifyIntegration(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = errUnreadableBody
		}
		fail(c, err)
		return
	}
	signed := service.IntegrationRequest{Timestamp: c.GetHeader("X-Zsjc-Timestamp"), Method: c.Request.Method,
		Path: c.Request.URL.EscapedPath(), Body: body}
	err = s.svc.VerifyIntegration(c.Request.Context(), signed, c.GetHeader("X-Zsjc-Signature"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	c.Next()
}

func (s *Server) integrationCase(c *gin.Context) error {
	var in service.IntegrationCase
	given, err := decodeNamingFields(c, &in)
	if err != nil {
		return err
	}
	in.Given = given
	stored, created, err := s.svc.UpsertCase(c.Request.Context(), c.Param("case_no"), in)
	if err != nil {
		return err
	}
	ok(c, createdOrOK(created), stored)
	return nil
}

func (s *Server) integrationEvent(c *gin.Context) error {
	var in service.EventInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ev, created, err := s.svc.IntegrationEvent(c.Request.Context(), c.Param("case_no"), in)
	if err != nil {
		return err
	}
	ok(c, createdOrOK(created), service.EventRecordOf(ev))
	return nil
}

// createdOrOK is 201 for a new record, 200 for one already stored.
func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
