package handler_test

import (
	"net/http"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// Staff queues show applicants' personal data; every read of one leaves an
// audit row naming the reader.
func TestStaffQueueReadsAreAudited(t *testing.T) {
	env := handlertest.New(t)
	staff := env.LoginStaff(model.StaffCaseManager)
	for path, action := range map[string]string{
		"/api/staff/bindings?status=pending": "binding.list",
		"/api/staff/reviews":                 "review.list",
		"/api/staff/meetings":                "meeting.list",
	} {
		if r := env.Do(staff, http.MethodGet, path, nil); r.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Code, r.Body)
		}
		var rows []model.AuditLog
		if err := env.DB.Where("action = ?", action).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ActorID == nil || *rows[0].ActorID != staff.StaffID {
			t.Fatalf("%s: audit rows %+v, want one by staff %d", path, rows, staff.StaffID)
		}
	}
	// A refused read (bad filter) shows nothing and audits nothing.
	if r := env.Do(staff, http.MethodGet, "/api/staff/reviews?status=bogus", nil); r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad status filter: %d", r.Code)
	}
	var n int64
	env.DB.Model(&model.AuditLog{}).Where("action = ?", "review.list").Count(&n)
	if n != 1 {
		t.Fatalf("%d review.list rows after a refused read, want 1", n)
	}
}
