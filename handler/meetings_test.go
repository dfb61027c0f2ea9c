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
)

var meetingActions = map[string]struct {
	to   model.Status
	body any
}{
	"confirm": {model.StatusConfirmed, map[string]string{"time": at(thursday, "10:30").Format(time.RFC3339), "place": "第三接待室"}},
	"reject":  {model.StatusRejected, map[string]string{"reason": "请通过书面方式提交意见"}},
	"cancel":  {model.StatusCancelled, nil},
}

func (f *apptFixture) meetingAct(u handlertest.Caller, id uint64, action string) handlertest.Response {
	if action == "cancel" {
		return f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/meetings/%d/cancel", id), nil)
	}
	return f.staffDo("meetings", id, action, meetingActions[action].body)
}

func (f *apptFixture) meetingIn(caseID uint64, state model.Status) (handlertest.Caller, uint64) {
	f.t.Helper()
	u := f.lawyer(caseID)
	id := f.meeting(u, caseID)
	steps := map[model.Status][]string{
		model.StatusConfirmed: {"confirm"},
		model.StatusRejected:  {"reject"},
		model.StatusCancelled: {"cancel"},
	}[state]
	for _, step := range steps {
		f.expect(http.StatusOK, f.meetingAct(u, id, step))
	}
	return u, id
}

// TestMeetingTransitions tries every action from every state of docs/design.md §3.
func TestMeetingTransitions(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	allowed := map[model.Status][]string{
		model.StatusPending:   {"confirm", "reject", "cancel"},
		model.StatusConfirmed: {"cancel"},
	}
	for _, from := range []model.Status{model.StatusPending, model.StatusConfirmed, model.StatusRejected, model.StatusCancelled} {
		for _, action := range []string{"confirm", "reject", "cancel"} {
			ok := false
			for _, a := range allowed[from] {
				ok = ok || a == action
			}
			t.Run(fmt.Sprintf("%s/%s", from, action), func(t *testing.T) {
				f.t = t
				u, id := f.meetingIn(caseID, from)
				r := f.meetingAct(u, id, action)
				to := meetingActions[action].to
				if !ok {
					f.expectError(http.StatusConflict, "invalid_state", r)
					if msg := errorMessage(t, r); !strings.Contains(msg, from.Label()) {
						t.Fatalf("409 message %q does not name %s", msg, from.Label())
					}
					if got := f.meetingStatus(id); got != from {
						t.Fatalf("refused action changed the status to %s", got)
					}
					return
				}
				f.expect(http.StatusOK, r)
				if got := f.meetingStatus(id); got != to {
					t.Fatalf("status %s, want %s", got, to)
				}
				if action != "cancel" && f.pushes(fmt.Sprintf("meeting:%d:%s:", id, to)) != 1 {
					t.Fatal("staff decision queued no push")
				}
			})
		}
	}
}

// TestMeetingConcurrentDecisions: a lawyer cancelling while staff confirm,
// and two staff deciding at once, always leave one consistent state.
func TestMeetingConcurrentDecisions(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	for range 6 {
		for _, race := range [][2]string{{"cancel", "confirm"}, {"reject", "confirm"}} {
			u, id := f.meetingIn(caseID, model.StatusPending)
			var r [2]handlertest.Response
			var wg sync.WaitGroup
			for i, action := range race {
				wg.Add(1)
				go func() { defer wg.Done(); r[i] = f.meetingAct(u, id, action) }()
			}
			wg.Wait()
			final := f.meetingStatus(id)
			okA, okB := r[0].Code == http.StatusOK, r[1].Code == http.StatusOK
			switch race[0] {
			case "cancel": // confirm-then-cancel is legal, cancel-then-confirm is not
				if !okA || final != model.StatusCancelled {
					t.Fatalf("cancel %d, confirm %d, final %s", r[0].Code, r[1].Code, final)
				}
			case "reject":
				if okA == okB || (okA && final != model.StatusRejected) || (okB && final != model.StatusConfirmed) {
					t.Fatalf("reject %d, confirm %d, final %s", r[0].Code, r[1].Code, final)
				}
			}
			for i, ok := range []bool{okA, okB} {
				if !ok {
					f.expectError(http.StatusConflict, "invalid_state", r[i])
				}
				if race[i] != "cancel" {
					want := int64(0)
					if ok {
						want = 1
					}
					if n := f.pushes(fmt.Sprintf("meeting:%d:%s:", id, meetingActions[race[i]].to)); n != want {
						t.Fatalf("%s ok=%v queued %d pushes", race[i], ok, n)
					}
				}
			}
		}
	}
}

// TestMeetingRequestRules: the type is one of four, the two preferred times
// are future working hours on working days; only approved lawyers of the
// case may ask; staff fix any future time and a place.
func TestMeetingRequestRules(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	lawyer := f.lawyer(caseID)
	good := func() map[string]any {
		return map[string]any{"case_id": caseID, "type": "提交书面意见", "note": "",
			"preferred_times": []string{at(thursday, "09:00").Format(time.RFC3339), at(friday, "16:59").Format(time.RFC3339)}}
	}
	with := func(k string, v any) map[string]any { b := good(); b[k] = v; return b }
	times := func(ts ...string) []string { return ts }
	cases := map[string]struct {
		body  map[string]any
		field string
	}{
		"unknown type":     {with("type", "喝茶"), "type"},
		"one time":         {with("preferred_times", times(at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"three times":      {with("preferred_times", times(at(thursday, "10:00").Format(time.RFC3339), at(thursday, "11:00").Format(time.RFC3339), at(thursday, "14:00").Format(time.RFC3339))), "preferred_times"},
		"past":             {with("preferred_times", times(at(wednesday, "09:30").Format(time.RFC3339), at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"lunch break":      {with("preferred_times", times(at(thursday, "12:30").Format(time.RFC3339), at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"after hours":      {with("preferred_times", times(at(thursday, "17:00").Format(time.RFC3339), at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"saturday":         {with("preferred_times", times(at("2026-12-05", "10:00").Format(time.RFC3339), at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"same time twice":  {with("preferred_times", times(at(thursday, "10:00").Format(time.RFC3339), at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"not RFC3339":      {with("preferred_times", times("2026-12-03 10:00", at(thursday, "10:00").Format(time.RFC3339))), "preferred_times"},
		"note too long":    {with("note", strings.Repeat("字", 501)), "note"},
		"missing case id":  {with("case_id", 0), "case_id"},
		"UTC but in hours": {with("preferred_times", times("2026-12-03T01:30:00Z", "2026-12-03T02:00:00Z")), ""},
	}
	for name, c := range cases {
		r := f.Do(lawyer, http.MethodPost, "/api/h5/meetings", c.body)
		if c.field == "" {
			f.expect(http.StatusCreated, r)
			continue
		}
		f.expectError(http.StatusUnprocessableEntity, "invalid_input", r)
		if !strings.Contains(string(r.Body), `"`+c.field+`"`) {
			t.Errorf("%s: 422 does not name %s: %s", name, c.field, r.Body)
		}
	}
	f.expectError(http.StatusBadRequest, "invalid_json", f.Do(lawyer, http.MethodPost, "/api/h5/meetings", "[1,2"))
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(lawyer, http.MethodPost, "/api/h5/meetings", `{"preferred_times":"soon"}`))
	stranger := f.LoginUser(f.Unique("openid-s-"))
	f.expectError(http.StatusNotFound, "not_found", f.Do(stranger, http.MethodPost, "/api/h5/meetings", good()))

	var created struct {
		ID             uint64      `json:"id"`
		Status         string      `json:"status"`
		ReplyBy        time.Time   `json:"reply_by"`
		PreferredTimes []time.Time `json:"preferred_times"`
	}
	f.expect(http.StatusCreated, f.Do(lawyer, http.MethodPost, "/api/h5/meetings", good())).JSON(t, &created)
	// Due two hours before the first preferred time (Thursday 09:00).
	if created.Status != "pending" || !created.ReplyBy.Equal(at(thursday, "07:00")) || len(created.PreferredTimes) != 2 {
		t.Fatalf("created %+v", created)
	}
	var mine struct {
		Items []struct {
			ID uint64 `json:"id"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(lawyer, http.MethodGet, "/api/h5/meetings", nil)).JSON(t, &mine)
	if len(mine.Items) != 2 || mine.Items[0].ID != created.ID {
		t.Fatalf("lawyer's list %+v", mine.Items)
	}
	f.expectError(http.StatusNotFound, "not_found", f.Do(stranger, http.MethodPost, fmt.Sprintf("/api/h5/meetings/%d/cancel", created.ID), nil))

	// Staff confirmation: a future time (any, not only a preferred one) and a place.
	for field, body := range map[string]map[string]string{
		"time":  {"time": "tomorrow", "place": "接待室"},
		"place": {"time": at(thursday, "11:00").Format(time.RFC3339), "place": " "},
	} {
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.staffDo("meetings", created.ID, "confirm", body))
		if !strings.Contains(string(r.Body), `"`+field+`"`) {
			t.Errorf("422 does not name %s: %s", field, r.Body)
		}
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input",
		f.staffDo("meetings", created.ID, "confirm", map[string]string{"time": at(wednesday, "09:00").Format(time.RFC3339), "place": "接待室"}))
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.staffDo("meetings", created.ID, "reject", map[string]string{}))
	prosecutor := f.LoginStaff(model.StaffProsecutor)
	var confirmed struct {
		Status string    `json:"status"`
		Time   time.Time `json:"time"`
		Place  string    `json:"place"`
		Lawyer any       `json:"lawyer"`
	}
	f.expect(http.StatusOK, f.Do(prosecutor, http.MethodPost, fmt.Sprintf("/api/staff/meetings/%d/confirm", created.ID),
		map[string]string{"time": at(friday, "16:30").Format(time.RFC3339), "place": "第三接待室"})).JSON(t, &confirmed)
	if confirmed.Status != "confirmed" || !confirmed.Time.Equal(at(friday, "16:30")) || confirmed.Place != "第三接待室" {
		t.Fatalf("confirmed %+v", confirmed)
	}
	var push model.PushMessage
	if err := f.DB.Where("dedup_key LIKE ?", fmt.Sprintf("meeting:%d:confirmed:%%", created.ID)).Take(&push).Error; err != nil {
		t.Fatalf("no confirmation push: %v", err)
	}
	if push.OpenID != lawyer.OpenID || push.Kind != model.PushMeetingResult || !strings.Contains(push.Data, "第三接待室") {
		t.Fatalf("push %+v", push)
	}
	var queue struct {
		Items []struct {
			ID     uint64 `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/staff/meetings?status=confirmed", nil)).JSON(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != created.ID {
		t.Fatalf("staff queue %+v", queue.Items)
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodGet, "/api/staff/meetings?status=done", nil))

	// Once the meeting time has passed it cannot be cancelled any more.
	f.Clock.Set(at(friday, "16:31"))
	f.expectError(http.StatusConflict, "meeting_past", f.Do(lawyer, http.MethodPost, fmt.Sprintf("/api/h5/meetings/%d/cancel", created.ID), nil))
}
