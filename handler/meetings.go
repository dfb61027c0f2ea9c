package handler

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// meetingRoutes mounts the lawyer's meeting requests.
func (s *Server) meetingRoutes(h5 *gin.RouterGroup) {
	h5.GET("/meetings", must(s.myMeetings))
	h5.POST("/meetings", must(s.requestMeeting))
	h5.POST("/meetings/:id/cancel", must(s.cancelMeeting))
}

// meetingStaffRoutes are the meeting queue and decisions; prosecutors take
// part, since the meetings are with them.
func (s *Server) meetingStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/meetings", anyStaff, must(s.staffMeetings)},
		{http.MethodPost, "/meetings/:id/confirm", anyStaff, decideWithBody(s.svc.ConfirmMeeting)},
		{http.MethodPost, "/meetings/:id/reject", anyStaff, decideWithBody(
			func(ctx context.Context, a service.Actor, id uint64, in reasonBody) (service.MeetingView, error) {
				return s.svc.RejectMeeting(ctx, a, id, in.Reason)
			})},
	}
}

func (s *Server) myMeetings(c *gin.Context) error {
	items, err := s.svc.MyMeetings(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) requestMeeting(c *gin.Context) error {
	var in service.MeetingInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.RequestMeeting(c.Request.Context(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) cancelMeeting(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.svc.CancelMeeting(c.Request.Context(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, v)
	return nil
}

func (s *Server) staffMeetings(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.MeetingView], error) {
		return s.svc.StaffMeetings(c.Request.Context(), actor(c), c.Query("status"), p)
	})
}
