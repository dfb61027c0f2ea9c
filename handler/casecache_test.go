package handler_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// h5Case is what the H5 case page reads.
type h5Case struct {
	Name     string `json:"name"`
	Stage    string `json:"stage"`
	Result   string `json:"result"`
	Timeline []struct {
		Stage string `json:"stage"`
	} `json:"timeline"`
}

func (f *caseFixture) h5Case(u handlertest.Caller, id uint64) h5Case {
	f.t.Helper()
	var c h5Case
	f.must(200, f.Do(u, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil)).JSON(f.t, &c)
	return c
}

// TestH5CaseViewFollowsEveryWrite: the H5 case view is cached between
// requests, yet every kind of write shows in the very next read: staff
// edits and events, the integration API, a write that bypasses the use
// cases altogether, and a revoked binding (404 at once).
func TestH5CaseViewFollowsEveryWrite(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase()
	u, bindingID := f.approvedLawyer("o-cached", no)
	if c := f.h5Case(u, id); c.Stage != "审查起诉" || len(c.Timeline) != 0 {
		t.Fatalf("first read %+v", c)
	}
	f.h5Case(u, id) // served from the cache now

	f.must(200, f.Do(f.clerk, "PUT", fmt.Sprintf("/api/staff/cases/%d", id), map[string]any{
		"name": "改名后的案件", "cause": "盗窃罪", "unit": "第一检察部", "accepted_at": "2026-11-20", "stage": "审查起诉",
	}))
	if c := f.h5Case(u, id); c.Name != "改名后的案件" {
		t.Errorf("after the staff edit: %+v", c)
	}

	f.must(201, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/events", id), map[string]any{"stage": "提起公诉"}))
	if c := f.h5Case(u, id); c.Stage != "提起公诉" || len(c.Timeline) != 1 {
		t.Errorf("after the staff event: %+v", c)
	}

	body, _ := json.Marshal(map[string]string{"event_id": "ext-1", "stage": "审结",
		"occurred_at": f.Clock.Now().Format(time.RFC3339)})
	f.must(201, f.signed("POST", "/api/integration/cases/"+url.PathEscape(no)+"/events", body))
	if c := f.h5Case(u, id); c.Stage != "审结" || len(c.Timeline) != 2 {
		t.Errorf("after the integration event: %+v", c)
	}

	if err := f.DB.Model(&model.Case{}).Where("id = ?", id).Update("result", "直接写入").Error; err != nil {
		t.Fatal(err)
	}
	if c := f.h5Case(u, id); c.Result != "直接写入" {
		t.Errorf("after a write outside the use cases: %+v", c)
	}

	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", bindingID), map[string]string{"reason": "委托终止"}))
	if r := f.Do(u, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil); r.Code != 404 {
		t.Errorf("after the revoke: %d %s", r.Code, r.Body)
	}
}

// TestRevokeEndsCaseAccessOnEveryInstanceAtOnce: while a lawyer's reads
// hit both instances of a pair (each with the case cached), staff revoke
// the binding on one. Every read that starts after the revoke has
// answered is a 404, on either instance; none is refused before it began.
func TestRevokeEndsCaseAccessOnEveryInstanceAtOnce(t *testing.T) {
	a, b := handlertest.NewPair(t)
	f := &caseFixture{Env: a, t: t, clerk: a.LoginStaff(model.StaffCaseManager)}
	id, no := f.newCase()
	u, bindingID := f.approvedLawyer("o-revoked", no)
	path := fmt.Sprintf("/api/h5/cases/%d", id)
	for _, e := range []*handlertest.Env{a, b} {
		if r := e.Do(u, "GET", path, nil); r.Code != 200 {
			t.Fatalf("warm-up read: %d %s", r.Code, r.Body)
		}
	}

	type read struct {
		start, end time.Time
		code       int
	}
	var (
		mu      sync.Mutex
		reads   []read
		stop    = make(chan struct{})
		readers sync.WaitGroup
	)
	for i := range 4 {
		e := []*handlertest.Env{a, b}[i%2]
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				r := e.Do(u, "GET", path, nil)
				mu.Lock()
				reads = append(reads, read{start, time.Now(), r.Code})
				mu.Unlock()
			}
		}()
	}
	// Let reads run on both sides of the revoke, however slow the machine.
	readsSince := func(t0 time.Time) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range reads {
			if r.start.After(t0) {
				n++
			}
		}
		return n
	}
	waitForReads := func(t0 time.Time) {
		for deadline := time.Now().Add(10 * time.Second); readsSince(t0) < 20 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	waitForReads(time.Time{})
	revokeStart := time.Now()
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", bindingID), map[string]string{"reason": "委托终止"}))
	revoked := time.Now()
	waitForReads(revoked)
	close(stop)
	readers.Wait()

	var before, after, late int
	for _, r := range reads {
		switch {
		case r.code != 200 && r.code != 404:
			t.Fatalf("read answered %d", r.code)
		case r.start.After(revoked):
			after++
			if r.code != 404 {
				late++
			}
		case r.end.Before(revokeStart):
			before++
			if r.code != 200 {
				t.Errorf("a read ended before the revoke began got %d", r.code)
			}
		}
	}
	if late > 0 {
		t.Errorf("%d of %d reads begun after the revoke answered still got the case", late, after)
	}
	if before == 0 || after == 0 {
		t.Fatalf("reads before the revoke %d, after it %d: the test did not overlap them", before, after)
	}
}
