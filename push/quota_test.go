package push

import (
	"context"
	"fmt"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
	"zsjc/wechat"
)

// TestQuotaPlanHoldsLowPrioritiesWhenTheQuotaRunsLow: with a quota of 10,
// a low-water mark of 40% and 5 sends already counted today, reminders go
// out up to 6 sends, case progress up to 8, the results of a user's own
// request up to 10; the rest waits, queued and not counted as an attempt,
// for the office's next midnight, when it goes out. Staff see the count,
// the forecast and what is held.
func TestQuotaPlanHoldsLowPrioritiesWhenTheQuotaRunsLow(t *testing.T) {
	db := testenv.DB(t)
	store := testenv.Cache(t)
	clk := newClock() // 10:00 in Beijing
	plan := model.QuotaPlan{Daily: 10, LowWater: 0.4}
	day := model.OfficeDay(clk.Now(), shanghai)
	if err := store.Set(context.Background(), model.PushQuotaCountKey(day), "5", time.Hour); err != nil {
		t.Fatal(err)
	}
	// Due in this order: three reminders, three case events, three results.
	for i, kind := range []string{model.PushReminder, model.PushCaseEvent, model.PushBindingResult} {
		for j := range 3 {
			key := fmt.Sprintf("%s:%d", kind, j)
			if err := db.Create(&model.PushMessage{OpenID: "o-" + key, Kind: kind, DedupKey: key, ClientMsgID: key, Data: "{}",
				Status: model.StatusQueued, NextAttemptAt: start.Add(time.Duration(i*3+j) * time.Second)}).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	sent := map[string]bool{}
	sender := SenderFunc(func(_ context.Context, m wechat.TemplateMessage) (int64, error) {
		sent[m.ClientMsgID] = true // one send at a time
		return 1, nil
	})
	clk.Advance(10 * time.Second)
	opt := Options{Now: clk.Now, Location: shanghai, Concurrency: 1, Poll: 2 * time.Millisecond, Quota: plan}
	inst := newInstance(db, store, sender, opt)
	run(t, inst.w, 10*time.Second, func() bool {
		return countRows(t, db, "status = ? OR (status = ? AND last_error = '')", model.StatusSending, model.StatusQueued) == 0
	})

	wantSent := []string{"reminder:0", "case_event:0", "case_event:1", "binding_result:0", "binding_result:1"}
	if len(sent) != len(wantSent) {
		t.Fatalf("sent %v, want %v", sent, wantSent)
	}
	for _, k := range wantSent {
		if !sent[k] {
			t.Fatalf("sent %v, want %v", sent, wantSent)
		}
	}
	midnight := time.Date(2026, 12, 3, 0, 0, 0, 0, shanghai)
	var held []model.PushMessage
	if err := db.Where("status = ?", model.StatusQueued).Find(&held).Error; err != nil {
		t.Fatal(err)
	}
	if len(held) != 4 {
		t.Fatalf("%d held, want 4", len(held))
	}
	for _, r := range held {
		if r.Attempts != 0 || !r.NextAttemptAt.Equal(midnight) || r.LastError != model.ReasonHeldForQuota {
			t.Errorf("held %s: attempts %d next %s error %q", r.DedupKey, r.Attempts, r.NextAttemptAt, r.LastError)
		}
	}

	svc := service.New(service.Deps{DB: db, Cache: store, Now: clk.Now}, service.Options{Location: shanghai, PushQuota: plan})
	q, err := svc.PushQuota(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if q.Day != day || q.Sent != 10 || q.Remaining != 0 || q.Forecast != 10 || q.Held != 4 ||
		q.HeldByKind[model.PushReminder] != 2 || q.HeldByKind[model.PushCaseEvent] != 1 || q.HeldByKind[model.PushBindingResult] != 1 ||
		len(q.Holding) != len(model.PushKindPriority) {
		t.Fatalf("quota view %+v", q)
	}

	// The next office day, with a fresh count, the held pushes go out.
	clk.Set(midnight.Add(time.Minute))
	run(t, inst.w, 10*time.Second, func() bool { return countRows(t, db, "status = ?", model.StatusSent) == 9 })
	if len(sent) != 9 {
		t.Fatalf("%d sent after midnight, want 9", len(sent))
	}
}
