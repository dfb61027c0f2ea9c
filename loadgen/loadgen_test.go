package loadgen

import (
	"context"
	"errors"
	"io"
	"strings"
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
	res, err = Rate(context.Background(), "rate", 200, 250*time.Millisecond, 16, get)
	if err != nil || res.Requests != 50 {
		t.Fatalf("rate run: %v %v", res, err)
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
