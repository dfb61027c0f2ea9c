package handler_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/push"
	"zsjc/testenv"
	"zsjc/wechat"
)

// TestRemindersOnceAcrossInstancesNoneIfCancelled runs the reminder pass on
// two instances sharing the database and cache, many times and at once: a
// confirmed review or meeting gets exactly one reminder, at the reminder
// time (15:00) the day before; cancelled, unconfirmed or late-confirmed
// ones get none.
func TestRemindersOnceAcrossInstancesNoneIfCancelled(t *testing.T) {
	db, dsn := testenv.DBWithDSN(t)
	cacheA, secondCache := testenv.CacheWithPrefix(t)
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	one := handlertest.NewOn(t, db, cacheA, clock)
	two := handlertest.NewOn(t, testenv.Open(t, db, dsn), secondCache(), clock)
	f := apptFixtureOn(t, one)

	caseID := f.newCase()
	thu, fri := f.slot(thursday, "am", 10), f.slot(friday, "am", 10)
	confirmedReview := func(slotID uint64) (handlertest.Caller, uint64) {
		u := f.lawyer(caseID)
		id := f.booking(u, caseID, slotID)
		f.expect(http.StatusOK, f.staffDo("reviews", id, "confirm", nil))
		return u, id
	}
	confirmedMeeting := func() (handlertest.Caller, uint64) {
		u := f.lawyer(caseID)
		id := f.meeting(u, caseID)
		f.expect(http.StatusOK, f.staffDo("meetings", id, "confirm", meetingActions["confirm"].body)) // Thursday 10:30
		return u, id
	}
	_, remindReview := confirmedReview(thu)
	_, remindMeeting := confirmedMeeting()
	_, fridayReview := confirmedReview(fri)
	u, cancelledReview := confirmedReview(thu)
	f.expect(http.StatusOK, f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/reviews/%d/cancel", cancelledReview), nil))
	u, cancelledMeeting := confirmedMeeting()
	f.expect(http.StatusOK, f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/meetings/%d/cancel", cancelledMeeting), nil))
	pendingReview := f.booking(f.lawyer(caseID), caseID, thu)

	// Both instances run the pass eight times each, all at once.
	race := func() int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for _, env := range []*handlertest.Env{one, two, one, two, one, two, one, two, one, two, one, two, one, two, one, two} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := env.Svc.SendDueReminders(context.Background())
				if err != nil {
					t.Errorf("reminder pass: %v", err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		return total
	}
	reminders := func(kind string, id uint64) int64 { return f.pushes(fmt.Sprintf("reminder:%s:%d:", kind, id)) }

	clock.Set(at(wednesday, "14:59"))
	if n := race(); n != 0 || f.pushes("reminder:") != 0 {
		t.Fatalf("reminders queued before 15:00: %d", n)
	}

	clock.Set(at(wednesday, "15:00"))
	if n := race(); n != 2 {
		t.Fatalf("passes at 15:00 queued %d reminders, want 2", n)
	}
	if reminders("review", remindReview) != 1 || reminders("meeting", remindMeeting) != 1 {
		t.Fatalf("reminder rows: review %d, meeting %d; want 1 each",
			reminders("review", remindReview), reminders("meeting", remindMeeting))
	}
	for kind, id := range map[string]uint64{"review": cancelledReview, "meeting": cancelledMeeting} {
		if reminders(kind, id) != 0 {
			t.Fatalf("cancelled %s %d was reminded", kind, id)
		}
	}
	if reminders("review", pendingReview) != 0 || reminders("review", fridayReview) != 0 {
		t.Fatal("an unconfirmed review, or one two days away, was reminded")
	}
	var push model.PushMessage
	if err := f.DB.Where("dedup_key LIKE ?", fmt.Sprintf("reminder:review:%d:%%", remindReview)).Take(&push).Error; err != nil {
		t.Fatal(err)
	}
	if push.Kind != model.PushReminder || push.Status != model.StatusQueued || push.NextAttemptAt.After(clock.Now()) {
		t.Fatalf("reminder push %+v", push)
	}

	// A review confirmed after its reminder time gets the confirmation
	// push only; later passes add nothing for the Thursday items.
	clock.Set(at(wednesday, "16:00"))
	_, lateReview := confirmedReview(thu)
	clock.Set(at(thursday, "08:00"))
	if n := race(); n != 0 || reminders("review", lateReview) != 0 {
		t.Fatalf("second day: %d reminders, late-confirmed review reminded %d times", n, reminders("review", lateReview))
	}

	// Friday's review is reminded on Thursday afternoon, once.
	clock.Set(at(thursday, "15:00"))
	if n := race(); n != 1 || reminders("review", fridayReview) != 1 {
		t.Fatalf("Thursday 15:00: %d reminders, Friday review reminded %d times", n, reminders("review", fridayReview))
	}
	if total := f.pushes("reminder:"); total != 3 {
		t.Fatalf("%d reminder rows in all, want 3", total)
	}

	// Both instances' push workers drain the outbox: every reminder reaches
	// WeChat exactly once.
	sent := deliverAll(t, f, one, two)
	var rows []model.PushMessage
	if err := f.DB.Where("kind = ?", model.PushReminder).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if sent[row.ClientMsgID] != 1 || row.Status != model.StatusSent {
			t.Fatalf("reminder %s sent %d times, status %s", row.DedupKey, sent[row.ClientMsgID], row.Status)
		}
	}
}

// deliverAll runs a push worker on each instance until no push is left to
// send, and returns how often each client_msg_id was sent.
func deliverAll(t *testing.T, f *apptFixture, envs ...*handlertest.Env) map[string]int {
	t.Helper()
	var mu sync.Mutex
	sent := map[string]int{}
	var msgID atomic.Int64
	sender := push.SenderFunc(func(_ context.Context, m wechat.TemplateMessage) (int64, error) {
		mu.Lock()
		sent[m.ClientMsgID]++
		mu.Unlock()
		return msgID.Add(1), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, env := range envs {
		w := push.New(env.DB, env.Cache, sender, push.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler),
			push.Options{Poll: 5 * time.Millisecond, Now: env.Clock.Now, Location: env.Options.Location})
		wg.Add(1)
		go func() { defer wg.Done(); w.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var left int64
		if err := f.DB.Model(&model.PushMessage{}).Where("status IN ?",
			[]model.Status{model.StatusQueued, model.StatusSending}).Count(&left).Error; err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pushes still unsent", left)
		}
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(sent)
}

// TestReminderRacingCancel: a cancel racing the reminder pass leaves either
// a reminder queued before the cancel or none, never two, and no pass after
// the cancel reminds.
func TestReminderRacingCancel(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	slotID := f.slot(thursday, "pm", 50)
	for range 10 {
		f.Clock.Set(handlertest.Start)
		u := f.lawyer(caseID)
		id := f.booking(u, caseID, slotID)
		f.expect(http.StatusOK, f.staffDo("reviews", id, "confirm", nil))
		f.Clock.Set(at(wednesday, "15:30")) // reminder due, cancel still allowed
		var wg sync.WaitGroup
		var cancel handlertest.Response
		wg.Add(2)
		go func() {
			defer wg.Done()
			cancel = f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/reviews/%d/cancel", id), nil)
		}()
		go func() {
			defer wg.Done()
			if _, err := f.Svc.SendDueReminders(context.Background()); err != nil {
				t.Errorf("reminder pass: %v", err)
			}
		}()
		wg.Wait()
		f.expect(http.StatusOK, cancel)
		var b model.ReviewBooking
		f.DB.Take(&b, id)
		reminded := f.pushes(fmt.Sprintf("reminder:review:%d:", id))
		if b.Status != model.StatusCancelled || reminded > 1 || (reminded == 1) != (b.RemindedAt != nil) {
			t.Fatalf("status %s, reminders %d, reminded_at %v", b.Status, reminded, b.RemindedAt)
		}
		if n, _ := f.Svc.SendDueReminders(context.Background()); n != 0 {
			t.Fatalf("a pass after the cancel queued %d reminders", n)
		}
	}
}
