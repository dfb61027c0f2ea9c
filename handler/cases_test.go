package handler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// TestH5AccessControl walks every /api/h5 route that takes a case,
// document, binding or upload id. Anonymous callers get 401; a user with
// no binding, with a pending or a rejected binding, or bound to another
// case gets exactly the body a nonexistent id gets; the approved owner
// gets 200.
func TestH5AccessControl(t *testing.T) {
	f := newCaseFixture(t)
	caseA, noA := f.newCase()
	caseB, noB := f.newCase(service.PartyInput{Name: "李四", Role: "被害人", IDNumber: idNumber(1)})
	_ = caseB

	owner, ownerBinding := f.approvedLawyer("owner", noA)
	ownUpload := f.upload(owner, "license", pngBytes)
	doc := f.document(caseA, false)

	stranger := f.LoginUser("stranger")
	pending := f.lawyer("pending")
	f.lawyerBinding(pending, noA)
	rejected := f.lawyer("rejected")
	rb := f.lawyerBinding(rejected, noA)
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/reject", rb), map[string]string{"reason": "委托书不清晰"}))
	other := f.LoginUser("other-case")
	f.must(201, f.Do(other, "POST", "/api/h5/bindings", map[string]string{"case_no": noB, "role": "party", "name": "李四", "id_number": idNumber(1)}))

	type route struct {
		method, pattern string
		id              uint64
	}
	// DELETE last: it ends the owner's binding.
	routes := []route{
		{"GET", "/api/h5/cases/:id", caseA},
		{"GET", "/api/h5/cases/:id/documents", caseA},
		{"GET", "/api/h5/cases/:id/review-slots", caseA},
		{"GET", "/api/h5/documents/:id/file", doc},
		{"GET", "/api/h5/uploads/:id/file", ownUpload},
		{"DELETE", "/api/h5/bindings/:id", ownerBinding},
	}

	// Every id route of these kinds must be in the walk.
	for _, r := range f.Handler.(*gin.Engine).Routes() {
		for _, prefix := range []string{"/api/h5/cases/:", "/api/h5/documents/:", "/api/h5/bindings/:", "/api/h5/uploads/:"} {
			if strings.HasPrefix(r.Path, prefix) && !slices.ContainsFunc(routes, func(x route) bool {
				return x.method == r.Method && x.pattern == r.Path
			}) {
				t.Errorf("route %s %s takes an id but is not walked by this test", r.Method, r.Path)
			}
		}
	}

	const missing = 987654321
	for _, rt := range routes {
		// An id beyond SQL's signed range is just another missing id.
		huge := strings.Replace(rt.pattern, ":id", "9999999999999999999", 1)
		if r := f.Do(owner, rt.method, huge, nil); r.Code != http.StatusNotFound {
			t.Errorf("%s %s: want 404, got %d %s", rt.method, huge, r.Code, r.Body)
		}
		path := strings.Replace(rt.pattern, ":id", fmt.Sprint(rt.id), 1)
		missingPath := strings.Replace(rt.pattern, ":id", fmt.Sprint(missing), 1)
		if r := f.Do(handlertest.Anonymous, rt.method, path, nil); r.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: want 401, got %d %s", rt.method, path, r.Code, r.Body)
		}
		for name, u := range map[string]handlertest.Caller{"no binding": stranger, "pending": pending, "rejected": rejected, "other case": other} {
			want := f.Do(u, rt.method, missingPath, nil)
			if want.Code != http.StatusNotFound {
				t.Fatalf("%s %s %s: want 404, got %d %s", name, rt.method, missingPath, want.Code, want.Body)
			}
			got := f.Do(u, rt.method, path, nil)
			if got.Code != want.Code || !bytes.Equal(got.Body, want.Body) {
				t.Errorf("%s %s %s: got %d %s, want the nonexistent id's %d %s", name, rt.method, path, got.Code, got.Body, want.Code, want.Body)
			}
		}
		if r := f.Do(owner, rt.method, path, nil); r.Code != http.StatusOK {
			t.Errorf("owner %s %s: want 200, got %d %s", rt.method, path, r.Code, r.Body)
		}
	}

	// The lists show only what is the user's own.
	var cases struct{ Items []service.H5Case }
	f.must(200, f.Do(pending, "GET", "/api/h5/cases", nil)).JSON(t, &cases)
	if len(cases.Items) != 0 {
		t.Errorf("pending lawyer sees cases %+v", cases.Items)
	}
	var bindings struct{ Items []map[string]any }
	f.must(200, f.Do(pending, "GET", "/api/h5/bindings", nil)).JSON(t, &bindings)
	if len(bindings.Items) != 1 || bindings.Items[0]["case_id"] != nil || bindings.Items[0]["case_name"] != nil {
		t.Errorf("pending binding must not name the case: %+v", bindings.Items)
	}
}

// TestCaseTimelineAndEventPushes records a staff event on a case with two
// approved bindings and one pending: the timeline and stage move, and
// exactly two pushes are queued.
func TestCaseTimelineAndEventPushes(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(7)})
	party := f.LoginUser("party")
	f.must(201, f.Do(party, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "张三", "id_number": idNumber(7)}))
	f.approvedLawyer("lawyer", no)
	f.lawyerBinding(f.lawyer("waiting"), no)

	prosecutor := f.LoginStaff(model.StaffProsecutor)
	r := f.must(201, f.Do(prosecutor, "POST", fmt.Sprintf("/api/staff/cases/%d/events", id),
		map[string]string{"stage": "提起公诉", "description": "已向人民法院提起公诉。", "occurred_at": "2026-12-02T09:30:00+08:00"}))
	var ev model.CaseEvent
	r.JSON(t, &ev)
	if n := f.pushes(fmt.Sprintf("event:%d:", ev.ID)); n != 2 {
		t.Errorf("pushes for the event: %d, want 2 (approved bindings only)", n)
	}
	var push model.PushMessage
	f.DB.Where("dedup_key LIKE ?", fmt.Sprintf("event:%d:%%", ev.ID)).First(&push)
	var data map[string]string
	_ = json.Unmarshal([]byte(push.Data), &data)
	if data["stage"] != "提起公诉" || data["time"] != "2026-12-02 09:30" || !strings.HasPrefix(data["case_name"], "测试") || push.Kind != model.PushCaseEvent {
		t.Errorf("push %s data %v", push.Kind, data)
	}

	if data["unit"] != model.DefaultRootUnitName {
		t.Errorf("event push names unit %q, want the case's (root) unit", data["unit"])
	}

	var d service.H5CaseDetail
	f.must(200, f.Do(party, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil)).JSON(t, &d)
	if d.Stage != "提起公诉" || len(d.Timeline) != 1 || d.Timeline[0].Stage != "提起公诉" {
		t.Errorf("case stage %q timeline %+v", d.Stage, d.Timeline)
	}
	if d.DaysLeft == nil || *d.DaysLeft != 10 || d.Deadline == "" {
		t.Errorf("deadline %q days left %v, want 10", d.Deadline, d.DaysLeft)
	}

	// Stage outside the vocabulary, bad time: 422 naming the fields.
	r = f.must(422, f.Do(prosecutor, "POST", fmt.Sprintf("/api/staff/cases/%d/events", id),
		map[string]string{"stage": "随便", "occurred_at": "yesterday"}))
	var body struct {
		Error struct{ Fields map[string]string }
	}
	r.JSON(t, &body)
	if body.Error.Fields["stage"] == "" || body.Error.Fields["occurred_at"] == "" {
		t.Errorf("fields %v", body.Error.Fields)
	}
	// A prosecutor may not edit parties; a clerk may, and sees only masks.
	f.must(403, f.Do(prosecutor, "GET", fmt.Sprintf("/api/staff/cases/%d/parties", id), nil))
	r = f.must(200, f.Do(f.clerk, "GET", fmt.Sprintf("/api/staff/cases/%d/parties", id), nil))
	if !strings.Contains(string(r.Body), `"id_number_masked":"1101**********`) {
		t.Errorf("parties %s", r.Body)
	}
	var audits int64
	f.DB.Model(&model.AuditLog{}).Where("action = ?", "party.view").Count(&audits)
	if audits != 1 {
		t.Errorf("party views audited %d times, want 1", audits)
	}
	// Duplicate case number → 409.
	f.must(409, f.Do(f.clerk, "POST", "/api/staff/cases", map[string]any{"case_no": no, "name": "x", "accepted_at": "2026-11-20"}))

	f.Clock.Advance(12 * 24 * time.Hour)
	party = f.LoginUser("party") // the session has expired meanwhile
	f.must(200, f.Do(party, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil)).JSON(t, &d)
	if d.DaysLeft == nil || *d.DaysLeft != -2 {
		t.Errorf("overdue days left %v, want -2", d.DaysLeft)
	}
}

// TestPublicCasesAndDocuments: important cases and public documents are
// visible without login; a non-public document is not.
func TestPublicCasesAndDocuments(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase()
	f.must(200, f.Do(f.clerk, "PUT", fmt.Sprintf("/api/staff/cases/%d", id), map[string]any{
		"name": "重要案件", "accepted_at": "2026-11-20", "stage": "提起公诉", "important": true, "summary": "公开信息",
	}))
	pub := f.document(id, true)
	secret := f.document(id, false)

	var list struct{ Items []service.PublicCase }
	f.must(200, f.Do(handlertest.Anonymous, "GET", "/api/public/cases", nil)).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].CaseNo != no || len(list.Items[0].Documents) != 1 || list.Items[0].Documents[0].ID != pub {
		t.Fatalf("public cases %+v", list.Items)
	}
	r := f.must(200, f.Do(handlertest.Anonymous, "GET", fmt.Sprintf("/api/public/documents/%d/file", pub), nil))
	if r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.Body), "%PDF") {
		t.Errorf("public document: %v", r.Header)
	}
	notFound := f.Do(handlertest.Anonymous, "GET", "/api/public/documents/999999/file", nil)
	r = f.Do(handlertest.Anonymous, "GET", fmt.Sprintf("/api/public/documents/%d/file", secret), nil)
	if r.Code != 404 || !bytes.Equal(r.Body, notFound.Body) {
		t.Errorf("non-public document: %d %s", r.Code, r.Body)
	}
	// A logged-in stranger may read the public one through the H5 route too.
	f.must(200, f.Do(f.LoginUser("anyone"), "GET", fmt.Sprintf("/api/h5/documents/%d/file", pub), nil))

	// The console's search matches number or name, wildcards taken literally.
	f.newCase()
	for q, want := range map[string]int{"": 2, "重要": 1, url.QueryEscape(no): 1, "%25": 0, "_": 0} {
		var found struct{ Items []service.StaffCase }
		f.must(200, f.Do(f.clerk, "GET", "/api/staff/cases?q="+q, nil)).JSON(t, &found)
		if len(found.Items) != want {
			t.Errorf("search %q: %d cases, want %d", q, len(found.Items), want)
		}
	}
}
