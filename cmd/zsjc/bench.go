package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"zsjc/config"
	"zsjc/loadgen"
	"zsjc/model"
	"zsjc/service"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// benchOptions bound every run of `zsjc bench` in count and time.
type benchOptions struct {
	duration    time.Duration // per closed-loop run
	workers     int
	rate        int // requests/s of the open-loop callback run
	callbacks   int // pre-signed callbacks for the closed-loop run (its count bound)
	racers      int
	places      int
	pushes      int
	latency     time.Duration // fake platform latency for the outbox drain
	concurrency int           // outbox send concurrency
	cpuProfile  string        // file for a CPU profile of the timed runs, "" for none
}

// bench starts one instance of the server on loopback (dev mode, the local
// WeChat sandbox, a scratch data dir; MySQL/Redis when configured) beside a
// bare Gin baseline, drives both and prints every figure with its ratio.
func bench(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := benchOptions{}
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "length of each closed-loop run")
	fs.IntVar(&o.workers, "workers", 16, "concurrent clients of the closed-loop runs")
	fs.IntVar(&o.rate, "rate", 1000, "requests per second of the open-loop callback run")
	fs.IntVar(&o.callbacks, "callbacks", 60000, "callbacks signed in advance for the closed-loop run (it stops after them)")
	fs.IntVar(&o.racers, "racers", 500, "lawyers racing for one slot")
	fs.IntVar(&o.places, "places", 10, "places of the contended slot")
	fs.IntVar(&o.pushes, "pushes", 5000, "pushes to drain")
	fs.DurationVar(&o.latency, "platform-latency", 20*time.Millisecond, "latency of the fake platform's template send")
	fs.IntVar(&o.concurrency, "push-concurrency", 64, "outbox send concurrency")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the runs (server and load generator) to this file")
	if err := fs.Parse(args); err != nil {
		return usageError{"bench: " + err.Error()}
	}
	if o.duration <= 0 || o.duration > time.Minute || o.workers < 1 || o.workers > 256 || o.rate < 1 || o.rate > 20000 ||
		o.racers < 1 || o.racers > 5000 || o.places < 1 || o.pushes < 1 || o.pushes > 100000 || o.callbacks < 1 || o.callbacks > 200000 {
		return usageError{"bench: flag out of range (duration ≤ 1m, workers ≤ 256, rate ≤ 20000, racers ≤ 5000, pushes ≤ 100000, callbacks ≤ 200000)"}
	}

	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	bc := *cfg
	bc.Mode = config.ModeDev
	bc.WeChat = config.Default().WeChat // the sandbox platform, never the real one
	bc.Addr = "127.0.0.1:" + port
	bc.PublicURL = "http://127.0.0.1:" + port
	bc.LogLevel = "error"
	bc.Push.Concurrency = o.concurrency
	if bc.MySQLDSN != "" {
		if dsn, err := mysqldriver.ParseDSN(bc.MySQLDSN); err != nil || !strings.Contains(dsn.DBName, "bench") {
			return errBenchMySQL
		}
	} else {
		dir, err := os.MkdirTemp("", "zsjc-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bc.DataDir = dir
	}
	a, err := wire(ctx, &bc, newLogger(&bc, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	if _, err := a.svc.SeedDemo(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", bc.Addr)
	if err != nil {
		return err
	}
	srvCtx, stopServer := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- runServer(srvCtx, a.httpServer(), ln, a.workers()) }()
	defer func() { stopServer(); <-served }()

	base, err := loadgen.StartBaseline()
	if err != nil {
		return err
	}
	defer base.Close()

	if err := loadgen.CheckLoopback(bc.PublicURL); err != nil {
		return err
	}
	b := &benchRun{a: a, o: o, url: bc.PublicURL, base: base, out: stdout, client: loadgen.Client(max(o.workers, 64))}
	fmt.Fprintf(stdout, "zsjc bench: %d CPUs, %s, %s; closed-loop runs of %s with %d clients\n",
		runtime.NumCPU(), dbName(&bc), cacheDesc(&bc), o.duration, o.workers)
	fmt.Fprintf(stdout, "RSS idle: %.1f MB (this process: server and load generator)\n", rssMB())
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	for _, step := range []func(context.Context) error{b.callbacks, b.caseReads, b.contention, b.drain} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "RSS after load: %.1f MB\n", rssMB())
	return nil
}

// startCPUProfile profiles this process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

type benchRun struct {
	a      *app
	o      benchOptions
	url    string
	base   *loadgen.Baseline
	out    io.Writer
	client *http.Client
}

func (b *benchRun) report(r loadgen.Result, baseline loadgen.Result) {
	fmt.Fprintf(b.out, "  %s\n  %s\n  ratio: %.2f of bare Gin\n", baseline, r, r.Throughput()/baseline.Throughput())
}

// callbacks: signed safe-mode text, subscribe and CLICK callbacks, each a
// new message (no duplicates), against a bare Gin handler answering
// "success". The requests are signed and encrypted before the runs, so
// the load generator's own crypto does not count against the server.
func (b *benchRun) callbacks(ctx context.Context) error {
	fmt.Fprintln(b.out, "\n(a) WeChat callbacks, safe mode, with Redis/in-process dedup")
	rated := b.o.rate * int(b.o.duration.Seconds()+1)
	signed, err := b.signedCallbacks(b.o.callbacks + rated)
	if err != nil {
		return err
	}
	post := func(ctx context.Context, c signedCallback) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/xml")
		resp, err := b.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !(bytes.Contains(raw, []byte("<Encrypt>")) || string(raw) == "success") {
			return fmt.Errorf("callback answered %d: %.200s", resp.StatusCode, raw)
		}
		return nil
	}
	baseOp := func(_ context.Context, _ int) error {
		return b.expect(http.MethodPost, b.base.URL+"/callback", nil, http.StatusOK)
	}
	baseline, err := loadgen.Closed(ctx, "bare Gin \"success\"", b.o.workers, 1<<30, b.o.duration, baseOp)
	if err != nil {
		return err
	}
	res, err := loadgen.Closed(ctx, "safe-mode callback", b.o.workers, b.o.callbacks, b.o.duration,
		func(ctx context.Context, i int) error { return post(ctx, signed[i]) })
	if err != nil {
		return err
	}
	b.report(res, baseline)
	rest := signed[res.Requests:]
	fixed, err := loadgen.Rate(ctx, fmt.Sprintf("safe-mode callback at %d/s", b.o.rate), b.o.rate, b.o.duration, 512,
		func(ctx context.Context, i int) error { return post(ctx, rest[i]) })
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "  %s\n", fixed)
	return nil
}

// signedCallback is one callback ready to post.
type signedCallback struct {
	url  string
	body []byte
}

// signedCallbacks signs and encrypts n distinct callbacks: text messages,
// subscribe and CLICK events in turn, from 500 followers.
func (b *benchRun) signedCallbacks(n int) ([]signedCallback, error) {
	cc := b.callbackClient()
	now := time.Now().Unix()
	out := make([]signedCallback, n)
	for i := range out {
		var m wechattest.Message
		openid := "o-bench-" + strconv.Itoa(i%500)
		switch i % 3 {
		case 0:
			m = wechattest.Text(openid, "帮助", int64(i)+1)
		case 1:
			m = wechattest.Event(openid, "subscribe", "")
		default:
			m = wechattest.Event(openid, "CLICK", "HELP")
		}
		m.CreateTime = now + int64(i) // distinct events, not retries
		req, err := cc.Request(m)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		out[i] = signedCallback{url: req.URL.String(), body: body}
	}
	return out, nil
}

func (b *benchRun) callbackClient() *wechattest.CallbackClient {
	w := b.a.wx.cfg
	return &wechattest.CallbackClient{Token: w.Token, AppID: w.AppID, EncodingAESKey: w.AESKey,
		Mode: wechattest.Safe, Target: b.url + "/wechat/callback", HTTP: b.client}
}

// caseReads: an approved party reads the case detail with its timeline,
// against a bare Gin handler rendering a case-shaped object.
func (b *benchRun) caseReads(ctx context.Context) error {
	fmt.Fprintln(b.out, "\n(b) H5 case read (session, access check, case + timeline)")
	c, err := b.demoCase(ctx)
	if err != nil {
		return err
	}
	users, err := b.boundUsers(ctx, c.ID, model.RoleParty, "o-reader-", 1)
	if err != nil {
		return err
	}
	cookie := users[0]
	path := b.url + "/api/h5/cases/" + strconv.FormatUint(c.ID, 10)
	baseline, err := loadgen.Closed(ctx, "bare Gin JSON", b.o.workers, 1<<30, b.o.duration,
		func(context.Context, int) error {
			return b.expect(http.MethodGet, b.base.URL+"/case", nil, http.StatusOK)
		})
	if err != nil {
		return err
	}
	res, err := loadgen.Closed(ctx, "GET /api/h5/cases/:id", b.o.workers, 1<<30, b.o.duration,
		func(context.Context, int) error { return b.expect(http.MethodGet, path, cookie, http.StatusOK) })
	if err != nil {
		return err
	}
	b.report(res, baseline)
	return nil
}

// contention: racers lawyers with approved bindings book one slot at once.
func (b *benchRun) contention(ctx context.Context) error {
	fmt.Fprintf(b.out, "\n(c) %d lawyers racing for a slot of %d places\n", b.o.racers, b.o.places)
	c, err := b.demoCase(ctx)
	if err != nil {
		return err
	}
	users, err := b.boundUsers(ctx, c.ID, model.RoleLawyer, "o-racer-", b.o.racers)
	if err != nil {
		return err
	}
	slot, err := b.futureSlot(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"case_id": c.ID, "slot_id": slot.ID, "copy_method": "复印"})
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, cookie := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, err := b.do(http.MethodPost, b.url+"/api/h5/reviews", cookie, body)
			mu.Lock()
			if err != nil {
				code = -1
			}
			codes[code]++
			mu.Unlock()
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	var booked int
	if err := b.a.db.WithContext(ctx).Model(&model.ReviewSlot{}).Where("id = ?", slot.ID).Pluck("booked", &booked).Error; err != nil {
		return err
	}
	fmt.Fprintf(b.out, "  %d booked (201), %d refused slot_full (409), other %v; slot.booked = %d; all answered in %.0f ms\n",
		codes[http.StatusCreated], codes[http.StatusConflict], otherCodes(codes), booked, ms(elapsed))
	if codes[http.StatusCreated] != b.o.places || booked != b.o.places {
		return fmt.Errorf("bench: contention booked %d (column %d), want exactly %d", codes[http.StatusCreated], booked, b.o.places)
	}
	return nil
}

// drain: queue pushes and time the workers delivering them to the fake
// platform at the given latency, against raw sends to the same fake with
// the same concurrency and no database.
func (b *benchRun) drain(ctx context.Context) error {
	fmt.Fprintf(b.out, "\n(d) outbox drain: %d pushes, platform latency %s, send concurrency %d\n", b.o.pushes, b.o.latency, b.o.concurrency)
	platform := b.a.wx.sandbox
	platform.SetLatency(b.o.latency)
	defer platform.SetLatency(0)

	raw := min(b.o.pushes, 2000)
	rawRun, err := loadgen.Closed(ctx, "raw template sends (no outbox)", b.o.concurrency, raw, time.Minute,
		func(ctx context.Context, i int) error {
			_, err := b.a.wx.client.SendTemplate(ctx, wechat.TemplateMessage{ToUser: "o-raw-" + strconv.Itoa(i),
				TemplateID: "bench", Data: map[string]string{"thing1": "基线"}, ClientMsgID: "raw-" + strconv.Itoa(i)})
			return err
		})
	if err != nil {
		return err
	}
	before := len(platform.Sent())
	now := time.Now().UTC()
	rows := make([]model.PushMessage, b.o.pushes)
	for i := range rows {
		key := fmt.Sprintf("bench:%d:%d", now.UnixNano(), i)
		rows[i] = model.PushMessage{OpenID: "o-drain-" + strconv.Itoa(i), Kind: model.PushCaseEvent, DedupKey: key,
			ClientMsgID: service.ClientMsgID(key), Status: model.StatusQueued, NextAttemptAt: now,
			Data: `{"case_name":"张三涉嫌盗窃案","stage":"审查起诉","time":"2026-12-01 10:00"}`, URL: "/h5/cases"}
	}
	t0 := time.Now()
	if err := b.a.db.WithContext(ctx).CreateInBatches(&rows, 500).Error; err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(platform.Sent())-before < b.o.pushes {
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: only %d of %d pushes reached the platform in 2 minutes", len(platform.Sent())-before, b.o.pushes)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(t0)
	rate := float64(b.o.pushes) / elapsed.Seconds()
	fmt.Fprintf(b.out, "  %s\n  outbox drain: %d pushes in %.2fs = %.0f pushes/s (queue insert included)\n  ratio: %.2f of raw sends\n",
		rawRun, b.o.pushes, elapsed.Seconds(), rate, rate/rawRun.Throughput())
	return nil
}

// demoCase is the seeded demo case.
func (b *benchRun) demoCase(ctx context.Context) (model.Case, error) {
	var c model.Case
	err := b.a.db.WithContext(ctx).Where("case_no = ?", service.DemoCaseNo).Take(&c).Error
	return c, err
}

// boundUsers creates n followers with approved bindings of role to the
// case and returns their session cookies.
func (b *benchRun) boundUsers(ctx context.Context, caseID uint64, role, prefix string, n int) ([]*http.Cookie, error) {
	users := make([]model.WeChatUser, 0, n)
	err := b.a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := 0; i < n; i++ {
			u := model.WeChatUser{OpenID: prefix + strconv.Itoa(i), Subscribed: true}
			if err := tx.Create(&u).Error; err != nil {
				return err
			}
			bind := model.Binding{UserID: u.ID, CaseID: caseID, Role: role, Status: model.StatusApproved, LiveKey: model.LiveKey(u.ID, caseID)}
			if err := tx.Create(&bind).Error; err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Sessions once the users are committed: opening one reads the user.
	cookies := make([]*http.Cookie, 0, n)
	for _, u := range users {
		id, err := b.a.svc.NewUserSession(ctx, u)
		if err != nil {
			return nil, err
		}
		cookies = append(cookies, &http.Cookie{Name: "zsjc_session", Value: id})
	}
	return cookies, nil
}

// futureSlot makes a slot a week ahead, on a working day.
func (b *benchRun) futureSlot(ctx context.Context) (model.ReviewSlot, error) {
	loc := b.a.cfg.Location()
	cal := model.NewCalendar(b.a.cfg.Business.Holidays, b.a.cfg.Business.MakeupDays)
	day := cal.AddWorkingDays(time.Now().In(loc), 5)
	db := b.a.db.WithContext(ctx)
	var root model.Unit
	if err := db.Where("code = ?", model.RootUnitCode).Take(&root).Error; err != nil {
		return model.ReviewSlot{}, fmt.Errorf("root unit: %w", err)
	}
	room := model.Room{UnitID: root.ID, Name: "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36), Capacity: b.o.places}
	if err := db.Create(&room).Error; err != nil {
		return model.ReviewSlot{}, fmt.Errorf("bench room: %w", err)
	}
	slot := model.ReviewSlot{Date: day.Format(model.DateLayout), Period: "am", RoomID: room.ID,
		StartTime: "09:00", EndTime: "12:00", Capacity: b.o.places}
	return slot, db.Create(&slot).Error
}

// expect sends a request and checks the status, draining the body.
func (b *benchRun) expect(method, url string, cookie *http.Cookie, want int) error {
	code, err := b.do(method, url, cookie, nil)
	if err != nil {
		return err
	}
	if code != want {
		return fmt.Errorf("%s %s: status %d, want %d", method, url, code, want)
	}
	return nil
}

func (b *benchRun) do(method, url string, cookie *http.Cookie, body []byte) (int, error) {
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func otherCodes(codes map[int]int) map[int]int {
	out := map[int]int{}
	for c, n := range codes {
		if c != http.StatusCreated && c != http.StatusConflict {
			out[c] = n
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func freeLoopbackPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// rssMB is this process's resident set size from /proc (0 where absent).
func rssMB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func dbName(cfg *config.Config) string {
	if cfg.MySQLDSN != "" {
		return "MySQL"
	}
	return "embedded SQLite"
}

func cacheDesc(cfg *config.Config) string {
	if cfg.RedisAddr != "" {
		return "Redis"
	}
	return "in-process cache"
}

var errBenchMySQL = errors.New("bench: writes test data: point ZSJC_MYSQL_DSN at a scratch database whose name contains \"bench\", or leave it empty")
