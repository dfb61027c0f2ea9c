package handler

import (
	"crypto/subtle"
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// Cookie names.
const (
	userCookie  = "zsjc_session"
	staffCookie = "zsjc_staff"
	csrfHeader  = "X-CSRF-Token"

	ctxUser           = "zsjc.user"
	ctxStaff          = "zsjc.staff"
	ctxStaffSessionID = "zsjc.staff_session_id"
)

var errCSRF = model.NewError(model.KindForbidden, "csrf_invalid", "缺少或无效的 CSRF 令牌，请刷新页面后重试")

// requireUser loads the WeChat user's H5 session or answers 401.
func (s *Server) requireUser(c *gin.Context) {
	id, err := c.Cookie(userCookie)
	if err != nil {
		fail(c, model.ErrUnauthorized)
		return
	}
	sess, err := s.svc.UserSession(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.Set(ctxUser, sess)
	c.Next()
}

// currentUser is the H5 session set by requireUser.
func currentUser(c *gin.Context) service.UserSession {
	return c.MustGet(ctxUser).(service.UserSession)
}

// requireStaff loads the console session, or answers 401, and checks the
// CSRF token on every request that changes state.
func (s *Server) requireStaff(c *gin.Context) {
	id, err := c.Cookie(staffCookie)
	if err != nil {
		fail(c, model.ErrUnauthorized)
		return
	}
	sess, err := s.svc.StaffSession(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if !safeMethod(c.Request.Method) {
		got := c.GetHeader(csrfHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			fail(c, errCSRF)
			return
		}
	}
	c.Set(ctxStaff, sess)
	c.Set(ctxStaffSessionID, id)
	c.Next()
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// currentStaff is the console session set by requireStaff.
func currentStaff(c *gin.Context) service.StaffSession {
	return c.MustGet(ctxStaff).(service.StaffSession)
}

// actor is the audit actor of the current staff request.
func actor(c *gin.Context) service.Actor {
	return currentStaff(c).Actor(c.ClientIP())
}

// setCookie sets a session cookie: HttpOnly, SameSite=Lax, Secure over https.
func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}
