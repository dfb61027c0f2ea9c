package loadgen

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClosedAndRateAgainstBaseline(t *testing.T) {
	b, err := StartBaseline()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	client := Client(8)
	get := func(ctx context.Context, _ int) error {
		resp, err := client.Get(b.URL + "/case")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), "case_no") {
			return errors.New("unexpected body")
		}
		return nil
	}
	res, err := Closed(context.Background(), "baseline", 4, 200, 10*time.Second, get)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 200 || res.Errors != 0 || res.Throughput() <= 0 || res.Percentile(99) < res.Percentile(50) {
		t.Fatalf("closed run: %v", res)
	}
	// Against a real server the open loop may outrun it on a loaded
	// machine; what must hold is that every arrival is accounted for:
	// served, or refused as backlog — never lost or failed otherwise.
	res, err = Rate(context.Background(), "rate", 200, 250*time.Millisecond, 16, get)
	if res.Requests != 50 || (err != nil && (!errors.Is(err, ErrBacklog) || res.Errors == res.Requests)) {
		t.Fatalf("rate run: %v %v", res, err)
	}
}

// TestRateStartsEveryRequestOnce: an open-loop run starts rps × d
// requests, each index once, none refused while there is room in flight.
func TestRateStartsEveryRequestOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	res, err := Rate(context.Background(), "instant", 400, 100*time.Millisecond, 40, func(_ context.Context, i int) error {
		mu.Lock()
		seen[i]++
		mu.Unlock()
		return nil
	})
	if err != nil || res.Requests != 40 || res.Errors != 0 || len(seen) != 40 {
		t.Fatalf("rate run: %v %v, %d distinct requests", res, err, len(seen))
	}
	for i := range 40 {
		if seen[i] != 1 {
			t.Errorf("request %d started %d times", i, seen[i])
		}
	}
}

func TestFailuresAreReported(t *testing.T) {
	boom := errors.New("boom")
	res, err := Closed(context.Background(), "failing", 2, 10, time.Second, func(context.Context, int) error { return boom })
	if !errors.Is(err, boom) || res.Errors != 10 {
		t.Fatalf("got %v, %v", res, err)
	}
}

func TestOnlyLoopbackTargets(t *testing.T) {
	for target, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:1": true, "http://[::1]:80": true,
		"http://10.0.0.1": false, "http://example.com": false, "http://192.168.1.2:8080": false,
	} {
		if err := CheckLoopback(target); (err == nil) != ok {
			t.Errorf("CheckLoopback(%s) = %v", target, err)
		}
	}
}
