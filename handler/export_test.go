package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// StaffRouteSpec is one row of the staff access table.
type StaffRouteSpec struct {
	Method, Path string
	Roles        []string
}

// StaffRoutes returns every row of the staff access table, with the full path.
func StaffRoutes(svc *service.Service) []StaffRouteSpec {
	s := &Server{svc: svc, bodyLimits: map[string]int64{}}
	var out []StaffRouteSpec
	for _, rt := range s.staffTable() {
		out = append(out, StaffRouteSpec{rt.method, "/api/staff" + rt.path, rt.roles})
	}
	return out
}

// MountStaffRoute adds a staff route to h (made by New) behind the same
// middleware as the table's rows, so tests can probe that middleware.
func MountStaffRoute(h http.Handler, svc *service.Service, method, path string, roles []string, handle gin.HandlerFunc) {
	s := &Server{svc: svc}
	registerStaff(h.(*gin.Engine).Group("/api/staff", s.requireStaff, s.auditStaffWrites),
		[]staffRoute{{method, path, roles, handle}})
}
