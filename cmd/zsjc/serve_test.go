package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// SIGTERM (ctx cancelled) while a request is in flight: the request
// finishes with its full answer, workers are told to stop and are waited
// for, and runServer returns cleanly.
func TestGracefulShutdownDrainsInFlightRequests(t *testing.T) {
	started := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "finished")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var workerStopped atomic.Bool
	worker := func(ctx context.Context) {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // releasing leases
		workerStopped.Store(true)
	}
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, srv, ln, []func(context.Context){worker}) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel()

	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("runServer: %v", err)
	}
	if !workerStopped.Load() {
		t.Fatal("runServer returned before the worker stopped")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond); err == nil {
		t.Fatal("listener still accepts after shutdown")
	}
}

func TestBadConfigurationFailsWithOneLine(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"ZSJC_MYSQL_DSN":      {"ZSJC_MYSQL_DSN": "nonsense"},
		"ZSJC_WECHAT_AES_KEY": {"ZSJC_WECHAT_AES_KEY": "tooshort"},
	} {
		err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
}

func TestMigrateAndStaffAddInDevMode(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "ZSJC_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, getenv, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "migrated") {
		t.Fatalf("migrate said %q", out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"staff", "add", "-username", "chief", "-role", "admin"}, getenv, strings.NewReader("Sup3r-secret\n"), &out)
	if err != nil || !strings.Contains(out.String(), "created staff chief") {
		t.Fatalf("staff add: %v %q", err, out.String())
	}
	err = run(context.Background(), []string{"staff", "add", "-username", "weak", "-role", "admin"}, getenv, strings.NewReader("password\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("weak password accepted: %v", err)
	}
	err = run(context.Background(), []string{"staff", "add", "-username", "chief", "-role", "admin"}, getenv, strings.NewReader("Sup3r-secret\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "username") {
		t.Fatalf("duplicate username accepted: %v", err)
	}
}

// TestTemplateMappingThatCannotBeValidStopsTheStart: a case number (which
// may hold Chinese) mapped to a character_string field is refused at
// start, naming the kind and field.
func TestTemplateMappingThatCannotBeValidStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.Join(dir, "zsjc.yaml")
	yaml := "push:\n  templates:\n    case_event:\n      id: T1\n      subscribe: {id: S1, fields: {character_string1: case_no}}\n"
	if err := os.WriteFile(yamlPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"ZSJC_DATA_DIR": dir}[k] }
	err := run(context.Background(), []string{"-config", yamlPath, "serve"}, getenv, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "push.templates") ||
		!strings.Contains(err.Error(), "case_event subscribe field character_string1 (character_string) cannot show case_no") {
		t.Fatalf("got %v", err)
	}
}
