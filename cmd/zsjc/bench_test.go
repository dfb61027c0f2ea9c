package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A small `zsjc bench` run: every scenario runs against the real wiring
// and prints its figure with a ratio, and the contention check holds.
func TestBenchSmoke(t *testing.T) {
	var out bytes.Buffer
	args := []string{"bench", "-duration", "300ms", "-workers", "2", "-rate", "40", "-callbacks", "60",
		"-racers", "30", "-places", "3", "-pushes", "40", "-platform-latency", "2ms", "-push-concurrency", "8"}
	getenv := func(k string) string {
		if k == "ZSJC_DATA_DIR" {
			return t.TempDir()
		}
		return ""
	}
	if err := run(context.Background(), args, getenv, nil, &out); err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ratio", "(a) WeChat callbacks", "(b) H5 case read", "3 booked (201), 27 refused slot_full", "outbox drain: 40 pushes", "RSS idle"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(context.Background(), []string{"bench", "-workers", "0"}, getenv, nil, &out); err == nil {
		t.Error("bench accepted 0 workers")
	}
}
