package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"zsjc/config"
)

var demoPassword = regexp.MustCompile(`username admin, password (\S+) `)

// TestDemoPasswordUntilFirstLogin: a start that cannot listen prints no
// password; every start prints a fresh one while the demo admin has never
// logged in, none after; staff reset-password sets a new one.
func TestDemoPasswordUntilFirstLogin(t *testing.T) {
	dataDir := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ZSJC_DATA_DIR": dataDir, "ZSJC_LOG_LEVEL": "error", "ZSJC_ADDR": busy.Addr().String()}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	if err := serve(context.Background(), cfg, out); err == nil || strings.Contains(out.String(), "password") {
		t.Fatalf("start on a busy port: err %v, printed:\n%s", err, out)
	}
	busy.Close()

	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	env["ZSJC_ADDR"] = "127.0.0.1:" + port
	base := "http://" + env["ZSJC_ADDR"]
	// start serves until the returned stop is called, and reports the
	// password the start printed ("" for none).
	start := func() (printed string, stop func()) {
		t.Helper()
		cfg, err := config.Load(getenv, "")
		if err != nil {
			t.Fatal(err)
		}
		out := &lockedBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, cfg, out) }()
		stop = func() {
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v\n%s", err, out)
			}
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("server did not start:\n%s", out)
			}
		}
		if m := demoPassword.FindStringSubmatch(out.String()); m != nil {
			printed = m[1]
		}
		return printed, stop
	}
	login := func(password string) int {
		t.Helper()
		resp, err := http.Post(base+"/api/staff/login", "application/json",
			strings.NewReader(fmt.Sprintf(`{"username":"admin","password":%q}`, password)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	first, stop := start()
	stop()
	second, stop := start()
	if first == "" || second == "" || first == second {
		t.Fatalf("starts before the first login printed %q then %q: want two different passwords", first, second)
	}
	if code := login(first); code != http.StatusUnauthorized {
		t.Fatalf("the replaced password logs in: %d", code)
	}
	if code := login(second); code != http.StatusOK {
		t.Fatalf("the printed password does not log in: %d", code)
	}
	stop()
	again, stop := start()
	stop()
	if again != "" {
		t.Fatalf("a start after the admin logged in printed a password %q", again)
	}
	var cli lockedBuffer
	if err := run(context.Background(), []string{"staff", "reset-password", "-username", "admin"}, getenv, strings.NewReader("Reset-Pass-2026\n"), &cli); err != nil {
		t.Fatalf("staff reset-password: %v", err)
	}
	_, stop = start()
	defer stop()
	if code := login("Reset-Pass-2026"); code != http.StatusOK {
		t.Fatalf("the reset password does not log in: %d (%s)", code, cli.String())
	}
	if err := run(context.Background(), []string{"staff", "reset-password", "-username", "nobody"}, getenv, strings.NewReader("Reset-Pass-2026\n"), &cli); err == nil {
		t.Error("reset-password of an unknown account succeeded")
	}
}
