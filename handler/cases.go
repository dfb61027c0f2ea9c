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

// staffCases lists the cases in scope: ?q= matches number or name;
// ?scope=unit shows a prosecutor the whole unit's cases, not only their
// own; ?page=&page_size= page it.
func (s *Server) staffCases(c *gin.Context) error {
	f := service.CaseFilter{Query: c.Query("q")}
	switch c.Query("scope") {
	case "", "mine":
	case "unit":
		f.WholeUnit = true
	default:
		return model.Invalid(map[string]string{"scope": "须为 mine 或 unit"})
	}
	return servePage(c, func(p service.Paging) (service.Page[service.StaffCase], error) {
		f.Paging = p
		return s.svc.ListCases(c.Request.Context(), actor(c), f)
	})
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
	d, err := s.svc.CaseDetail(c.Request.Context(), actor(c), id)
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
	if in.Given, err = decodeNamingFields(c, &in); err != nil {
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
	ok(c, http.StatusCreated, service.EventRecordOf(ev))
	return nil
}

func (s *Server) parties(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return servePage(c, func(p service.Paging) (service.Page[service.PartyView], error) {
		page, err := s.svc.Parties(c.Request.Context(), actor(c), id, p)
		return service.MapPage(page, service.PartyViews), err
	})
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
	ok(c, http.StatusCreated, service.PartyViews([]model.Party{p})[0])
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
