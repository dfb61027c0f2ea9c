package handler

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// auditLog lists the audit log: ?actor=&action=&target= match exactly;
// ?from=&to= are dates (YYYY-MM-DD, office time, both inclusive) or
// RFC 3339 instants (to exclusive); ?page=&page_size= page it.
func (s *Server) auditLog(c *gin.Context) error {
	fe := model.FieldErrors{}
	q := service.AuditQuery{Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target")}
	q.From = s.queryTime(c, fe, "from", false)
	q.To = s.queryTime(c, fe, "to", true)
	q.Paging = paging(c, fe)
	if err := fe.Err(); err != nil {
		return err
	}
	page, err := s.svc.AuditLog(c.Request.Context(), actor(c), q)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, page)
	return nil
}

// queryTime parses a date or RFC 3339 query parameter; a date given as an
// upper bound means the end of that day.
func (s *Server) queryTime(c *gin.Context, fe model.FieldErrors, name string, upper bool) time.Time {
	raw := c.Query(name)
	if raw == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, raw)
	if d, derr := time.ParseInLocation("2006-01-02", raw, s.svc.Location()); derr == nil {
		t, err = d, nil
		if upper {
			t = d.AddDate(0, 0, 1)
		}
	}
	if err != nil {
		fe.Add(name, "日期格式有误，请按 2026-01-02 的形式填写")
		return time.Time{}
	}
	if !s.svc.CheckDate(fe, name, t) {
		return time.Time{}
	}
	return t
}

// queryInt parses an optional whole-number query parameter in [lo, hi]
// (0 when absent).
func queryInt(c *gin.Context, fe model.FieldErrors, name string, lo, hi int) int {
	raw := c.Query(name)
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		fe.Add(name, "须为 "+strconv.Itoa(lo)+"–"+strconv.Itoa(hi)+" 之间的整数")
		return 0
	}
	return n
}

// auditStaffWrites is the safety net under the staff API: a staff request
// that changed something (2xx) without its use case writing an audit row
// still gets one, naming the route, and the gap is logged as a warning.
// Use cases that audit themselves are not logged twice.
func (s *Server) auditStaffWrites(c *gin.Context) {
	if safeMethod(c.Request.Method) {
		c.Next()
		return
	}
	ctx, tracker := service.TrackAudit(c.Request.Context())
	c.Request = c.Request.WithContext(ctx)
	c.Next()
	if c.Writer.Status() >= 300 || tracker.Written() {
		return
	}
	route := c.Request.Method + " " + c.FullPath()
	logger(c).Warn("staff write without audit row", "route", route)
	if err := s.svc.Audit(ctx, actor(c), "http.write", c.Request.URL.Path, route); err != nil {
		logger(c).Error("fallback audit row", "route", route, "err", err)
	}
}
