package handler_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// Finding 4 of the security review: revoking bindings while lawyers book
// and request meetings deadlocked on MariaDB (500, rolled back). Every
// request must get a real answer and every revoke must take effect.
func TestMixedRevokesBookingsAndMeetings(t *testing.T) {
	f := newApptFixture(t)
	admin := f.LoginStaff(model.StaffAdmin)
	const lawyers = 12
	slots := []uint64{f.slot(thursday, "am", 50), f.slot(thursday, "pm", 50), f.slot(friday, "am", 50), f.slot(friday, "pm", 50)}
	type lawyerCases struct {
		caller          handlertest.Caller
		revoked, booked uint64 // one binding revoked, one case booked meanwhile
	}
	all := make([]lawyerCases, lawyers)
	for i := range all {
		revoked, booked := f.newCase(), f.newCase()
		u := f.lawyer(revoked, booked)
		f.booking(u, revoked, slots[i%2])
		f.meeting(u, revoked)
		all[i] = lawyerCases{caller: u, revoked: revoked, booked: booked}
	}
	var mu sync.Mutex
	var failures []string
	record := func(what string, r handlertest.Response) {
		if r.Code >= http.StatusInternalServerError {
			mu.Lock()
			failures = append(failures, fmt.Sprintf("%s: %d %s%s", what, r.Code, r.Body, f.serverErrors(r)))
			mu.Unlock()
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, l := range all {
		bindingID := bindingOf(t, f, l.caller.UserID, l.revoked)
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			r := f.Do(admin, http.MethodPost, fmt.Sprintf("/api/staff/bindings/%d/revoke", bindingID), map[string]string{"reason": "委托已解除"})
			record("revoke", r)
			if r.Code != http.StatusOK {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("revoke %d: %d %s", bindingID, r.Code, r.Body))
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			record("book", f.book(l.caller, l.booked, slots[2+i%2]))
		}()
		go func() {
			defer wg.Done()
			<-start
			record("meeting", f.Do(l.caller, http.MethodPost, "/api/h5/meetings", map[string]any{
				"case_id": l.booked, "type": "约见承办检察官", "note": "提交辩护意见",
				"preferred_times": []string{at(thursday, "10:00").Format(time.RFC3339), at(thursday, "15:00").Format(time.RFC3339)},
			}))
		}()
	}
	close(start)
	wg.Wait()
	for _, msg := range failures {
		t.Error(msg)
	}
	for _, l := range all {
		bindingID := bindingOf(t, f, l.caller.UserID, l.revoked)
		var live int64
		f.DB.Model(&model.ReviewBooking{}).Where("binding_id = ? AND status IN ?", bindingID,
			[]model.Status{model.StatusPending, model.StatusConfirmed}).Count(&live)
		var liveMeetings int64
		f.DB.Model(&model.MeetingRequest{}).Where("binding_id = ? AND status IN ?", bindingID,
			[]model.Status{model.StatusPending, model.StatusConfirmed}).Count(&liveMeetings)
		if live+liveMeetings != 0 {
			t.Errorf("binding %d revoked with %d live bookings, %d live meetings", bindingID, live, liveMeetings)
		}
	}
	for _, id := range slots {
		f.checkPlaces(id)
	}
}
