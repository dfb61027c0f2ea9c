package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// caseStaffRoutes are the staff console's case, timeline and party routes.
// Parties (personal data) are for the case-management office only.
func (s *Server) caseStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/cases", anyStaff, must(s.staffCases)},
		{http.MethodPost, "/cases", caseOffice, must(s.createCase)},
		{http.MethodGet, "/cases/:id", anyStaff, must(s.staffCase)},
		{http.MethodPut, "/cases/:id", caseOffice, must(s.updateCase)},
		{http.MethodPost, "/cases/:id/events", anyStaff, must(s.recordEvent)},
		{http.MethodGet, "/cases/:id/parties", caseOffice, must(s.parties)},
		{http.MethodPost, "/cases/:id/parties", caseOffice, must(s.addParty)},
		{http.MethodDelete, "/cases/:id/parties/:party_id", caseOffice, must(s.removeParty)},
	}
}

// caseRoutes mounts the H5 case views (approved bindings only) and the
// public 重要案件信息 list.
func (s *Server) caseRoutes(h5, public *gin.RouterGroup) {
	h5.GET("/cases", must(s.userCases))
	h5.GET("/cases/:id", must(s.userCase))
	public.GET("/cases", must(s.publicCases))
}

// staffCases lists cases: ?q= matches number or name; ?limit=&offset= page.
func (s *Server) staffCases(c *gin.Context) error {
	fe := model.FieldErrors{}
	f := service.CaseFilter{Query: c.Query("q"), Limit: queryInt(c, fe, "limit", 1, 200), Offset: queryInt(c, fe, "offset", 0, 1_000_000)}
	if err := fe.Err(); err != nil {
		return err
	}
	cases, err := s.svc.ListCases(c.Request.Context(), f)
	if err != nil {
		return err
	}
	list(c, cases)
	return nil
}

func (s *Server) createCase(c *gin.Context) error {
	var in service.CaseInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.CreateCase(c.Request.Context(), actor(c), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) staffCase(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := s.svc.CaseDetail(c.Request.Context(), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, d)
	return nil
}

func (s *Server) updateCase(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in service.CaseInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.UpdateCase(c.Request.Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, v)
	return nil
}

func (s *Server) recordEvent(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in service.EventInput
	if err := decode(c, &in); err != nil {
		return err
	}
	in.EventID = "" // staff events have no external id
	ev, err := s.svc.RecordEvent(c.Request.Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, ev)
	return nil
}

func (s *Server) parties(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	parties, err := s.svc.Parties(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	list(c, parties)
	return nil
}

func (s *Server) addParty(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in service.PartyInput
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := s.svc.AddParty(c.Request.Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, p)
	return nil
}

func (s *Server) removeParty(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	pid, err := idParam(c, "party_id")
	if err != nil {
		return err
	}
	if err := s.svc.RemoveParty(c.Request.Context(), actor(c), id, pid); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) userCases(c *gin.Context) error {
	cases, err := s.svc.UserCases(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, cases)
	return nil
}

func (s *Server) userCase(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := s.svc.UserCase(c.Request.Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, d)
	return nil
}

func (s *Server) publicCases(c *gin.Context) error {
	cases, err := s.svc.PublicCases(c.Request.Context(), c.Query("unit"))
	if err != nil {
		return err
	}
	list(c, cases)
	return nil
}
