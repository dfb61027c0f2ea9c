package handler_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// Finding 5 of the security review: dates outside what the database can
// hold gave 500s. Every date is bounded (1949-10-01 … now + 10 years;
// events at most a day ahead) and refused with 422 naming the field.
func TestOutOfRangeDatesAre422(t *testing.T) {
	f := newApptFixture(t)
	admin := f.LoginStaff(model.StaffAdmin)
	caseID := f.newCase()
	lawyer := f.lawyer(caseID)
	meeting := f.meeting(lawyer, caseID)
	expectField := func(what, field string, r handlertest.Response) {
		t.Helper()
		var body struct {
			Error struct{ Fields map[string]string }
		}
		r.JSON(t, &body)
		if r.Code != http.StatusUnprocessableEntity || body.Error.Fields[field] == "" {
			t.Errorf("%s: %d %s, want 422 on %s%s", what, r.Code, r.Body, field, f.serverErrors(r))
		}
	}
	newCase := func(acceptedAt, deadline string) map[string]any {
		return map[string]any{"case_no": f.Unique("京检刑受〔2026〕日期"), "name": "日期案", "cause": "盗窃罪", "unit": "第一检察部",
			"accepted_at": acceptedAt, "deadline": deadline, "stage": "受理"}
	}
	for _, v := range []string{"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "1949-09-30", "2037-01-01T00:00:00+08:00"} {
		expectField("accepted_at "+v, "accepted_at", f.Do(admin, "POST", "/api/staff/cases", newCase(v, "2027-01-10")))
	}
	for _, v := range []string{"0001-01-01", "9999-12-31"} {
		expectField("deadline "+v, "deadline", f.Do(admin, "POST", "/api/staff/cases", newCase("2026-11-20T09:00:00+08:00", v)))
	}
	f.expect(http.StatusCreated, f.Do(admin, "POST", "/api/staff/cases", newCase("1949-10-01", "2036-11-30")))
	events := fmt.Sprintf("/api/staff/cases/%d/events", caseID)
	for _, v := range []string{"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", f.Clock.Now().AddDate(0, 0, 2).Format("2006-01-02T15:04:05Z07:00")} {
		expectField("event at "+v, "occurred_at", f.Do(admin, "POST", events, map[string]string{"stage": "提起公诉", "occurred_at": v}))
	}
	expectField("meeting confirmed for 9999", "time", f.Do(admin, "POST", fmt.Sprintf("/api/staff/meetings/%d/confirm", meeting),
		map[string]string{"time": "9999-12-31T23:59:59-23:59", "place": "接待室"}))
	for name, v := range map[string]string{"from": "0000-01-01", "to": "9999-12-31T23:59:59-23:59"} {
		expectField("audit "+name, name, f.Do(admin, "GET", "/api/staff/audit?"+name+"="+url.QueryEscape(v), nil))
	}
	expectField("slot date", "date", f.Do(admin, "POST", "/api/staff/review-slots",
		map[string]any{"date": "9999-12-31", "period": "am", "room": "第一阅卷室", "capacity": 2}))
}
