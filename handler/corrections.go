package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// correctionStaffRoutes let staff put right what they published: correct or
// delete a timeline event, withdraw a document; the event form first asks
// how many followers recording an event notifies. The roles are those that
// may record and publish.
func (s *Server) correctionStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/cases/:id/event-recipients", anyStaff, must(s.eventRecipients)},
		{http.MethodPut, "/cases/:id/events/:event_id", anyStaff, must(s.correctEvent)},
		{http.MethodDelete, "/cases/:id/events/:event_id", anyStaff, must(s.deleteEvent)},
		{http.MethodPost, "/cases/:id/documents/:doc_id/withdraw", anyStaff, must(s.withdrawDocument)},
	}
}

// eventRecipients answers {"count": n}: the followers an event notifies.
func (s *Server) eventRecipients(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	n, err := s.svc.EventRecipients(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, gin.H{"count": n})
	return nil
}

// caseAndChild reads the :id and the child id parameter of a case route.
func caseAndChild(c *gin.Context, child string) (caseID, childID uint64, err error) {
	if caseID, err = idParam(c, "id"); err != nil {
		return 0, 0, err
	}
	childID, err = idParam(c, child)
	return caseID, childID, err
}

func (s *Server) correctEvent(c *gin.Context) error {
	caseID, eventID, err := caseAndChild(c, "event_id")
	if err != nil {
		return err
	}
	var in service.EventCorrection
	if err := decode(c, &in); err != nil {
		return err
	}
	in.EventID = ""
	ev, err := s.svc.CorrectEvent(c.Request.Context(), actor(c), caseID, eventID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, ev)
	return nil
}

func (s *Server) deleteEvent(c *gin.Context) error {
	caseID, eventID, err := caseAndChild(c, "event_id")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteEvent(c.Request.Context(), actor(c), caseID, eventID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) withdrawDocument(c *gin.Context) error {
	caseID, docID, err := caseAndChild(c, "doc_id")
	if err != nil {
		return err
	}
	if err := s.svc.WithdrawDocument(c.Request.Context(), actor(c), caseID, docID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
