package handler

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// complaintRoutes mount a WeChat user's complaints (控告申诉).
func (s *Server) complaintRoutes(h5 *gin.RouterGroup) {
	h5.GET("/complaints", must(s.myComplaints))
	h5.POST("/complaints", must(s.submitComplaint))
	h5.GET("/complaints/:id", must(s.myComplaint))
}

// complaintStaffRoutes are the 控申 queue and its steps, for the
// complaints staff and admins of the unit the complaint is with.
func (s *Server) complaintStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/complaints", complaintDesk, must(s.staffComplaints)},
		{http.MethodPost, "/complaints/:id/acknowledge", complaintDesk, decideWithBody(
			func(ctx context.Context, a service.Actor, id uint64, in noteBody) (service.ComplaintView, error) {
				return s.svc.AcknowledgeComplaint(ctx, a, id, in.Note)
			})},
		{http.MethodPost, "/complaints/:id/transfer", complaintDesk, decideWithBody(
			func(ctx context.Context, a service.Actor, id uint64, in transferBody) (service.ComplaintView, error) {
				return s.svc.TransferComplaint(ctx, a, id, in.UnitCode, in.Note)
			})},
		{http.MethodPost, "/complaints/:id/resolve", complaintDesk, decideWithBody(
			func(ctx context.Context, a service.Actor, id uint64, in resultBody) (service.ComplaintView, error) {
				return s.svc.ResolveComplaint(ctx, a, id, in.Result)
			})},
		{http.MethodGet, "/complaints/:id/attachments/:upload_id", complaintDesk, must(s.complaintAttachment)},
	}
}

type (
	noteBody struct {
		Note string `json:"note"`
	}
	resultBody struct {
		Result string `json:"result"`
	}
	transferBody struct {
		UnitCode string `json:"unit_code"`
		Note     string `json:"note"`
	}
)

func (s *Server) myComplaints(c *gin.Context) error {
	items, err := s.svc.MyComplaints(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) myComplaint(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.svc.MyComplaint(c.Request.Context(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, v)
	return nil
}

func (s *Server) submitComplaint(c *gin.Context) error {
	var in service.ComplaintInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.SubmitComplaint(c.Request.Context(), currentUser(c), c.ClientIP(), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) staffComplaints(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.ComplaintView], error) {
		return s.svc.StaffComplaints(c.Request.Context(), actor(c), c.Query("status"), p)
	})
}

func (s *Server) complaintAttachment(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	uploadID, err := idParam(c, "upload_id")
	if err != nil {
		return err
	}
	up, f, err := s.svc.ComplaintAttachment(c.Request.Context(), actor(c), id, uploadID)
	return serveFile(c, up.FileName, up.ContentType, up.CreatedAt, f, err)
}
