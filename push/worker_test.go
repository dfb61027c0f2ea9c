package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
	"zsjc/wechat"
)

// start is a Wednesday, 10:00 in Beijing.
var start = handlertest.Start

// newClock is a settable clock at start.
func newClock() *handlertest.Clock {
	c := &handlertest.Clock{}
	c.Set(start)
	return c
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// queue inserts n due case-event pushes, as service.enqueue writes them,
// each to its own follower "<prefix>-<i>".
func queue(t testing.TB, db *gorm.DB, prefix string, n int, due time.Time) {
	t.Helper()
	rows := make([]model.PushMessage, n)
	for i := range rows {
		openid := fmt.Sprintf("%s-%d", prefix, i)
		key := "event:1:" + openid
		rows[i] = model.PushMessage{OpenID: openid, Kind: model.PushCaseEvent, DedupKey: key,
			ClientMsgID: service.ClientMsgID(key), Data: `{"case_name":"王某盗窃案","stage":"审查起诉","time":"2026-12-02 10:00"}`,
			URL: "/h5/cases/1", Status: model.StatusQueued, NextAttemptAt: due.UTC()}
	}
	if err := db.CreateInBatches(&rows, 500).Error; err != nil {
		t.Fatalf("queue %d pushes: %v", n, err)
	}
}

// instance is one worker with its own metrics and log.
type instance struct {
	w       *Worker
	metrics *Metrics
	logs    *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.String()
}

func newInstance(db *gorm.DB, store cache.Store, s Sender, opt Options) instance {
	logs := &lockedBuffer{}
	m := NewMetrics(prometheus.NewRegistry())
	log := slog.New(slog.NewJSONHandler(logs, nil))
	return instance{w: New(db, store, s, m, log, opt), metrics: m, logs: logs}
}

// run runs the worker until done reports true (checked every few
// milliseconds), then stops it and waits for it.
func run(t *testing.T, w *Worker, timeout time.Duration, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		w.Run(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()
	waitFor(t, timeout, done)
}

// countRows counts pushes matching the condition.
func countRows(t testing.TB, db *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&model.PushMessage{}).Where(query, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func rowsByOpenID(t testing.TB, db *gorm.DB) map[string]model.PushMessage {
	t.Helper()
	var rows []model.PushMessage
	if err := db.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]model.PushMessage{}
	for _, r := range rows {
		out[r.OpenID] = r
	}
	return out
}

// apiError is a platform refusal as the WeChat client returns it.
func apiError(code int) error { return &wechat.APIError{Code: code, Msg: "refused"} }

func TestErrcodeClasses(t *testing.T) {
	db := testenv.DB(t)
	clk := newClock()
	answers := map[string]error{
		"ok":        nil,
		"43004":     apiError(ErrcodeNotSubscribed),
		"40003":     apiError(ErrcodeInvalidOpenID),
		"47003":     apiError(ErrcodeBadTemplateData),
		"busy":      apiError(-1),
		"token":     apiError(40001), // left over after the client's own refresh
		"transport": fmt.Errorf("post template: %w", errors.New("connection reset by peer")),
	}
	for name := range answers {
		queue(t, db, name, 1, start)
	}
	// The recipients of 43004 and 40003 follow, as far as we know.
	for _, oid := range []string{"43004-0", "40003-0"} {
		if err := db.Create(&model.WeChatUser{OpenID: oid, Subscribed: true}).Error; err != nil {
			t.Fatal(err)
		}
	}
	key := "bad-kind"
	if err := db.Create(&model.PushMessage{OpenID: key, Kind: "no_such_kind", DedupKey: key, ClientMsgID: key,
		Status: model.StatusQueued, NextAttemptAt: start}).Error; err != nil {
		t.Fatal(err)
	}
	sender := SenderFunc(func(_ context.Context, m wechat.TemplateMessage) (int64, error) {
		name := strings.TrimSuffix(m.ToUser, "-0")
		if err := answers[name]; err != nil {
			return 0, err
		}
		return 777, nil
	})
	inst := newInstance(db, testenv.Cache(t), sender, Options{Now: clk.Now, Jitter: func() float64 { return 0.5 }, Poll: 5 * time.Millisecond})
	run(t, inst.w, 10*time.Second, func() bool {
		return countRows(t, db, "status = ? OR attempts = 0", model.StatusSending) == 0
	})

	rows := rowsByOpenID(t, db)
	retryAt := start.Add(DefaultBackoff.Delay(1, 0.5))
	// 43004 is the platform saying the user does not follow: recorded, so
	// no more pushes are queued to them; other errors leave the user be.
	for oid, wantFollowing := range map[string]bool{"43004-0": false, "40003-0": true} {
		var u model.WeChatUser
		if err := db.Where("open_id = ?", oid).Take(&u).Error; err != nil {
			t.Fatal(err)
		}
		if u.Subscribed != wantFollowing || (u.UnsubscribedAt == nil) != wantFollowing {
			t.Errorf("%s after the send: subscribed %v unsubscribed_at %v", oid, u.Subscribed, u.UnsubscribedAt)
		}
	}
	for openid, row := range rows {
		switch openid {
		case "ok-0":
			if row.Status != model.StatusSent || row.WeChatMsgID != 777 || row.SentAt == nil || row.LeaseOwner != "" {
				t.Errorf("success: %+v", row)
			}
		case "43004-0":
			// No fallback channel: the user cannot be reached.
			if row.Status != model.StatusUnreachable || row.Attempts != 1 || !strings.Contains(row.LastError, "43004") {
				t.Errorf("43004: status %s attempts %d last_error %q", row.Status, row.Attempts, row.LastError)
			}
		case "40003-0", "47003-0":
			code := strings.TrimSuffix(openid, "-0")
			if row.Status != model.StatusFailed || row.Attempts != 1 || !strings.Contains(row.LastError, code) {
				t.Errorf("final errcode %s: status %s attempts %d last_error %q", code, row.Status, row.Attempts, row.LastError)
			}
		case "busy-0", "token-0", "transport-0":
			if row.Status != model.StatusQueued || row.Attempts != 1 || !row.NextAttemptAt.Equal(retryAt) || row.LastError == "" {
				t.Errorf("transient %s: status %s attempts %d next %s (want %s) last_error %q",
					openid, row.Status, row.Attempts, row.NextAttemptAt, retryAt, row.LastError)
			}
		case key:
			if row.Status != model.StatusFailed || !strings.Contains(row.LastError, "no template") {
				t.Errorf("unknown kind: %+v", row)
			}
		}
	}
	for result, want := range map[string]float64{ResultSent: 1, ResultFail: 4, ResultRetry: 3} {
		if got := testutil.ToFloat64(inst.metrics.total.WithLabelValues(result)); got != want {
			t.Errorf("zsjc_push_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	for _, c := range []struct{ result, code string }{{ResultFail, "43004"}, {ResultRetry, "transport"}, {ResultRetry, "-1"}, {ResultSent, "0"}} {
		if got := testutil.ToFloat64(inst.metrics.byKind.WithLabelValues(model.ChannelWeChatTemplate, model.PushCaseEvent, c.result, c.code)); got != 1 {
			t.Errorf("outcome %s/%s = %v, want 1", c.result, c.code, got)
		}
	}
	if got := testutil.ToFloat64(inst.metrics.byKind.WithLabelValues(model.ChannelWeChatTemplate, "no_such_kind", ResultFail, "render")); got != 1 {
		t.Errorf("render failure counted %v times", got)
	}
	if testutil.CollectAndCount(inst.metrics.latency) != 1 {
		t.Error("send latency histogram missing")
	}
}

func TestBackoffSchedule(t *testing.T) {
	b := Backoff{Base: 30 * time.Second, Max: time.Hour}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, full := range want {
		attempt := i + 1
		if lo := b.Delay(attempt, 0); lo != full/2 {
			t.Errorf("attempt %d: shortest wait %s, want %s", attempt, lo, full/2)
		}
		if hi := b.Delay(attempt, 1-1e-12); hi > full || hi < full-time.Millisecond {
			t.Errorf("attempt %d: longest wait %s, want just under %s", attempt, hi, full)
		}
	}
	if d := b.Delay(500, 0); d != 30*time.Minute {
		t.Errorf("huge attempt count: %s, want the cap's lower half", d)
	}
}

func TestTransientFailuresBackOffUntilMaxAttemptsThenFail(t *testing.T) {
	db := testenv.DB(t)
	clk := newClock()
	queue(t, db, "flaky", 1, start)
	var calls atomic.Int32
	sender := SenderFunc(func(context.Context, wechat.TemplateMessage) (int64, error) {
		calls.Add(1)
		return 0, apiError(-1)
	})
	const maxAttempts = 4
	inst := newInstance(db, testenv.Cache(t), sender, Options{Now: clk.Now, MaxAttempts: maxAttempts,
		Jitter: func() float64 { return 0 }, Poll: 2 * time.Millisecond})
	var schedule []time.Duration
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		run(t, inst.w, 5*time.Second, func() bool {
			return calls.Load() == int32(attempt) && countRows(t, db, "status = ?", model.StatusSending) == 0
		})
		row := rowsByOpenID(t, db)["flaky-0"]
		if row.Attempts != attempt {
			t.Fatalf("after call %d: attempts %d", attempt, row.Attempts)
		}
		if attempt == maxAttempts {
			if row.Status != model.StatusFailed || !strings.Contains(row.LastError, "gave up after 4 attempts") {
				t.Fatalf("after the last attempt: %s %q", row.Status, row.LastError)
			}
			break
		}
		wait := row.NextAttemptAt.Sub(clk.Now())
		schedule = append(schedule, wait)
		// Not due a moment before the wait is over; due right after it.
		clk.Advance(wait - time.Second)
		run(t, inst.w, time.Second, func() bool { time.Sleep(50 * time.Millisecond); return true })
		if calls.Load() != int32(attempt) {
			t.Fatalf("resent %s early", time.Second)
		}
		clk.Advance(time.Second)
	}
	want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute}
	if fmt.Sprint(schedule) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", schedule, want)
	}
	if got := testutil.ToFloat64(inst.metrics.total.WithLabelValues(ResultRetry)); got != maxAttempts-1 {
		t.Fatalf("retries counted %v", got)
	}
}

func TestQuotaErrorPausesEveryInstanceUntilTheNextDay(t *testing.T) {
	db, dsn := testenv.DBWithDSN(t)
	store, sameCache := testenv.CacheWithPrefix(t)
	clk := newClock() // 10:00 in Beijing
	queue(t, db, "q", 20, start)
	var quotaLeft atomic.Int32
	quotaLeft.Store(5)
	var sends atomic.Int32
	sender := SenderFunc(func(context.Context, wechat.TemplateMessage) (int64, error) {
		sends.Add(1)
		if quotaLeft.Add(-1) < 0 {
			return 0, apiError(ErrcodeQuota)
		}
		return 1, nil
	})
	opt := Options{Now: clk.Now, Location: shanghai, Concurrency: 1, Poll: 2 * time.Millisecond}
	a := newInstance(db, store, sender, opt)
	run(t, a.w, 10*time.Second, func() bool { return sends.Load() >= 6 && countRows(t, db, "status = ?", model.StatusSending) == 0 })

	midnight := time.Date(2026, 12, 3, 0, 0, 0, 0, shanghai)
	if got := countRows(t, db, "status = ?", model.StatusSent); got != 5 {
		t.Fatalf("%d sent before the quota ran out, want 5", got)
	}
	var hit model.PushMessage
	if err := db.Where("last_error LIKE ?", "%45009%").Take(&hit).Error; err != nil {
		t.Fatal(err)
	}
	if hit.Status != model.StatusQueued || hit.Attempts != 0 || !hit.NextAttemptAt.Equal(midnight) {
		t.Fatalf("push that met 45009: status %s attempts %d next %s, want queued, 0, %s",
			hit.Status, hit.Attempts, hit.NextAttemptAt, midnight.UTC())
	}
	if !strings.Contains(a.logs.String(), "45009") || !strings.Contains(a.logs.String(), "pause") {
		t.Fatalf("the pause is not logged: %s", a.logs.String())
	}
	if testutil.ToFloat64(a.metrics.paused) != 1 || testutil.ToFloat64(a.metrics.quotaPauses) != 1 {
		t.Fatal("the pause is not in the metrics")
	}

	// Another instance, with due pushes, sends nothing while paused.
	b := newInstance(testenv.Open(t, db, dsn), sameCache(), sender, opt)
	before := sends.Load()
	clk.Advance(13*time.Hour + 59*time.Minute) // 23:59 in Beijing
	run(t, b.w, time.Second, func() bool { return testutil.ToFloat64(b.metrics.paused) == 1 })
	time.Sleep(30 * time.Millisecond)
	if sends.Load() != before {
		t.Fatalf("%d sends during the pause", sends.Load()-before)
	}

	// After midnight (office time) the queue drains.
	quotaLeft.Store(100)
	clk.Advance(time.Minute)
	run(t, b.w, 10*time.Second, func() bool { return countRows(t, db, "status = ?", model.StatusSent) == 20 })
	if testutil.ToFloat64(b.metrics.paused) != 0 {
		t.Fatal("still reported as paused")
	}
}

// TestStopFinishesSendsInFlight: a graceful stop (SIGTERM) claims nothing
// more but lets the sends in flight finish and record their outcome, so no
// lease is left to expire.
func TestStopFinishesSendsInFlight(t *testing.T) {
	db := testenv.DB(t)
	queue(t, db, "f", 40, time.Now())
	var started atomic.Int32
	sender := SenderFunc(func(ctx context.Context, _ wechat.TemplateMessage) (int64, error) {
		started.Add(1)
		time.Sleep(200 * time.Millisecond)
		return 1, ctx.Err()
	})
	inst := newInstance(db, testenv.Cache(t), sender, Options{Concurrency: 8, Poll: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		inst.w.Run(ctx)
	}()
	waitFor(t, 5*time.Second, func() bool { return started.Load() > 0 })
	cancel()
	<-stopped
	if n := countRows(t, db, "status = ?", model.StatusSending); n != 0 {
		t.Fatalf("%d pushes left leased after a graceful stop", n)
	}
	if sent := countRows(t, db, "status = ?", model.StatusSent); sent != int64(started.Load()) || sent == 40 {
		t.Fatalf("%d sent, %d sends started; want every started send recorded and the rest left queued", sent, started.Load())
	}
}
