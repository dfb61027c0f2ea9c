package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// staffLoginRoutes mounts the one staff route outside the session: login.
func (s *Server) staffLoginRoutes(staff *gin.RouterGroup) {
	staff.POST("/login", must(s.staffLogin))
}

// identityStaffRoutes are the staff routes of accounts and the audit log.
func (s *Server) identityStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodPost, "/logout", everyStaff, must(s.staffLogout)},
		{http.MethodGet, "/me", everyStaff, must(s.staffMe)},
		{http.MethodPost, "/me/password", everyStaff, must(s.changeOwnPassword)},
		{http.MethodGet, "/users", adminOnly, must(s.listStaff)},
		{http.MethodPost, "/users", adminOnly, must(s.createStaff)},
		{http.MethodPost, "/users/:id/disable", adminOnly, must(s.disableStaff)},
		{http.MethodPost, "/users/:id/enable", adminOnly, must(s.enableStaff)},
		{http.MethodPost, "/users/:id/reset-password", adminOnly, must(s.resetStaffPassword)},
		{http.MethodGet, "/audit", adminOnly, must(s.auditLog)},
		{http.MethodGet, "/units", everyStaff, must(s.listUnits)},
		{http.MethodPost, "/units", adminOnly, must(s.createUnit)},
		{http.MethodPut, "/units/:code", adminOnly, must(s.updateUnit)},
		{http.MethodDelete, "/units/:code", adminOnly, must(s.deleteUnit)},
	}
}

type staffLoginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// staffSessionBody is the pinned answer of a login and of /me: the CSRF
// token the console sends as X-CSRF-Token, the account, the staff routes
// ("POST /bindings/:id/approve") the account's role may call, and the
// office time zone, in which the console shows and edits every date
// (whatever the browser's own zone).
type staffSessionBody struct {
	CSRFToken   string   `json:"csrf_token"`
	User        any      `json:"user"`
	Permissions []string `json:"permissions"`
	TimeZone    string   `json:"time_zone"`
}

func (s *Server) staffLogin(c *gin.Context) error {
	var in staffLoginBody
	if err := decode(c, &in); err != nil {
		return err
	}
	sid, sess, st, err := s.svc.StaffLogin(c.Request.Context(), in.Username, in.Password, c.ClientIP())
	if err != nil {
		return err
	}
	s.setCookie(c, staffCookie, sid, int(service.StaffSessionLifetime.Seconds()))
	c.Header("Cache-Control", "no-store")
	ok(c, http.StatusOK, staffSessionBody{CSRFToken: sess.CSRFToken, User: s.svc.StaffView(st), Permissions: s.permissions[st.Role], TimeZone: s.svc.Location().String()})
	return nil
}

func (s *Server) staffLogout(c *gin.Context) error {
	if err := s.svc.StaffLogout(c.Request.Context(), actor(c), c.GetString(ctxStaffSessionID)); err != nil {
		return err
	}
	s.setCookie(c, staffCookie, "", -1)
	c.Status(http.StatusNoContent)
	return nil
}

// staffMe lets a reloaded console find its account and CSRF token again.
func (s *Server) staffMe(c *gin.Context) error {
	sess := currentStaff(c)
	st, err := s.svc.StaffAccount(c.Request.Context(), sess.StaffID)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	ok(c, http.StatusOK, staffSessionBody{CSRFToken: sess.CSRFToken, User: s.svc.StaffView(st), Permissions: s.permissions[st.Role], TimeZone: s.svc.Location().String()})
	return nil
}

type changePasswordBody struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changeOwnPassword replaces the caller's password; the account's other
// sessions end, and this one continues under a new cookie and CSRF token.
func (s *Server) changeOwnPassword(c *gin.Context) error {
	var in changePasswordBody
	if err := decode(c, &in); err != nil {
		return err
	}
	sid, sess, err := s.svc.ChangeOwnPassword(c.Request.Context(), actor(c), c.GetString(ctxStaffSessionID), in.Current, in.New)
	if err != nil {
		return err
	}
	st, err := s.svc.StaffAccount(c.Request.Context(), sess.StaffID)
	if err != nil {
		return err
	}
	s.setCookie(c, staffCookie, sid, int(service.StaffSessionLifetime.Seconds()))
	c.Header("Cache-Control", "no-store")
	ok(c, http.StatusOK, staffSessionBody{CSRFToken: sess.CSRFToken, User: s.svc.StaffView(st), Permissions: s.permissions[st.Role], TimeZone: s.svc.Location().String()})
	return nil
}
