package handler_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// Finding 2 of the security review: one user filled the staff queues with
// hundreds of requests. Live requests are capped per user, under
// concurrency, and creation is rate-limited per user and address.
func TestLiveRequestCaps(t *testing.T) {
	f := newCaseFixture(t)
	lawyer := f.lawyer("flooding-lawyer")
	up := f.upload(lawyer, "power_of_attorney", pdfBytes(100))
	limit := service.DefaultLimits.PendingBindings
	created := parallelCodes(2*limit, func(i int) int {
		return f.Do(lawyer, "POST", "/api/h5/bindings", map[string]any{
			"case_no": fmt.Sprintf("京检刑受〔2099〕%d号", i), "role": "lawyer", "materials": []uint64{up}}).Code
	})
	if created[http.StatusCreated] != limit || created[http.StatusTooManyRequests] != limit {
		t.Errorf("%d binding requests at once: %v, want %d created and the rest 429", 2*limit, created, limit)
	}
	r := f.Do(lawyer, "POST", "/api/h5/bindings", map[string]any{"case_no": "京检刑受〔2099〕999号", "role": "lawyer", "materials": []uint64{up}})
	if r.Code != http.StatusTooManyRequests || r.ErrorCode() != "too_many_live" || !strings.Contains(errorMessage(t, r), "等待审核") {
		t.Errorf("binding over the cap: %d %s", r.Code, r.Body)
	}

	_, caseNo := f.newCase()
	approved, _ := f.approvedLawyer("meeting-lawyer", caseNo)
	var caseID uint64
	f.DB.Model(&model.Case{}).Where("case_no = ?", caseNo).Pluck("id", &caseID)
	meetings := parallelCodes(2*service.DefaultLimits.LiveMeetings, func(int) int {
		return f.Do(approved, "POST", "/api/h5/meetings", map[string]any{"case_id": caseID, "type": "约见承办检察官",
			"preferred_times": []string{at(thursday, "10:00").Format(time.RFC3339), at(thursday, "15:00").Format(time.RFC3339)}}).Code
	})
	if meetings[http.StatusCreated] != service.DefaultLimits.LiveMeetings || meetings[http.StatusTooManyRequests] != service.DefaultLimits.LiveMeetings {
		t.Errorf("meeting requests at once: %v, want %d created and the rest 429", meetings, service.DefaultLimits.LiveMeetings)
	}
}

// TestLiveReviewCap: at most LiveReviews pending or confirmed file reviews
// per lawyer, all cases together.
func TestLiveReviewCap(t *testing.T) {
	f := newApptFixture(t)
	cases := make([]uint64, service.DefaultLimits.LiveReviews+1)
	for i := range cases {
		cases[i] = f.newCase()
	}
	lawyer := f.lawyer(cases...)
	// One slot per booking: a lawyer is never booked twice into one slot.
	slots := make([]uint64, len(cases))
	for i := range slots {
		slots[i] = f.slot([]string{thursday, friday}[i%2], []string{"am", "pm"}[i/2%2], 2)
	}
	reviews := parallelCodes(len(cases), func(i int) int { return f.book(lawyer, cases[i], slots[i]).Code })
	if reviews[http.StatusCreated] != service.DefaultLimits.LiveReviews || reviews[http.StatusTooManyRequests] != 1 {
		t.Errorf("%d bookings at once: %v, want %d created and one 429", len(cases), reviews, service.DefaultLimits.LiveReviews)
	}
	for _, id := range slots {
		f.checkPlaces(id)
	}
}

func TestCreationRateLimits(t *testing.T) {
	f := &caseFixture{Env: handlertest.New(t, handlertest.WithLimits(service.Limits{CreationsPerUser: 3, CreationsPerIP: 4})), t: t}
	request := func(u handlertest.Caller, up uint64) handlertest.Response {
		return f.Do(u, "POST", "/api/h5/bindings", map[string]any{"case_no": f.Unique("京检刑受〔2099〕"), "role": "lawyer", "materials": []uint64{up}})
	}
	first := f.lawyer("rate-first")
	up := f.upload(first, "power_of_attorney", pdfBytes(100))
	for range 3 {
		f.must(201, request(first, up))
	}
	r := request(first, up)
	if r.Code != http.StatusTooManyRequests || r.ErrorCode() != "too_many_requests" || !strings.Contains(errorMessage(t, r), "后再试") {
		t.Errorf("4th creation of one user: %d %s", r.Code, r.Body)
	}
	second := f.lawyer("rate-second")
	up = f.upload(second, "power_of_attorney", pdfBytes(100))
	f.must(201, request(second, up))
	// The address has now made 4 creations (the first user's refused one is not counted for it).
	if r := request(second, up); r.Code != http.StatusTooManyRequests {
		t.Errorf("creation over the address's rate: %d %s", r.Code, r.Body)
	}
	if r := f.Do(second, "GET", "/api/h5/bindings", nil); r.Code != http.StatusOK {
		t.Errorf("reads are not limited: %d %s", r.Code, r.Body)
	}
}

// parallelCodes runs n requests at once and counts their status codes.
func parallelCodes(n int, request func(i int) int) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := request(i)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}
