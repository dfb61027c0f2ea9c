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
	"zsjc/testenv"
)

// TestReviewBookingRaceNeverOverbooks: 200 lawyers, each with an approved
// binding, race for a slot of 5 places: exactly 5 bookings, 195 slot_full.
func TestReviewBookingRaceNeverOverbooks(t *testing.T) {
	t.Logf("engines: %s", testenv.Describe())
	f := newApptFixture(t)
	caseID := f.newCase()
	slotID := f.slot(thursday, "am", 5)
	const racers = 200
	lawyers := make([]handlertest.Caller, racers)
	for i := range lawyers {
		lawyers[i] = f.lawyer(caseID)
	}
	results := make([]handlertest.Response, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range lawyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = f.book(lawyers[i], caseID, slotID)
		}()
	}
	close(start)
	wg.Wait()

	created, full := 0, 0
	for _, r := range results {
		switch {
		case r.Code == http.StatusCreated:
			created++
		case r.Code == http.StatusConflict && r.ErrorCode() == "slot_full":
			full++
			if msg := errorMessage(t, r); msg != "该时段已约满" {
				t.Errorf("slot_full message %q", msg)
			}
		default:
			t.Errorf("unexpected answer %d: %s", r.Code, r.Body)
		}
	}
	if created != 5 || full != racers-5 {
		t.Fatalf("created %d, slot_full %d; want 5 and %d", created, full, racers-5)
	}
	var rows int64
	f.DB.Model(&model.ReviewBooking{}).Where("slot_id = ?", slotID).Count(&rows)
	if got := f.booked(slotID); got != 5 || rows != 5 {
		t.Fatalf("booked column %d, booking rows %d; want 5 and 5", got, rows)
	}
	f.checkPlaces(slotID)

	// The lawyers' view shows the slot full.
	var view struct {
		Items []struct {
			ID        uint64 `json:"id"`
			Remaining int    `json:"remaining"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(lawyers[0], http.MethodGet,
		fmt.Sprintf("/api/h5/cases/%d/review-slots?from=%s&to=%s", caseID, thursday, thursday), nil)).JSON(t, &view)
	if len(view.Items) != 1 || view.Items[0].ID != slotID || view.Items[0].Remaining != 0 {
		t.Fatalf("slot view %+v", view.Items)
	}
}

// reviewActions are the requests that move a booking, by name.
var reviewActions = map[string]struct {
	to      model.Status
	byStaff bool
	body    any
}{
	"confirm":  {model.StatusConfirmed, true, nil},
	"reject":   {model.StatusRejected, true, map[string]string{"reason": "该时段阅卷室检修"}},
	"complete": {model.StatusCompleted, true, nil},
	"no-show":  {model.StatusNoShow, true, nil},
	"cancel":   {model.StatusCancelled, false, nil},
}

// act sends a named action on booking id as the lawyer u or staff.
func (f *apptFixture) act(u handlertest.Caller, id uint64, action string) handlertest.Response {
	a := reviewActions[action]
	if a.byStaff {
		return f.staffDo("reviews", id, action, a.body)
	}
	return f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/reviews/%d/cancel", id), nil)
}

// whenAllowed is when an action is attempted: completion and no-show are
// recorded once the slot has begun, everything else the day before.
func whenAllowed(action string) time.Time {
	if action == "complete" || action == "no-show" {
		return at(thursday, "09:30")
	}
	return handlertest.Start
}

// reviewIn books a review for a new lawyer and walks it to state.
func (f *apptFixture) reviewIn(caseID, slotID uint64, state model.Status) (handlertest.Caller, uint64) {
	f.t.Helper()
	f.Clock.Set(handlertest.Start)
	u := f.lawyer(caseID)
	id := f.booking(u, caseID, slotID)
	path := map[model.Status][]string{
		model.StatusPending:   nil,
		model.StatusConfirmed: {"confirm"},
		model.StatusRejected:  {"reject"},
		model.StatusCancelled: {"cancel"},
		model.StatusCompleted: {"confirm", "complete"},
		model.StatusNoShow:    {"confirm", "no-show"},
	}[state]
	for _, step := range path {
		f.Clock.Set(whenAllowed(step))
		f.expect(http.StatusOK, f.act(u, id, step))
	}
	if got := f.reviewStatus(id); got != state {
		f.t.Fatalf("set-up reached %s, want %s", got, state)
	}
	return u, id
}

// TestReviewTransitions tries every action from every state: the ones
// docs/design.md §3 allows succeed (and each staff decision queues one push), the
// others answer 409 naming the current state and change nothing.
func TestReviewTransitions(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	slotID := f.slot(thursday, "am", 100)
	allowed := map[model.Status][]string{
		model.StatusPending:   {"confirm", "reject", "cancel"},
		model.StatusConfirmed: {"cancel", "complete", "no-show"},
	}
	states := []model.Status{model.StatusPending, model.StatusConfirmed, model.StatusRejected,
		model.StatusCancelled, model.StatusCompleted, model.StatusNoShow}
	actions := []string{"confirm", "reject", "cancel", "complete", "no-show"}
	for _, from := range states {
		for _, action := range actions {
			ok := false
			for _, a := range allowed[from] {
				ok = ok || a == action
			}
			t.Run(fmt.Sprintf("%s/%s", from, action), func(t *testing.T) {
				f.t = t
				u, id := f.reviewIn(caseID, slotID, from)
				before := f.pushes(fmt.Sprintf("review:%d:", id))
				f.Clock.Set(whenAllowed(action))
				r := f.act(u, id, action)
				want := reviewActions[action]
				if ok {
					f.expect(http.StatusOK, r)
					if got := f.reviewStatus(id); got != want.to {
						t.Fatalf("status %s, want %s", got, want.to)
					}
					if want.byStaff && f.pushes(fmt.Sprintf("review:%d:%s:", id, want.to)) != 1 {
						t.Fatalf("no push queued for the decision")
					}
				} else {
					f.expectError(http.StatusConflict, "invalid_state", r)
					if msg := errorMessage(t, r); !strings.Contains(msg, from.Label()) {
						t.Fatalf("409 message %q does not name the current state %s", msg, from.Label())
					}
					if got := f.reviewStatus(id); got != from {
						t.Fatalf("refused action changed the status to %s", got)
					}
					if f.pushes(fmt.Sprintf("review:%d:", id)) != before {
						t.Fatalf("refused action queued a push")
					}
				}
				f.checkPlaces(slotID)
			})
		}
	}
}

// TestReviewConcurrentDecisions races two actions on one booking, many
// times: there is always one consistent result, the loser gets a 409
// naming the state the winner left, and the slot count stays exact.
func TestReviewConcurrentDecisions(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	slotID := f.slot(thursday, "am", 200)
	races := []struct {
		a, b      string
		from      model.Status
		exclusive bool           // exactly one of the two can succeed
		finals    []model.Status // the states a round may end in
	}{
		// confirm then cancel is a legal sequence; cancel then confirm is not.
		{"cancel", "confirm", model.StatusPending, false, []model.Status{model.StatusCancelled}},
		{"reject", "confirm", model.StatusPending, true, []model.Status{model.StatusRejected, model.StatusConfirmed}},
		{"cancel", "reject", model.StatusPending, true, []model.Status{model.StatusCancelled, model.StatusRejected}},
		{"complete", "no-show", model.StatusConfirmed, true, []model.Status{model.StatusCompleted, model.StatusNoShow}},
		{"reject", "complete", model.StatusConfirmed, true, []model.Status{model.StatusCompleted}},
	}
	const rounds = 6
	for _, race := range races {
		t.Run(race.a+"_vs_"+race.b, func(t *testing.T) {
			f.t = t
			wins := map[string]int{}
			for range rounds {
				u, id := f.reviewIn(caseID, slotID, race.from)
				clock := whenAllowed(race.a)
				if later := whenAllowed(race.b); later.After(clock) {
					clock = later
				}
				f.Clock.Set(clock)
				var ra, rb handlertest.Response
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); ra = f.act(u, id, race.a) }()
				go func() { defer wg.Done(); rb = f.act(u, id, race.b) }()
				wg.Wait()
				final := f.reviewStatus(id)
				okA, okB := ra.Code == http.StatusOK, rb.Code == http.StatusOK
				if !okA && !okB || race.exclusive && okA && okB {
					t.Fatalf("%s → %d, %s → %d (final %s)", race.a, ra.Code, race.b, rb.Code, final)
				}
				for _, r := range []handlertest.Response{ra, rb} {
					if r.Code != http.StatusOK {
						f.expectError(http.StatusConflict, "invalid_state", r)
					}
				}
				good := false
				for _, s := range race.finals {
					good = good || s == final
				}
				if !good {
					t.Fatalf("final state %s, want one of %v", final, race.finals)
				}
				for name, okX := range map[string]bool{race.a: okA, race.b: okB} {
					if okX {
						wins[name]++
					}
					if act := reviewActions[name]; act.byStaff {
						want := int64(0)
						if okX {
							want = 1
						}
						if n := f.pushes(fmt.Sprintf("review:%d:%s:", id, act.to)); n != want {
							t.Fatalf("%s succeeded=%v but %d pushes queued", name, okX, n)
						}
					}
				}
				f.checkPlaces(slotID)
			}
			t.Logf("wins over %d rounds: %v", rounds, wins)
		})
	}
}

// TestReviewCancelCutoff: the lawyer may cancel a confirmed booking until
// 17:00 the day before, which frees the place; from the cut-off on that
// cancel is refused and the list says why. A slot past its cut-off is
// still bookable but marked not cancellable, and a pending request can
// always be withdrawn — a lawyer who booked late is never stuck.
func TestReviewCancelCutoff(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	slotID := f.slot(thursday, "am", 3)
	cancel := func(u handlertest.Caller, id uint64) handlertest.Response {
		return f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/reviews/%d/cancel", id), nil)
	}
	early := f.lawyer(caseID)
	earlyID := f.booking(early, caseID, slotID)
	f.expect(http.StatusOK, f.staffDo("reviews", earlyID, "confirm", nil))
	late := f.lawyer(caseID)
	lateID := f.booking(late, caseID, slotID)
	f.expect(http.StatusOK, f.staffDo("reviews", lateID, "confirm", nil))
	if f.booked(slotID) != 2 {
		t.Fatalf("booked %d, want 2", f.booked(slotID))
	}

	// Someone else's booking is not found, whatever its state.
	f.expectError(http.StatusNotFound, "not_found", cancel(late, earlyID))

	f.Clock.Set(at(wednesday, "16:59").Add(59 * time.Second))
	f.expect(http.StatusOK, cancel(early, earlyID))
	if f.booked(slotID) != 1 {
		t.Fatalf("cancel did not free the place: booked %d", f.booked(slotID))
	}

	f.Clock.Set(at(wednesday, "17:00"))
	r := f.expectError(http.StatusConflict, "cancel_cutoff", cancel(late, lateID))
	if msg := errorMessage(t, r); !strings.Contains(msg, "17:00") {
		t.Fatalf("cut-off message %q does not say when", msg)
	}
	if f.reviewStatus(lateID) != model.StatusConfirmed || f.booked(slotID) != 1 {
		t.Fatal("a refused cancel changed the booking")
	}
	// The lawyer's list shows until when a live booking could be
	// cancelled, and why it no longer can.
	type mine struct {
		Items []struct {
			ID          uint64    `json:"id"`
			Status      string    `json:"status"`
			CancelBy    time.Time `json:"cancel_by"`
			Cancellable bool      `json:"cancellable"`
			CancelNote  string    `json:"cancel_note"`
		} `json:"items"`
	}
	var list mine
	f.expect(http.StatusOK, f.Do(late, http.MethodGet, "/api/h5/reviews", nil)).JSON(t, &list)
	if len(list.Items) != 1 || !list.Items[0].CancelBy.Equal(at(wednesday, "17:00")) ||
		list.Items[0].Cancellable || !strings.Contains(list.Items[0].CancelNote, "17:00") {
		t.Fatalf("lawyer's list %+v", list.Items)
	}

	// Booking after the cut-off: the calendar marks the slot 不可取消, the
	// booking is accepted, and while pending it can be withdrawn and made
	// again.
	f.Clock.Set(at(wednesday, "22:19"))
	tardy := f.lawyer(caseID)
	var slots struct {
		Items []struct {
			ID          uint64 `json:"id"`
			Cancellable bool   `json:"cancellable"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(tardy, http.MethodGet, fmt.Sprintf("/api/h5/cases/%d/review-slots", caseID), nil)).JSON(t, &slots)
	if len(slots.Items) != 1 || slots.Items[0].ID != slotID || slots.Items[0].Cancellable {
		t.Fatalf("slots after the cut-off %+v, want the slot marked not cancellable", slots.Items)
	}
	tardyID := f.booking(tardy, caseID, slotID)
	list = mine{}
	f.expect(http.StatusOK, f.Do(tardy, http.MethodGet, "/api/h5/reviews", nil)).JSON(t, &list)
	if len(list.Items) != 1 || !list.Items[0].Cancellable || list.Items[0].CancelNote != "" {
		t.Fatalf("a pending booking after the cut-off: %+v, want withdrawable", list.Items)
	}
	f.expect(http.StatusOK, cancel(tardy, tardyID))
	f.booking(tardy, caseID, slotID)
	f.checkPlaces(slotID)
}

// TestReviewSchedulingClash (排期避让): one live booking per lawyer and
// case, and never the same lawyer twice in one slot, also under concurrency.
func TestReviewSchedulingClash(t *testing.T) {
	f := newApptFixture(t)
	a, b, c := f.newCase(), f.newCase(), f.newCase()
	am, pm := f.slot(thursday, "am", 10), f.slot(thursday, "pm", 10)
	u := f.lawyer(a, b, c)

	first := f.booking(u, a, am)
	f.expectError(http.StatusConflict, "slot_clash", f.book(u, b, am))
	f.expectError(http.StatusConflict, "review_exists", f.book(u, a, pm))
	f.booking(u, b, pm)
	f.expect(http.StatusOK, f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/reviews/%d/cancel", first), nil))
	f.booking(u, c, am) // the cancelled booking no longer holds the slot
	f.checkPlaces(am)
	f.checkPlaces(pm)

	// A full slot still names the lawyer's own booking first: the quick
	// refusal of full slots keeps the order of the checks.
	single := f.slot(thursday, "am", 1)
	f.booking(u, a, single)
	f.expectError(http.StatusConflict, "review_exists", f.book(u, a, single))
	f.expectError(http.StatusConflict, "slot_full", f.book(f.lawyer(a), a, single))

	// Ten bookings of one lawyer for ten cases fired at one slot at once.
	cases := make([]uint64, 10)
	for i := range cases {
		cases[i] = f.newCase()
	}
	v := f.lawyer(cases...)
	slotID := f.slot(friday, "am", 10)
	results := make([]handlertest.Response, len(cases))
	var wg sync.WaitGroup
	for i := range cases {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = f.book(v, cases[i], slotID) }()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		if r.Code == http.StatusCreated {
			created++
			continue
		}
		f.expectError(http.StatusConflict, "slot_clash", r)
	}
	if created != 1 || f.booked(slotID) != 1 {
		t.Fatalf("created %d, booked %d; want 1 and 1", created, f.booked(slotID))
	}
	f.checkPlaces(slotID)
}

// TestReviewSlotRules: only an approved lawyer of the case sees and books
// its slots (everyone else: the same 404 as a missing case); past and
// closed slots are refused; bad input gets a 4xx naming the field.
func TestReviewSlotRules(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	slotID := f.slot(thursday, "pm", 2)
	lawyer := f.lawyer(caseID)
	slotsPath := func(id uint64) string { return fmt.Sprintf("/api/h5/cases/%d/review-slots", id) }

	missing := f.expectError(http.StatusNotFound, "not_found", f.Do(lawyer, http.MethodGet, slotsPath(999999), nil))
	outsiders := map[string]handlertest.Caller{"stranger": f.LoginUser(f.Unique("openid-x-"))}
	pending := f.LoginUser(f.Unique("openid-p-"))
	f.bind(pending, caseID, model.RoleLawyer, model.StatusPending)
	outsiders["pending lawyer"] = pending
	party := f.LoginUser(f.Unique("openid-q-"))
	f.bind(party, caseID, model.RoleParty, model.StatusApproved)
	outsiders["party"] = party
	for name, u := range outsiders {
		r := f.expectError(http.StatusNotFound, "not_found", f.Do(u, http.MethodGet, slotsPath(caseID), nil))
		if string(r.Body) != string(missing.Body) {
			t.Errorf("%s: 404 body %s differs from a missing case's %s", name, r.Body, missing.Body)
		}
		f.expectError(http.StatusNotFound, "not_found", f.book(u, caseID, slotID))
	}
	f.expectError(http.StatusUnauthorized, "unauthorized", f.Do(handlertest.Anonymous, http.MethodGet, slotsPath(caseID), nil))

	// Today's morning slot has begun (10:00): listed to nobody, booked by nobody.
	today := f.slot(wednesday, "am", 5)
	f.expectError(http.StatusConflict, "slot_past", f.book(lawyer, caseID, today))
	var view struct {
		Items []struct {
			ID        uint64 `json:"id"`
			Remaining int    `json:"remaining"`
			Capacity  int    `json:"capacity"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(lawyer, http.MethodGet, slotsPath(caseID), nil)).JSON(t, &view)
	if len(view.Items) != 1 || view.Items[0].ID != slotID || view.Items[0].Remaining != 2 {
		t.Fatalf("visible slots %+v, want only slot %d with 2 places", view.Items, slotID)
	}

	f.expect(http.StatusOK, f.Do(f.staff, http.MethodPost, fmt.Sprintf("/api/staff/review-slots/%d/close", slotID), nil))
	f.expectError(http.StatusConflict, "slot_closed", f.book(lawyer, caseID, slotID))
	f.expectError(http.StatusNotFound, "not_found", f.book(lawyer, caseID, 999999))

	for name, body := range map[string]any{
		"case_id":     map[string]any{"slot_id": slotID},
		"copy_method": map[string]any{"case_id": caseID, "slot_id": slotID, "copy_method": "拍照"},
		"note":        map[string]any{"case_id": caseID, "slot_id": slotID, "note": strings.Repeat("长", 501)},
	} {
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(lawyer, http.MethodPost, "/api/h5/reviews", body))
		if !strings.Contains(string(r.Body), `"`+name+`"`) {
			t.Errorf("422 does not name %s: %s", name, r.Body)
		}
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input",
		f.Do(lawyer, http.MethodPost, "/api/h5/reviews", `{"case_id":"seven","slot_id":1}`))
	f.expectError(http.StatusBadRequest, "invalid_json", f.Do(lawyer, http.MethodPost, "/api/h5/reviews", `{"case_id":`))
	f.expectError(http.StatusUnprocessableEntity, "invalid_input",
		f.staffDo("reviews", 1, "reject", map[string]string{"reason": "  "}))
	f.expectError(http.StatusNotFound, "not_found", f.staffDo("reviews", 999999, "confirm", nil))

	// Slot definitions are validated, and one room has one slot per period.
	roomA := f.room("A")
	for field, body := range map[string]map[string]any{
		"date":     {"date": "2026-13-01", "period": "am", "room_id": roomA, "capacity": 1},
		"period":   {"date": thursday, "period": "evening", "room_id": roomA, "capacity": 1},
		"room_id":  {"date": thursday, "period": "am", "room_id": 0, "capacity": 1},
		"capacity": {"date": thursday, "period": "am", "room_id": roomA, "capacity": 0},
		"end_time": {"date": thursday, "period": "am", "room_id": roomA, "capacity": 1, "start_time": "11:00", "end_time": "10:00"},
	} {
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodPost, "/api/staff/review-slots", body))
		if !strings.Contains(string(r.Body), `"`+field+`"`) {
			t.Errorf("422 does not name %s: %s", field, r.Body)
		}
	}
	r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodPost, "/api/staff/review-slots",
		map[string]any{"date": thursday, "period": "am", "room_id": 999999, "capacity": 1}))
	if !strings.Contains(string(r.Body), `"room_id":"阅卷室不存在"`) {
		t.Errorf("an absent room is not a field error on room_id: %s", r.Body)
	}
	dup := map[string]any{"date": friday, "period": "am", "room_id": f.room("第二阅卷室"), "capacity": 3}
	var created struct {
		Room struct {
			ID            uint64
			Name, Address string
		} `json:"room"`
	}
	f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/review-slots", dup)).JSON(t, &created)
	if created.Room.ID != dup["room_id"] || created.Room.Name != "第二阅卷室" || created.Room.Address != "第二阅卷室（一楼）" {
		t.Errorf("created slot names its room as %+v", created.Room)
	}
	f.expectError(http.StatusConflict, "slot_exists", f.Do(f.staff, http.MethodPost, "/api/staff/review-slots", dup))
	// Another room may open at the same time.
	other := map[string]any{"date": friday, "period": "am", "room_id": roomA, "capacity": 3}
	f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/review-slots", other))
	prosecutor := f.LoginStaff(model.StaffProsecutor)
	f.expectError(http.StatusForbidden, "forbidden", f.Do(prosecutor, http.MethodPost, "/api/staff/review-slots", dup))
}

// TestReviewQueueDeadlines: every booking carries a reply-by three working
// days on, or two hours before its slot starts when that is earlier (an
// answer after the slot is no answer); the staff queue is sorted by it,
// shows the time left, flags the overdue ones, and /metrics counts them.
func TestReviewQueueDeadlines(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	nextWeek := "2026-12-09"
	thu, fri, later := f.slot(thursday, "am", 5), f.slot(friday, "pm", 5), f.slot(nextWeek, "am", 5)
	// Booked on Wednesday 10:00, 12:00 and 14:00.
	var ids []uint64
	for i, slotID := range []uint64{later, thu, fri} {
		f.Clock.Set(handlertest.Start.Add(time.Duration(i) * 2 * time.Hour))
		ids = append(ids, f.booking(f.lawyer(caseID), caseID, slotID))
	}
	f.Clock.Set(handlertest.Start)
	meetingID := f.meeting(f.lawyer(caseID), caseID) // first preferred Thursday 10:00: due 08:00

	type queue struct {
		Items []struct {
			ID              uint64    `json:"id"`
			ReplyBy         time.Time `json:"reply_by"`
			TimeLeftSeconds *int64    `json:"time_left_seconds"`
			Overdue         bool      `json:"overdue"`
			Slot            struct {
				Date string `json:"date"`
			} `json:"slot"`
			CaseNo string `json:"case_no"`
		} `json:"items"`
	}
	f.Clock.Set(at(thursday, "08:30")) // the Thursday booking (due 07:00) and the meeting are late
	var q queue
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/staff/reviews?status=pending", nil)).JSON(t, &q)
	if len(q.Items) != 3 {
		t.Fatalf("queue has %d items, want 3", len(q.Items))
	}
	want := []struct {
		id  uint64
		due time.Time
	}{
		{ids[1], at(thursday, "07:00")},     // slot Thursday 09:00, before the working-day deadline
		{ids[2], at(friday, "12:00")},       // slot Friday 14:00
		{ids[0], at("2026-12-07", "10:00")}, // slot next Wednesday: three working days on
	}
	for i, it := range q.Items {
		if it.ID != want[i].id || !it.ReplyBy.Equal(want[i].due) || it.TimeLeftSeconds == nil || it.CaseNo == "" {
			t.Fatalf("item %d: %+v, want booking %d due %s", i, it, want[i].id, want[i].due)
		}
		if left := *it.TimeLeftSeconds; left != int64(want[i].due.Sub(f.Clock.Now())/time.Second) || it.Overdue != (left < 0) {
			t.Fatalf("item %d: time left %d, overdue %v", i, left, it.Overdue)
		}
	}
	if !q.Items[0].Overdue || q.Items[1].Overdue {
		t.Fatalf("overdue flags %v %v, want true false", q.Items[0].Overdue, q.Items[1].Overdue)
	}
	var meetings struct {
		Items []struct {
			ID      uint64    `json:"id"`
			ReplyBy time.Time `json:"reply_by"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/staff/meetings?status=pending", nil)).JSON(t, &meetings)
	if len(meetings.Items) != 1 || !meetings.Items[0].ReplyBy.Equal(at(thursday, "08:00")) {
		t.Fatalf("meeting queue %+v, want one due Thursday 08:00", meetings.Items)
	}
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/staff/reviews?date="+thursday, nil)).JSON(t, &q)
	if len(q.Items) != 1 || q.Items[0].ID != ids[1] {
		t.Fatalf("date filter: %+v", q.Items)
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodGet, "/api/staff/reviews?status=bogus", nil))
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodGet, "/api/staff/reviews?date=tomorrow", nil))

	metrics := string(f.expect(http.StatusOK, f.Do(handlertest.Anonymous, http.MethodGet, "/metrics", nil)).Body)
	for _, want := range []string{`zsjc_requests_overdue{kind="review"} 1`, `zsjc_requests_overdue{kind="meeting"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("/metrics lacks %s", want)
		}
	}
	// Deciding clears the flag.
	f.expect(http.StatusOK, f.staffDo("reviews", ids[1], "reject", map[string]string{"reason": "已逾期，请重新预约"}))
	f.expect(http.StatusOK, f.staffDo("meetings", meetingID, "reject", map[string]string{"reason": "请书面提交"}))
	metrics = string(f.Do(handlertest.Anonymous, http.MethodGet, "/metrics", nil).Body)
	if !strings.Contains(metrics, `zsjc_requests_overdue{kind="review"} 0`) || !strings.Contains(metrics, `zsjc_requests_overdue{kind="meeting"} 0`) {
		t.Fatal("decided requests still counted as overdue")
	}
}

// TestReviewSlotBulkCreate: a bulk creation covers the working days of the
// range, skips weekends, and re-running it adds nothing.
func TestReviewSlotBulkCreate(t *testing.T) {
	f := newApptFixture(t)
	room := f.room("第一阅卷室")
	body := map[string]any{"from": "2026-12-03", "to": "2026-12-09", "room_id": room, "capacity": 4}
	var batch struct {
		Items []struct {
			Date   string `json:"date"`
			Period string `json:"period"`
		} `json:"items"`
		Existing    int      `json:"existing"`
		SkippedDays []string `json:"skipped_days"`
	}
	f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/review-slots/bulk", body)).JSON(t, &batch)
	// Thu, Fri, Mon, Tue, Wed × am, pm.
	if len(batch.Items) != 10 || strings.Join(batch.SkippedDays, ",") != "2026-12-05,2026-12-06" {
		t.Fatalf("created %d, skipped %v", len(batch.Items), batch.SkippedDays)
	}
	f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/review-slots/bulk", body)).JSON(t, &batch)
	if len(batch.Items) != 0 || batch.Existing != 10 {
		t.Fatalf("re-run created %d, existing %d", len(batch.Items), batch.Existing)
	}
	var list struct {
		Items []struct {
			StartTime string `json:"start_time"`
			EndTime   string `json:"end_time"`
			Room      struct {
				ID   uint64 `json:"id"`
				Name string `json:"name"`
			} `json:"room"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/staff/review-slots?from=2026-12-01&to=2026-12-31", nil)).JSON(t, &list)
	if len(list.Items) != 10 || list.Items[0].StartTime != "09:00" || list.Items[1].EndTime != "17:00" ||
		list.Items[0].Room.ID != room || list.Items[0].Room.Name != "第一阅卷室" {
		t.Fatalf("listed %d slots: %+v", len(list.Items), list.Items)
	}
	for field, bad := range map[string]map[string]any{
		"from":    {"from": "2026-11-30", "to": "2026-12-09", "room_id": room, "capacity": 4},
		"to":      {"from": "2026-12-09", "to": "2026-12-03", "room_id": room, "capacity": 4},
		"periods": {"from": "2026-12-03", "to": "2026-12-04", "periods": []string{"night"}, "room_id": room, "capacity": 4},
	} {
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodPost, "/api/staff/review-slots/bulk", bad))
		if !strings.Contains(string(r.Body), `"`+field+`"`) {
			t.Errorf("422 does not name %s: %s", field, r.Body)
		}
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input",
		f.Do(f.staff, http.MethodPost, "/api/staff/review-slots/bulk", map[string]any{"from": "2026-12-03", "to": "2027-06-30", "room_id": room, "capacity": 4}))
}
