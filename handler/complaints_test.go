package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// complaintFixture is the appointment fixture with two sibling units below
// the root, c-a and c-b, each with a 控申 staff member.
type complaintFixture struct {
	*apptFixture
	desk map[string]handlertest.Caller
}

func newComplaintFixture(t *testing.T) *complaintFixture {
	f := &complaintFixture{apptFixture: newApptFixture(t), desk: map[string]handlertest.Caller{}}
	for _, code := range []string{"c-a", "c-b"} {
		parent := model.RootUnitCode
		if _, err := f.Svc.CreateUnit(context.Background(), service.System, service.UnitInput{Code: &code, Name: &code, ParentCode: &parent}); err != nil {
			t.Fatal(err)
		}
		f.desk[code] = f.remember(f.Env.LoginStaffIn(model.StaffComplaints, code))
	}
	return f
}

func (f *complaintFixture) submit(u handlertest.Caller, body map[string]any) handlertest.Response {
	return f.Do(u, http.MethodPost, "/api/h5/complaints", body)
}

func (f *complaintFixture) step(staff handlertest.Caller, id uint64, action string, body any) handlertest.Response {
	return f.Do(staff, http.MethodPost, fmt.Sprintf("/api/staff/complaints/%d/%s", id, action), body)
}

func (f *complaintFixture) complaint(u handlertest.Caller, id uint64) service.ComplaintView {
	f.t.Helper()
	var v service.ComplaintView
	f.expect(http.StatusOK, f.Do(u, http.MethodGet, fmt.Sprintf("/api/h5/complaints/%d", id), nil)).JSON(f.t, &v)
	return v
}

// queue lists the ids in the staff member's complaints queue.
func (f *complaintFixture) queue(staff handlertest.Caller) []uint64 {
	f.t.Helper()
	var page service.Page[service.ComplaintView]
	f.expect(http.StatusOK, f.Do(staff, http.MethodGet, "/api/staff/complaints", nil)).JSON(f.t, &page)
	ids := []uint64{}
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func (f *complaintFixture) upload(u handlertest.Caller) uint64 {
	f.t.Helper()
	r := f.Send(f.current(u), multipartRequest("/api/h5/uploads", map[string]string{"kind": "other"}, "截图.pdf", pdfBytes(64)))
	return idOf(f.t, f.expect(http.StatusCreated, r))
}

// TestComplaintJourney: a complaint is submitted, acknowledged, transferred
// to a sibling unit, acknowledged there and resolved; every step is pushed
// to the complainant and shown in the timeline; each unit's 控申 staff
// reach it only while it is with their unit (else the same 404 as an
// absent one); the complainant may then rate it.
func TestComplaintJourney(t *testing.T) {
	f := newComplaintFixture(t)
	u := f.LoginUser(f.Unique("openid-complainant-"))
	file := f.upload(u)
	stranger := f.LoginUser(f.Unique("openid-stranger-"))

	unbound := f.newCase()
	absent := f.expect(http.StatusNotFound, f.submit(u, map[string]any{"category": "other", "case_id": unbound + 1000, "content": "x"}))
	if r := f.expect(http.StatusNotFound, f.submit(u, map[string]any{"category": "other", "case_id": unbound, "content": "x"})); string(r.Body) != string(absent.Body) {
		t.Fatalf("a case not the user's %s, an absent one %s", r.Body, absent.Body)
	}
	for field, body := range map[string]map[string]any{
		"category":    {"category": "公开", "unit_code": "c-a", "content": "x"},
		"content":     {"category": "other", "unit_code": "c-a", "content": strings.Repeat("字", 2001)},
		"unit_code":   {"category": "other", "unit_code": "nowhere", "content": "x"},
		"attachments": {"category": "other", "unit_code": "c-a", "content": "x", "attachments": []uint64{f.upload(stranger)}},
	} {
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.submit(u, body))
		if !strings.Contains(string(r.Body), `"`+field+`"`) {
			t.Errorf("%s: %s", field, r.Body)
		}
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input",
		f.submit(u, map[string]any{"category": "other", "unit_code": "c-a", "content": "x", "attachments": []uint64{1, 2, 3, 4, 5, 6}}))

	var v service.ComplaintView
	f.expect(http.StatusCreated, f.submit(u, map[string]any{"category": "disclosure_missing", "unit_code": "c-a",
		"content": "起诉书未向当事人公开", "attachments": []uint64{file}})).JSON(t, &v)
	id := v.ID
	if v.Status != model.StatusSubmitted || len(v.Steps) != 1 || v.Unit.Code != "c-a" || len(v.Attachments) != 1 || v.CategoryLabel != "应公开未公开" {
		t.Fatalf("submitted: %+v", v)
	}
	pushed := func(want int64) {
		t.Helper()
		if n := f.pushes(fmt.Sprintf("complaint:%d:", id)); n != want {
			t.Fatalf("complaint pushes: %d, want %d", n, want)
		}
	}
	pushed(1)
	f.expect(http.StatusNotFound, f.Do(stranger, http.MethodGet, fmt.Sprintf("/api/h5/complaints/%d", id), nil))

	a, b := f.desk["c-a"], f.desk["c-b"]
	if q := f.queue(b); slices.Contains(q, id) {
		t.Fatal("the sibling unit's queue lists the complaint")
	}
	f.expect(http.StatusNotFound, f.step(b, id, "acknowledge", map[string]string{"note": "受理"}))
	if !slices.Contains(f.queue(a), id) {
		t.Fatal("the unit's queue does not list the complaint")
	}
	f.expectError(http.StatusConflict, "invalid_state", f.step(a, id, "resolve", map[string]string{"result": "答复"}))
	f.expect(http.StatusOK, f.step(a, id, "acknowledge", map[string]string{"note": "已受理"}))
	pushed(2)
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.step(a, id, "transfer", map[string]string{"unit_code": "c-a"}))
	f.expect(http.StatusOK, f.step(a, id, "transfer", map[string]string{"unit_code": "c-b", "note": "属 c-b 管辖"}))
	pushed(3)
	f.expect(http.StatusNotFound, f.step(a, id, "acknowledge", map[string]string{}))
	f.expect(http.StatusNotFound, f.Do(a, http.MethodGet, fmt.Sprintf("/api/staff/complaints/%d/attachments/%d", id, file), nil))
	if r := f.Do(b, http.MethodGet, fmt.Sprintf("/api/staff/complaints/%d/attachments/%d", id, file), nil); r.Code != http.StatusOK || !strings.HasPrefix(string(r.Body), "%PDF") {
		t.Fatalf("attachment for the unit it is with: %d", r.Code)
	}
	f.expect(http.StatusOK, f.step(b, id, "acknowledge", map[string]string{}))
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.step(b, id, "resolve", map[string]string{"result": " "}))
	f.expect(http.StatusOK, f.step(b, id, "resolve", map[string]string{"result": "已责成公开"}))
	pushed(5)
	f.expectError(http.StatusConflict, "invalid_state", f.step(b, id, "transfer", map[string]string{"unit_code": "c-a"}))

	v = f.complaint(u, id)
	var actions []model.Status
	for _, st := range v.Steps {
		actions = append(actions, st.Action)
	}
	want := []model.Status{model.StatusSubmitted, model.StatusAcknowledged, model.StatusTransferred, model.StatusAcknowledged, model.StatusResolved}
	if !slices.Equal(actions, want) || v.Steps[2].Note != "属 c-b 管辖" || v.Steps[2].Unit.Code != "c-b" || v.Result != "已责成公开" {
		t.Fatalf("timeline: %+v", v)
	}
	if n := f.pushes(fmt.Sprintf("rating:complaint:%d:", id)); n != 1 {
		t.Fatalf("rating invitations: %d", n)
	}
	f.expect(http.StatusCreated, f.rate(u, "complaint", id, 5))
	var mine struct{ Items []service.ComplaintView }
	f.expect(http.StatusOK, f.Do(u, http.MethodGet, "/api/h5/complaints", nil)).JSON(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != id {
		t.Fatalf("my complaints: %+v", mine)
	}
	if r := f.Do(f.remember(f.Env.LoginStaffIn(model.StaffCaseManager, "c-b")), http.MethodGet, "/api/staff/complaints", nil); r.Code != http.StatusForbidden {
		t.Errorf("a case manager's complaints queue: %d", r.Code)
	}
}

// TestComplaintOverdue: with a controlled clock, a complaint not
// acknowledged within 7 days and one without a result within the
// configured months are flagged, counted by the overdue metric and by the
// statistics.
func TestComplaintOverdue(t *testing.T) {
	f := newComplaintFixture(t)
	u := f.LoginUser(f.Unique("openid-complainant-"))
	a := f.desk["c-a"]
	var v service.ComplaintView
	f.expect(http.StatusCreated, f.submit(u, map[string]any{"category": "lawyer_rights", "unit_code": "c-a", "content": "会见被拒"})).JSON(t, &v)
	if v.AcknowledgeOverdue || v.ResultOverdue || !v.ResultBy.Equal(v.CreatedAt.In(beijing).AddDate(0, 3, 0).UTC()) {
		t.Fatalf("fresh complaint: %+v", v)
	}
	overdue := func() map[string]int64 {
		t.Helper()
		n, err := f.Svc.OverdueRequests(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	figures := func() map[string]any {
		t.Helper()
		var stats service.StatsView
		from := v.CreatedAt.In(beijing).Format("2006-01-02")
		f.expect(http.StatusOK, f.Do(a, http.MethodGet, "/api/staff/stats?unit=c-a&from="+from, nil)).JSON(t, &stats)
		return stats.Figures
	}
	f.Clock.Advance(7*24*time.Hour + time.Minute)
	if v = f.complaint(u, v.ID); !v.AcknowledgeOverdue || v.ResultOverdue {
		t.Fatalf("after 7 days: %+v", v)
	}
	if n := overdue(); n["complaint_acknowledge"] != 1 || n["complaint_result"] != 0 {
		t.Fatalf("overdue metric: %v", n)
	}
	if fig := figures(); fig["complaints_acknowledge_overdue_open"] != float64(1) || fig["complaints_received"] != float64(1) {
		t.Fatalf("figures: %v", fig)
	}
	f.expect(http.StatusOK, f.step(a, v.ID, "acknowledge", map[string]string{}))
	f.Clock.Advance(90 * 24 * time.Hour)
	if v = f.complaint(u, v.ID); v.AcknowledgeOverdue || !v.ResultOverdue {
		t.Fatalf("after 3 months: %+v", v)
	}
	if n := overdue(); n["complaint_acknowledge"] != 0 || n["complaint_result"] != 1 {
		t.Fatalf("overdue metric: %v", n)
	}
	if fig := figures(); fig["complaints_result_overdue_open"] != float64(1) || fig["complaints_acknowledge_overdue_open"] != float64(0) {
		t.Fatalf("figures: %v", fig)
	}
	f.expect(http.StatusOK, f.step(a, v.ID, "resolve", map[string]string{"result": "已答复"}))
	if fig := figures(); fig["complaints_resolved_late"] != float64(1) || fig["complaints_result_overdue_open"] != float64(0) {
		t.Fatalf("figures after the late result: %v", fig)
	}
}

// TestComplaintAcknowledgeTransferRace: staff acknowledging a complaint
// while a colleague transfers it leave one consistent result: the transfer
// always lands; the acknowledgement either lands before it (then it is in
// the trail and audited once) or finds the complaint gone to the other unit
// (404) and leaves no trace. Of two acknowledgements at once one lands.
func TestComplaintAcknowledgeTransferRace(t *testing.T) {
	f := newComplaintFixture(t)
	u := f.LoginUser(f.Unique("openid-complainant-"))
	a1, a2 := f.desk["c-a"], f.remember(f.Env.LoginStaffIn(model.StaffComplaints, "c-a"))
	for range 8 {
		id := idOf(t, f.expect(http.StatusCreated, f.submit(u, map[string]any{"category": "other", "unit_code": "c-a", "content": "竞争"})))
		var ack, transfer int
		var wg sync.WaitGroup
		wg.Go(func() { ack = f.step(a1, id, "acknowledge", map[string]string{"note": "受理"}).Code })
		wg.Go(func() { transfer = f.step(a2, id, "transfer", map[string]string{"unit_code": "c-b"}).Code })
		wg.Wait()
		if transfer != http.StatusOK || (ack != http.StatusOK && ack != http.StatusNotFound) {
			t.Fatalf("acknowledge %d, transfer %d", ack, transfer)
		}
		var c model.Complaint
		if err := f.DB.Take(&c, id).Error; err != nil {
			t.Fatal(err)
		}
		var steps, audits int64
		f.DB.Model(&model.ComplaintStep{}).Where("complaint_id = ? AND action = ?", id, model.StatusAcknowledged).Count(&steps)
		f.DB.Model(&model.AuditLog{}).Where("target = ? AND action = ?", fmt.Sprintf("complaint:%d", id), "complaint.acknowledged").Count(&audits)
		acked := int64(0)
		if ack == http.StatusOK {
			acked = 1
		}
		if c.Status != model.StatusTransferred || c.AcknowledgedAt != nil || steps != acked || audits != acked {
			t.Fatalf("acknowledge %d: status %s, acknowledged_at %v, steps %d, audits %d", ack, c.Status, c.AcknowledgedAt, steps, audits)
		}
	}
	// Two acknowledgements at once: one lands, the other is a 409 naming
	// the new state.
	id := idOf(t, f.expect(http.StatusCreated, f.submit(u, map[string]any{"category": "other", "unit_code": "c-a", "content": "同时受理"})))
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, staff := range []handlertest.Caller{a1, a2} {
		wg.Go(func() { codes[i] = f.step(staff, id, "acknowledge", map[string]string{}).Code })
	}
	wg.Wait()
	slices.Sort(codes)
	var steps int64
	f.DB.Model(&model.ComplaintStep{}).Where("complaint_id = ? AND action = ?", id, model.StatusAcknowledged).Count(&steps)
	if codes[0] != http.StatusOK || codes[1] != http.StatusConflict || steps != 1 {
		t.Fatalf("two acknowledgements: %v, %d steps", codes, steps)
	}
}
