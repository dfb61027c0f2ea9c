package push

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/testenv"
)

// Environment of the worker process TestSIGKILLedInstance starts.
const (
	workerProcessDSN = "ZSJC_PUSH_WORKER_PROCESS_DSN"
	workerProcessAPI = "ZSJC_PUSH_WORKER_PROCESS_API"
)

// sigkillLease is the lease of both instances in TestSIGKILLedInstance.
const sigkillLease = 3 * time.Second

// TestWorkerProcess is not a test: it is instance A of
// TestSIGKILLedInstance, run as a child process of the test binary, and
// returns at once unless that test started it.
func TestWorkerProcess(t *testing.T) {
	dsn, apiBase := os.Getenv(workerProcessDSN), os.Getenv(workerProcessAPI)
	if dsn == "" {
		t.Skip("run by TestSIGKILLedInstance")
	}
	db, err := model.Open(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	store := cache.NewMemory()
	w := New(db, store, weChatClient(t, apiBase, store), NewMetrics(prometheus.NewRegistry()),
		slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), drainOptions(sigkillLease))
	// Killed long before; the timeout only stops an orphan.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w.Run(ctx)
}

// TestSIGKILLedInstance runs instance A in its own process and instance B
// in this one, both on the same MySQL database and fake platform, and
// kills A with SIGKILL a quarter of the way through: whatever A had
// claimed, sent or was about to record is left as it was. B takes A's
// rows over when their leases expire; every push is shown, none twice.
// SQLite is single-instance by nature, so this needs ZSJC_TEST_MYSQL_DSN;
// TestKilledInstanceLosesNoPushAndShowsNoneTwice covers both engines.
func TestSIGKILLedInstance(t *testing.T) {
	if testenv.MySQLDSN() == "" {
		t.Skip("two processes need a shared database server: set ZSJC_TEST_MYSQL_DSN")
	}
	db, dsn := testenv.DBWithDSN(t)
	store := testenv.Cache(t)
	platform, apiBase := startPlatform(t, fakeLatency)
	queue(t, db, "follower", drainPushes, time.Now())

	child := startChild(t, "TestWorkerProcess", workerProcessDSN+"="+dsn, workerProcessAPI+"="+apiBase)

	// B starts once A is sending: a child built with the race detector can
	// take longer to start than B needs for a quarter of the pushes.
	waitFor(t, 50*time.Second, func() bool { return len(platform.Sent()) > 0 }, db)
	b := newInstance(testenv.Open(t, db, dsn), store, weChatClient(t, apiBase, store), drainOptions(sigkillLease))
	defer runInBackground(b.w)()

	waitFor(t, 50*time.Second, func() bool { return len(platform.Sent()) >= drainPushes/4 }, db)
	child.Kill(t)
	// A's leases, and how many of those pushes the platform had shown:
	// crashes between WeChat's answer and the commit.
	var orphaned []string
	if err := db.Model(&model.PushMessage{}).Where("status = ? AND lease_owner NOT LIKE ?", model.StatusSending, b.w.opt.Owner+":%").
		Pluck("client_msg_id", &orphaned).Error; err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, m := range platform.Sent() {
		shown[m.ClientMsgID] = true
	}
	shownNotRecorded := 0
	for _, id := range orphaned {
		if shown[id] {
			shownNotRecorded++
		}
	}
	waitFor(t, 50*time.Second, func() bool { return countRows(t, db, "status = ?", model.StatusSent) == drainPushes }, db)

	sentByA := drainPushes - int(testutil.ToFloat64(b.metrics.total.WithLabelValues(ResultSent)))
	t.Logf("A (pid %d) recorded %d sends before SIGKILL and left %d pushes leased (%d already shown); B took them over after the %s lease",
		child.PID(), sentByA, len(orphaned), shownNotRecorded, sigkillLease)
	if sentByA <= 0 || len(orphaned) == 0 {
		t.Fatalf("the child process recorded %d sends and held %d leases when killed; its log:\n%s",
			sentByA, len(orphaned), child.Log())
	}
	assertShownOnce(t, db, platform, drainPushes)
}

// child is instance A of a killed-instance test: this test binary again,
// running only one test (which plays the worker), in its own process.
type child struct {
	cmd    *exec.Cmd
	log    bytes.Buffer
	killed bool
}

// startChild starts the test binary running only test, with env added;
// it is killed at the end of t unless the test killed it before.
func startChild(t *testing.T, test string, env ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^"+test+"$")}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.log, &c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !c.killed {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

// Kill ends the child with SIGKILL: whatever it had claimed, sent or was
// about to record stays as it was.
func (c *child) Kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.killed = true
	_ = c.cmd.Wait()
}

// PID is the child's process id; Log what it printed.
func (c *child) PID() int    { return c.cmd.Process.Pid }
func (c *child) Log() string { return c.log.String() }

// runInBackground runs w until the returned stop is called, which waits
// for it.
func runInBackground(w *Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		w.Run(ctx)
	}()
	return func() {
		cancel()
		<-stopped
	}
}
