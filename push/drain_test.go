package push

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/testenv"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// fakeLatency is how long the fake platform takes to answer a send.
const fakeLatency = 20 * time.Millisecond

// startPlatform serves the fake WeChat platform over HTTP.
func startPlatform(t testing.TB, latency time.Duration) (*wechattest.Platform, string) {
	t.Helper()
	p := wechattest.New()
	p.SetLatency(latency)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// weChatClient is one instance's platform client; instances sharing a cache
// share the access token.
func weChatClient(t testing.TB, apiBase string, store cache.Store) *wechat.Client {
	t.Helper()
	c, err := wechat.NewClient(wechat.Config{AppID: wechattest.AppID, Secret: wechattest.Secret,
		APIBase: apiBase, Cache: store, Transport: &http.Transport{MaxIdleConnsPerHost: 256}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendCounter counts our send calls per client_msg_id, whatever the
// platform then does with them.
type sendCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (s *sendCounter) wrap(next Sender) Sender {
	return SenderFunc(func(ctx context.Context, m wechat.TemplateMessage) (int64, error) {
		s.mu.Lock()
		if s.calls == nil {
			s.calls = map[string]int{}
		}
		s.calls[m.ClientMsgID]++
		s.mu.Unlock()
		return next.SendTemplate(ctx, m)
	})
}

// assertShownOnce checks that the platform displayed exactly the queued
// rows, each once, and that every row is recorded as sent with the msgid
// the platform gave it.
func assertShownOnce(t *testing.T, db *gorm.DB, p *wechattest.Platform, n int) {
	t.Helper()
	shown := map[string]int64{}
	for _, m := range p.Sent() {
		if _, twice := shown[m.ClientMsgID]; twice {
			t.Fatalf("client_msg_id %s displayed twice", m.ClientMsgID)
		}
		shown[m.ClientMsgID] = m.MsgID
	}
	var rows []model.PushMessage
	if err := db.Select("client_msg_id", "status", "we_chat_msg_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || len(shown) != n {
		t.Fatalf("%d rows, %d displayed, want %d each", len(rows), len(shown), n)
	}
	for _, r := range rows {
		msgID, ok := shown[r.ClientMsgID]
		if !ok {
			t.Fatalf("push %s never displayed", r.ClientMsgID)
		}
		if r.Status != model.StatusSent || r.WeChatMsgID != msgID {
			t.Fatalf("push %s: status %s msgid %d, platform msgid %d", r.ClientMsgID, r.Status, r.WeChatMsgID, msgID)
		}
	}
}

// drainOptions are the settings of the 10,000-push runs: enough sends in
// flight to keep two instances busy at 20 ms a send, and a short backoff so
// that a send timing out on an overloaded test machine comes back within
// the test's patience.
func drainOptions(lease time.Duration) Options {
	return Options{Concurrency: 48, Poll: 10 * time.Millisecond, Lease: lease, SendTimeout: lease * 4 / 5,
		Backoff: Backoff{Base: 100 * time.Millisecond, Max: time.Second}}
}

// drainPushes is the size of the two-instance runs; under the race
// detector, which slows everything about tenfold, a tenth of it.
const drainPushes = 10000 / raceScale

func TestTwoInstancesSendTenThousandPushesEachOnce(t *testing.T) {
	db, dsn := testenv.DBWithDSN(t)
	store, sameCache := testenv.CacheWithPrefix(t)
	platform, apiBase := startPlatform(t, fakeLatency)
	queue(t, db, "follower", drainPushes, time.Now())

	var counter sendCounter
	a := newInstance(db, store, counter.wrap(weChatClient(t, apiBase, store)), drainOptions(30*time.Second))
	otherCache := sameCache()
	b := newInstance(testenv.Open(t, db, dsn), otherCache, counter.wrap(weChatClient(t, apiBase, otherCache)),
		drainOptions(30*time.Second))

	started := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, inst := range []instance{a, b} {
		wg.Go(func() { inst.w.Run(ctx) })
	}
	waitFor(t, 50*time.Second, func() bool { return countRows(t, db, "status = ?", model.StatusSent) == drainPushes }, db)
	cancel()
	wg.Wait()
	t.Logf("%d pushes through 2 instances in %s (%s)", drainPushes, time.Since(started).Round(time.Millisecond), testenv.Describe())

	assertShownOnce(t, db, platform, drainPushes)
	for id, n := range counter.calls {
		if n != 1 {
			t.Fatalf("client_msg_id %s sent %d times without any failure", id, n)
		}
	}
	sentA := testutil.ToFloat64(a.metrics.total.WithLabelValues(ResultSent))
	sentB := testutil.ToFloat64(b.metrics.total.WithLabelValues(ResultSent))
	if sentA == 0 || sentB == 0 || sentA+sentB != drainPushes {
		t.Fatalf("instance A sent %v, B %v; want both working, %d in all", sentA, sentB, drainPushes)
	}
}

// TestKilledInstanceLosesNoPushAndShowsNoneTwice kills instance A mid-run:
// its context is cancelled and every send it has in flight hangs forever,
// half of them after the platform accepted the message (a crash between
// WeChat's answer and our commit), half before. A's leases are never
// released; B takes the rows over when they expire and sends them again
// under the same client_msg_id.
func TestKilledInstanceLosesNoPushAndShowsNoneTwice(t *testing.T) {
	db, dsn := testenv.DBWithDSN(t)
	store, sameCache := testenv.CacheWithPrefix(t)
	platform, apiBase := startPlatform(t, fakeLatency)
	queue(t, db, "follower", drainPushes, time.Now())

	const lease = 5 * time.Second
	var killed atomic.Bool
	revive := make(chan struct{})
	var hung, hungAfterShown atomic.Int32
	clientA := weChatClient(t, apiBase, store)
	dying := SenderFunc(func(ctx context.Context, m wechat.TemplateMessage) (int64, error) {
		if !killed.Load() {
			return clientA.SendTemplate(ctx, m)
		}
		if hung.Add(1)%2 == 1 {
			if _, err := clientA.SendTemplate(ctx, m); err != nil {
				return 0, err
			}
			hungAfterShown.Add(1)
		}
		<-revive
		return 0, errors.New("process was dead")
	})
	a := newInstance(db, store, dying, drainOptions(lease))
	otherCache := sameCache()
	b := newInstance(testenv.Open(t, db, dsn), otherCache, weChatClient(t, apiBase, otherCache), drainOptions(lease))

	ctxA, kill := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	stoppedA := make(chan struct{})
	go func() {
		defer close(stoppedA)
		a.w.Run(ctxA)
	}()
	var wgB sync.WaitGroup
	wgB.Go(func() { b.w.Run(ctxB) })

	waitFor(t, 50*time.Second, func() bool { return len(platform.Sent()) >= drainPushes/4 }, db)
	// From now on every send A starts hangs; once all its slots hang, its
	// loop stops too: a dead process holding leases.
	killed.Store(true)
	waitFor(t, 10*time.Second, func() bool { return hung.Load() == int32(a.w.opt.Concurrency) })
	kill()
	waitFor(t, 50*time.Second, func() bool { return countRows(t, db, "status = ?", model.StatusSent) == drainPushes }, db)
	stopB()
	wgB.Wait()

	if hungAfterShown.Load() == 0 {
		t.Fatal("the kill caught no send between the platform's answer and the commit")
	}
	t.Logf("killed with %d sends shown but not recorded and %d not sent; B took them over after the %s lease",
		hungAfterShown.Load(), hung.Load()-hungAfterShown.Load(), lease)
	assertShownOnce(t, db, platform, drainPushes)

	// The dead instance's late answers change nothing: its leases are gone.
	close(revive)
	<-stoppedA
	assertShownOnce(t, db, platform, drainPushes)
	if !strings.Contains(a.logs.String(), "lease lost") {
		t.Fatal("the revived instance's stale outcomes were not refused")
	}
}

// waitFor polls cond until it holds or fails the test after timeout,
// saying how far the outbox got.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool, db ...*gorm.DB) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			progress := ""
			for _, d := range db {
				var counts []struct {
					Status string
					N      int
				}
				d.Model(&model.PushMessage{}).Select("status, COUNT(*) AS n").Group("status").Scan(&counts)
				var errs []string
				d.Model(&model.PushMessage{}).Where("last_error <> ''").Limit(3).Pluck("last_error", &errs)
				progress = fmt.Sprintf("; rows by status: %v; errors: %q", counts, errs)
			}
			t.Fatalf("condition not met within %s%s", timeout, progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
