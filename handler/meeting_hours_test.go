package handler_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMeetingConfirmationKeepsReceptionHours: staff are held to the hours
// lawyers are (working days, reception hours) unless they give a reason,
// which the audit log keeps.
func TestMeetingConfirmationKeepsReceptionHours(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	for _, when := range []time.Time{at("2026-12-06", "23:00"), at(friday, "12:30"), at(friday, "08:00")} {
		id := f.meeting(f.lawyer(caseID), caseID)
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input",
			f.staffDo("meetings", id, "confirm", map[string]string{"time": when.Format(time.RFC3339), "place": "接待室"}))
		if msg := errorMessage(t, r); !strings.Contains(msg, "09:00-12:00") {
			t.Errorf("%s: refusal does not name the hours: %s", when, r.Body)
		}
		f.expect(http.StatusOK, f.staffDo("meetings", id, "confirm", map[string]string{
			"time": when.Format(time.RFC3339), "place": "接待室", "outside_hours_reason": "律师当日出庭，经领导同意"}))
	}
	rows := auditRows(t, f.Env, "meeting.confirmed")
	if len(rows) != 3 || !strings.Contains(rows[0].Detail, "非工作时间：律师当日出庭") {
		t.Errorf("audit rows of the confirmations: %+v", rows)
	}
}
