package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"

	"zsjc/config"
	"zsjc/model"
	"zsjc/testenv"
	"zsjc/wechat/wechattest"
)

// instance is one server process started the way `zsjc serve` starts it,
// on a loopback port, for fault and two-instance tests.
type instance struct {
	t    *testing.T
	app  *app
	url  string
	stop func() error
}

// startInstance wires and serves an instance with env (ZSJC_* values) on
// top of dev mode with the local WeChat sandbox and a scratch data dir.
func startInstance(t *testing.T, env map[string]string) *instance {
	t.Helper()
	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"ZSJC_MODE": "dev", "ZSJC_ADDR": "127.0.0.1:" + port, "ZSJC_DATA_DIR": t.TempDir(),
		"ZSJC_LOG_LEVEL": "error"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := wire(context.Background(), cfg, newLogger(cfg, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, a.httpServer(), ln, a.workers()) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}
	t.Cleanup(func() {
		stop()
		a.close()
	})
	return &instance{t: t, app: a, url: "http://" + cfg.Addr, stop: stop}
}

// session logs a new follower in and returns the session cookie.
func (in *instance) session(openid string) *http.Cookie {
	in.t.Helper()
	u := model.WeChatUser{OpenID: openid, Subscribed: true}
	if err := in.app.db.Create(&u).Error; err != nil {
		in.t.Fatal(err)
	}
	id, err := in.app.svc.NewUserSession(context.Background(), u)
	if err != nil {
		in.t.Fatal(err)
	}
	return &http.Cookie{Name: "zsjc_session", Value: id}
}

type answer struct {
	code int
	body string
	took time.Duration
}

func (in *instance) get(path string, cookie *http.Cookie) answer {
	in.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.url+path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return in.send(req)
}

func (in *instance) send(req *http.Request) answer {
	in.t.Helper()
	t0 := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), time.Since(t0)}
}

// callback sends a signed safe-mode text message as WeChat would.
func (in *instance) callback(openid, text string, msgID int64) answer {
	in.t.Helper()
	w := in.app.wx.cfg
	cc := wechattest.CallbackClient{Token: w.Token, AppID: w.AppID, EncodingAESKey: w.AESKey, Mode: wechattest.Safe,
		Target: in.url + "/wechat/callback"}
	req, err := cc.Request(wechattest.Text(openid, text, msgID))
	if err != nil {
		in.t.Fatal(err)
	}
	req.RequestURI = ""
	return in.send(req)
}

// eventually polls check for up to 15 s.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func needServices(t *testing.T) (dsn string) {
	t.Helper()
	if testenv.MySQLDSN() == "" || testenv.RedisAddr() == "" {
		t.Skip("fault tests cut the network to a real MySQL and Redis: set ZSJC_TEST_MYSQL_DSN and ZSJC_TEST_REDIS_ADDR (CI does)")
	}
	_, dsn = testenv.DBWithDSN(t)
	return dsn
}

// Redis unreachable: callbacks are still answered in time, the H5 API
// answers 503 with a clear error, /readyz names redis, and everything
// recovers by itself when Redis is back.
func TestRedisOutage(t *testing.T) {
	dsn := needServices(t)
	redis := testenv.NewProxy(t, testenv.RedisAddr())
	in := startInstance(t, map[string]string{"ZSJC_MYSQL_DSN": dsn, "ZSJC_REDIS_ADDR": redis.Addr()})
	cookie := in.session("o-redis-outage")
	if a := in.get("/api/h5/me", cookie); a.code != http.StatusOK {
		t.Fatalf("before the outage: %d %s", a.code, a.body)
	}

	redis.Cut()
	a := in.get("/readyz", nil)
	if a.code != http.StatusServiceUnavailable || !strings.Contains(a.body, `"redis"`) {
		t.Fatalf("/readyz during the outage: %d %s", a.code, a.body)
	}
	a = in.get("/api/h5/me", cookie)
	if a.code != http.StatusServiceUnavailable || !strings.Contains(a.body, `"code":"unavailable"`) {
		t.Fatalf("H5 API during the outage: %d %s", a.code, a.body)
	}
	a = in.callback("o-redis-outage", "帮助", 9001)
	if a.code != http.StatusOK || a.took > 5*time.Second || !strings.Contains(a.body, "<Encrypt>") {
		t.Fatalf("callback during the outage: %d after %s: %s", a.code, a.took, a.body)
	}

	redis.Restore()
	eventually(t, "/readyz after Redis is back", func() bool { return in.get("/readyz", nil).code == http.StatusOK })
	if a := in.get("/api/h5/me", cookie); a.code != http.StatusOK {
		t.Fatalf("after the outage: %d %s", a.code, a.body)
	}
	// The message handled during the outage is still known as handled.
	if a := in.callback("o-redis-outage", "帮助", 9001); a.code != http.StatusOK {
		t.Fatalf("retry of the outage message: %d %s", a.code, a.body)
	}
}

// MySQL unreachable: the same promises, naming db.
func TestMySQLOutage(t *testing.T) {
	dsn := needServices(t)
	cfg, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	mysql := testenv.NewProxy(t, cfg.Addr)
	cfg.Addr = mysql.Addr()
	in := startInstance(t, map[string]string{"ZSJC_MYSQL_DSN": cfg.FormatDSN(), "ZSJC_REDIS_ADDR": testenv.RedisAddr()})
	cookie := in.session("o-mysql-outage")

	mysql.Cut()
	a := in.get("/readyz", nil)
	if a.code != http.StatusServiceUnavailable || !strings.Contains(a.body, `"db"`) {
		t.Fatalf("/readyz during the outage: %d %s", a.code, a.body)
	}
	a = in.get("/api/h5/me", cookie)
	var body struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal([]byte(a.body), &body)
	if a.code != http.StatusServiceUnavailable || body.Error.Code != "unavailable" || body.Error.Message == "" {
		t.Fatalf("H5 API during the outage: %d %s", a.code, a.body)
	}
	a = in.callback("o-mysql-outage", "帮助", 9002)
	if a.code != http.StatusOK || a.took > 5*time.Second {
		t.Fatalf("callback during the outage: %d after %s: %s", a.code, a.took, a.body)
	}

	mysql.Restore()
	eventually(t, "/readyz after MySQL is back", func() bool { return in.get("/readyz", nil).code == http.StatusOK })
	eventually(t, "H5 API after MySQL is back", func() bool { return in.get("/api/h5/me", cookie).code == http.StatusOK })
}

// SIGTERM under load: requests in flight finish, the push worker finishes
// its sends and leaves no lease behind, and nothing queued is lost.
func TestShutdownUnderLoad(t *testing.T) {
	_, dsn := testenv.DBWithDSN(t)
	env := map[string]string{}
	if dsn != "" {
		env["ZSJC_MYSQL_DSN"] = dsn
	}
	if testenv.RedisAddr() != "" {
		env["ZSJC_REDIS_ADDR"] = testenv.RedisAddr()
	}
	in := startInstance(t, env)
	db := in.app.db
	in.app.wx.sandbox.SetLatency(30 * time.Millisecond)
	const queued = 300
	now := time.Now().UTC()
	for i := 0; i < queued; i++ {
		key := fmt.Sprintf("shutdown:%d", i)
		row := model.PushMessage{OpenID: fmt.Sprintf("o-sd-%d", i), Kind: model.PushCaseEvent, DedupKey: key, ClientMsgID: key,
			Status: model.StatusQueued, NextAttemptAt: now, Data: `{"case_name":"案","stage":"受理","time":"今天"}`}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	cookie := in.session("o-shutdown")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var answered, refused int
	stopLoad := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, in.url+"/api/h5/me", nil)
				req.AddCookie(cookie)
				resp, err := client.Do(req)
				mu.Lock()
				if err != nil {
					refused++ // after the listener closed: never accepted, so never half-answered
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("in-flight request answered %d", resp.StatusCode)
					}
					answered++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // load and pushes under way
	if err := in.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	close(stopLoad)
	wg.Wait()
	if answered == 0 {
		t.Fatal("no request was answered before the shutdown")
	}
	var sending, total int64
	db.Model(&model.PushMessage{}).Where("status = ?", model.StatusSending).Count(&sending)
	db.Model(&model.PushMessage{}).Count(&total)
	if sending != 0 {
		t.Fatalf("%d pushes left leased in sending after a graceful stop", sending)
	}
	if total != queued {
		t.Fatalf("%d push rows after shutdown, want %d", total, queued)
	}
	t.Logf("answered %d requests, %d refused after the listener closed; %d pushes sent before the stop",
		answered, refused, len(in.app.wx.sandbox.Sent()))
}
