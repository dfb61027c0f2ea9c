package handler_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/model"
)

// samplePath fills a route pattern's parameters (":id" → "1").
func samplePath(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

// TestRBACEveryStaffRoute walks every row of the staff access table, as
// anonymous and as every role: anonymous → 401, a role not in the row →
// 403, a role in the row → neither.
func TestRBACEveryStaffRoute(t *testing.T) {
	env := handlertest.New(t)
	table := handler.StaffRoutes(env.Svc)
	if len(table) == 0 {
		t.Fatal("the staff access table is empty")
	}
	accounts := map[string]model.Staff{}
	for _, role := range model.StaffRoles {
		caller := env.LoginStaff(role)
		var st model.Staff
		if err := env.DB.Take(&st, caller.StaffID).Error; err != nil {
			t.Fatal(err)
		}
		accounts[role] = st
	}
	// Each request gets a fresh session, so a row that ends its session
	// (logout) or changes an account does not spoil the next one.
	session := func(role string) handlertest.Caller {
		id, sess, err := env.Svc.NewStaffSession(context.Background(), accounts[role])
		if err != nil {
			t.Fatal(err)
		}
		return handlertest.Caller{Cookie: &http.Cookie{Name: "zsjc_staff", Value: id}, CSRF: sess.CSRFToken}
	}
	for _, rt := range table {
		path := samplePath(rt.Path)
		var body any
		if rt.Method != http.MethodGet {
			body = "{}"
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			if r := env.Do(handlertest.Anonymous, rt.Method, path, body); r.Code != http.StatusUnauthorized {
				t.Errorf("anonymous: %d %s, want 401", r.Code, r.Body)
			}
			for _, role := range model.StaffRoles {
				r := env.Do(session(role), rt.Method, path, body)
				allowed := slices.Contains(rt.Roles, role)
				switch {
				case !allowed && r.Code != http.StatusForbidden:
					t.Errorf("%s (not allowed): %d %s, want 403", role, r.Code, r.Body)
				case allowed && (r.Code == http.StatusUnauthorized || r.Code == http.StatusForbidden):
					t.Errorf("%s (allowed): %d %s", role, r.Code, r.Body)
				}
			}
		})
	}
}

// TestRBACTableIsTheOnlyWayIn checks that every authenticated staff route
// the server serves is a row of the access table: no route bypasses it.
func TestRBACTableIsTheOnlyWayIn(t *testing.T) {
	env := handlertest.New(t)
	inTable := map[string]bool{}
	for _, rt := range handler.StaffRoutes(env.Svc) {
		key := rt.Method + " " + rt.Path
		if inTable[key] {
			t.Errorf("%s appears twice in the access table", key)
		}
		inTable[key] = true
		if len(rt.Roles) == 0 {
			t.Errorf("%s allows no role", key)
		}
	}
	for _, ri := range env.Handler.(*gin.Engine).Routes() {
		key := ri.Method + " " + ri.Path
		if !strings.HasPrefix(ri.Path, "/api/staff/") || key == "POST /api/staff/login" || key == "POST /api/staff/login/2fa" {
			continue
		}
		if !inTable[key] {
			t.Errorf("%s is served but not in the access table", key)
		}
	}
}

// TestStaffMeServesTheRolesPermissions: /me lists exactly the table's rows
// the caller's role may call, so the console's menus match the 403s.
func TestStaffMeServesTheRolesPermissions(t *testing.T) {
	env := handlertest.New(t)
	table := handler.StaffRoutes(env.Svc)
	for _, role := range model.StaffRoles {
		var want []string
		for _, rt := range table {
			if slices.Contains(rt.Roles, role) {
				want = append(want, rt.Method+" "+strings.TrimPrefix(rt.Path, "/api/staff"))
			}
		}
		var me struct {
			Permissions []string `json:"permissions"`
		}
		r := env.Do(env.LoginStaff(role), http.MethodGet, "/api/staff/me", nil)
		r.JSON(t, &me)
		slices.Sort(want)
		slices.Sort(me.Permissions)
		if !slices.Equal(me.Permissions, want) {
			t.Errorf("%s: permissions %q, want %q", role, me.Permissions, want)
		}
		if role == model.StaffProsecutor && (slices.Contains(me.Permissions, "GET /audit") || slices.Contains(me.Permissions, "POST /bindings/:id/approve")) {
			t.Errorf("a prosecutor is offered admin or case-office actions: %q", me.Permissions)
		}
	}
}
