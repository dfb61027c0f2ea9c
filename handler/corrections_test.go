package handler_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"zsjc/model"
)

// TestCorrectAndDeleteEvents: staff see how many followers an event
// notifies, correct an event (a notice only when they ask for one) and
// delete one; the case's stage follows its latest event and every change is
// in the audit log with what the event said before.
func TestCorrectAndDeleteEvents(t *testing.T) {
	f := newCaseFixture(t)
	caseID, no := f.newCase()
	f.approvedLawyer("o-correct-1", no)
	f.approvedLawyer("o-correct-2", no)

	var count struct{ Count int }
	f.must(200, f.Do(f.clerk, "GET", fmt.Sprintf("/api/staff/cases/%d/event-recipients", caseID), nil)).JSON(t, &count)
	if count.Count != 2 {
		t.Fatalf("event recipients: %d, want 2", count.Count)
	}
	f.must(201, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/events", caseID), map[string]any{
		"stage": "审查起诉", "occurred_at": "2026-11-25T10:00:00+08:00"}))
	var ev struct{ ID uint64 }
	f.must(201, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/events", caseID), map[string]any{
		"stage": "提起公诉", "description": "已起诉", "occurred_at": "2026-11-28T10:00:00+08:00"})).JSON(t, &ev)
	path := fmt.Sprintf("/api/staff/cases/%d/events/%d", caseID, ev.ID)

	f.must(200, f.Do(f.clerk, "PUT", path, map[string]any{"stage": "不起诉", "description": "决定不起诉", "occurred_at": "2026-11-28T10:00:00+08:00"}))
	if n := f.pushes("correction:"); n != 0 {
		t.Fatalf("a correction without notify queued %d pushes", n)
	}
	f.must(200, f.Do(f.clerk, "PUT", path, map[string]any{"stage": "不起诉", "description": "决定不起诉（更正）", "occurred_at": "2026-11-28T10:00:00+08:00", "notify": true}))
	if n := f.pushes(fmt.Sprintf("correction:%d:", ev.ID)); n != 2 {
		t.Fatalf("a correction with notify queued %d pushes, want 2", n)
	}
	var c model.Case
	if err := f.DB.Take(&c, caseID).Error; err != nil || c.Stage != "不起诉" {
		t.Fatalf("stage after correction: %q %v", c.Stage, err)
	}
	f.must(422, f.Do(f.clerk, "PUT", path, map[string]any{"stage": "延长审查期限"}))

	other, _ := f.newCase()
	f.must(404, f.Do(f.clerk, "DELETE", fmt.Sprintf("/api/staff/cases/%d/events/%d", other, ev.ID), nil))
	// Two staff delete the same event at once: one succeeds, one finds it gone.
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f.Do(f.clerk, "DELETE", path, nil).Code
		}()
	}
	wg.Wait()
	if codes[0]+codes[1] != http.StatusNoContent+http.StatusNotFound {
		t.Fatalf("concurrent deletes: %v, want one 204 and one 404", codes)
	}
	if err := f.DB.Take(&c, caseID).Error; err != nil || c.Stage != "审查起诉" {
		t.Fatalf("stage after deleting the latest event: %q %v", c.Stage, err)
	}
	for action, n := range map[string]int{"case.event_correct": 2, "case.event_delete": 1} {
		rows := auditRows(t, f.Env, action)
		if len(rows) != n || rows[0].Detail == "" {
			t.Errorf("%s audit rows: %+v", action, rows)
		}
	}
}

// TestWithdrawDocument: a withdrawn document leaves the staff, H5 and
// public lists; of two concurrent withdrawals one succeeds.
func TestWithdrawDocument(t *testing.T) {
	f := newCaseFixture(t)
	caseID, no := f.newCase()
	u, _ := f.approvedLawyer("o-withdraw", no)
	doc := f.document(caseID, true)
	path := fmt.Sprintf("/api/staff/cases/%d/documents/%d/withdraw", caseID, doc)

	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = f.Do(f.clerk, "POST", path, nil).Code
		}()
	}
	wg.Wait()
	if !(codes[0] == http.StatusNoContent && codes[1] == http.StatusNotFound || codes[1] == http.StatusNoContent && codes[0] == http.StatusNotFound) {
		t.Fatalf("concurrent withdrawals: %v, want one 204 and one 404", codes)
	}
	for who, p := range map[string]string{"staff": fmt.Sprintf("/api/staff/cases/%d/documents", caseID), "h5": fmt.Sprintf("/api/h5/cases/%d/documents", caseID)} {
		caller := f.clerk
		if who == "h5" {
			caller = u
		}
		var res struct{ Items []any }
		f.must(200, f.Do(caller, "GET", p, nil)).JSON(t, &res)
		if len(res.Items) != 0 {
			t.Errorf("%s still lists the withdrawn document: %v", who, res.Items)
		}
	}
	f.must(404, f.Do(u, "GET", fmt.Sprintf("/api/h5/documents/%d/file", doc), nil))
	if rows := auditRows(t, f.Env, "document.withdraw"); len(rows) != 1 {
		t.Errorf("withdraw audit rows: %+v", rows)
	}
}
