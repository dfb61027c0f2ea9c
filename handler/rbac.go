package handler

import (
	"slices"

	"github.com/gin-gonic/gin"

	"zsjc/model"
)

// staffRoute is one row of the staff API's access table: every staff route
// is declared with the roles allowed to call it, and nowhere else is a role
// checked.
type staffRoute struct {
	method, path string
	roles        []string
	handle       gin.HandlerFunc
}

// Role sets used in the table. anyStaff are the roles of case work; the
// 控申 staff (complaints) take part in their own session, the unit list,
// the statistics, the complaints queue and the ratings only.
var (
	anyStaff   = []string{model.StaffAdmin, model.StaffCaseManager, model.StaffProsecutor}
	everyStaff = []string{model.StaffAdmin, model.StaffCaseManager, model.StaffProsecutor, model.StaffComplaints}
	adminOnly  = []string{model.StaffAdmin}
	caseOffice = []string{model.StaffAdmin, model.StaffCaseManager}
	// complaintDesk handle complaints (控告申诉) of their scope.
	complaintDesk = []string{model.StaffAdmin, model.StaffComplaints}
	// ratingReaders see the ratings of their scope.
	ratingReaders = []string{model.StaffAdmin, model.StaffCaseManager, model.StaffComplaints}
)

// allow refuses staff whose role is not in roles with 403.
func allow(roles []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !slices.Contains(roles, currentStaff(c).Role) {
			fail(c, model.ErrForbidden)
			return
		}
		c.Next()
	}
}

// registerStaff mounts the table on the authenticated staff group.
func registerStaff(g *gin.RouterGroup, table []staffRoute) {
	for _, rt := range table {
		g.Handle(rt.method, rt.path, allow(rt.roles), rt.handle)
	}
}

// permissionsByRole lists, for each role, the "METHOD /path" rows of the
// table it may call; /api/staff/me serves them so the console shows only
// what the role may do.
func permissionsByRole(table []staffRoute) map[string][]string {
	out := map[string][]string{}
	for _, rt := range table {
		for _, role := range rt.roles {
			out[role] = append(out[role], rt.method+" "+rt.path)
		}
	}
	return out
}
