package handler_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"zsjc/model"
)

func bindingOf(t *testing.T, f *apptFixture, userID, caseID uint64) uint64 {
	t.Helper()
	var b model.Binding
	if err := f.DB.Where("user_id = ? AND case_id = ?", userID, caseID).Take(&b).Error; err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// A revoked lawyer binding ends the lawyer's live appointments of that
// case: the reading-room place is given back, the meeting request is
// cancelled, and appointments of other cases are untouched.
func TestRevokedBindingEndsItsAppointments(t *testing.T) {
	f := newApptFixture(t)
	caseID, otherCase := f.newCase(), f.newCase()
	slotID, otherSlot := f.slot(thursday, "am", 2), f.slot(thursday, "pm", 2)
	lawyer := f.lawyer(caseID, otherCase)
	review := f.booking(lawyer, caseID, slotID)
	f.expect(http.StatusOK, f.staffDo("reviews", review, "confirm", nil))
	meeting := f.meeting(lawyer, caseID)
	keep := f.booking(lawyer, otherCase, otherSlot)

	admin := f.LoginStaff(model.StaffAdmin)
	path := fmt.Sprintf("/api/staff/bindings/%d/revoke", bindingOf(t, f, lawyer.UserID, caseID))
	f.expect(http.StatusOK, f.Do(admin, http.MethodPost, path, map[string]string{"reason": "委托已解除"}))

	if st := f.reviewStatus(review); st != model.StatusCancelled {
		t.Fatalf("review of the revoked binding is %s", st)
	}
	if st := f.meetingStatus(meeting); st != model.StatusCancelled {
		t.Fatalf("meeting of the revoked binding is %s", st)
	}
	if f.booked(slotID) != 0 || f.booked(otherSlot) != 1 || f.reviewStatus(keep) != model.StatusPending {
		t.Fatalf("places: revoked case slot %d, other case slot %d (%s)", f.booked(slotID), f.booked(otherSlot), f.reviewStatus(keep))
	}
	f.checkPlaces(slotID)
}

// Booking while staff revoke the binding: whichever commits first, no live
// booking is left on a revoked binding and the slot count stays exact.
func TestRevokeRacingABooking(t *testing.T) {
	f := newApptFixture(t)
	admin := f.LoginStaff(model.StaffAdmin)
	for round := 0; round < 6; round++ {
		caseID := f.newCase()
		slotID := f.slot(thursday, "am", 3)
		lawyer := f.lawyer(caseID)
		bindingID := bindingOf(t, f, lawyer.UserID, caseID)
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			f.book(lawyer, caseID, slotID)
		}()
		go func() {
			defer wg.Done()
			<-start
			f.Do(admin, http.MethodPost, fmt.Sprintf("/api/staff/bindings/%d/revoke", bindingID), map[string]string{"reason": "委托已解除"})
		}()
		close(start)
		wg.Wait()
		var live int64
		f.DB.Model(&model.ReviewBooking{}).Where("binding_id = ? AND status IN ?", bindingID,
			[]model.Status{model.StatusPending, model.StatusConfirmed}).Count(&live)
		if live != 0 {
			t.Fatalf("round %d: %d live bookings on a revoked binding", round, live)
		}
		f.checkPlaces(slotID)
	}
}
