// Package loadgen drives HTTP load over loopback and summarises it:
// closed-loop runs (N workers as fast as they can) and open-loop runs (a
// fixed request rate), each bounded in count and time, plus a bare Gin
// server that is the baseline every figure is divided by.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result summarises one run.
type Result struct {
	Name      string
	Requests  int
	Errors    int
	Elapsed   time.Duration
	latencies []time.Duration
}

// Throughput is successful requests per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Percentile returns the q-th latency percentile (0 < q ≤ 100).
func (r Result) Percentile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies))*q/100+0.5) - 1
	return r.latencies[max(0, min(i, len(r.latencies)-1))]
}

func (r Result) String() string {
	return fmt.Sprintf("%-34s %8.0f req/s  p50 %6.2fms  p95 %6.2fms  p99 %6.2fms  (%d requests, %d errors)",
		r.Name, r.Throughput(), ms(r.Percentile(50)), ms(r.Percentile(95)), ms(r.Percentile(99)), r.Requests, r.Errors)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// recorder collects latencies from many goroutines.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	firstErr  error
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	r.latencies = append(r.latencies, d)
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
	}
	r.mu.Unlock()
}

func (r *recorder) result(name string, elapsed time.Duration) (Result, error) {
	slices.Sort(r.latencies)
	res := Result{Name: name, Requests: len(r.latencies), Errors: r.errors, Elapsed: elapsed, latencies: r.latencies}
	if r.firstErr != nil {
		return res, fmt.Errorf("%s: %d of %d requests failed, first: %w", name, r.errors, res.Requests, r.firstErr)
	}
	return res, nil
}

// Op is one request; i numbers the requests of a run from 0.
type Op func(ctx context.Context, i int) error

// Closed runs op with workers goroutines until max requests are done or d
// has passed, whichever comes first.
func Closed(ctx context.Context, name string, workers, max int, d time.Duration, op Op) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	rec := &recorder{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= max {
					return
				}
				t0 := time.Now()
				err := op(ctx, i)
				if ctx.Err() != nil && err != nil {
					return // the run's time is up; the request was cut short
				}
				rec.add(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	return rec.result(name, time.Since(start))
}

// ErrBacklog is the error of a request Rate did not start because
// maxInFlight requests were still running: the server cannot keep up.
var ErrBacklog = errors.New("too many requests in flight")

// Rate starts op at rps requests per second for d (open loop: a slow
// server does not slow the arrivals), with at most maxInFlight at once.
func Rate(ctx context.Context, name string, rps int, d time.Duration, maxInFlight int, op Op) (Result, error) {
	total := int(float64(rps) * d.Seconds())
	interval := time.Second / time.Duration(rps)
	rec := &recorder{}
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total && ctx.Err() == nil; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case sem <- struct{}{}:
		default:
			rec.add(0, fmt.Errorf("%w (more than %d): the server cannot keep up with %d/s", ErrBacklog, maxInFlight, rps))
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			err := op(ctx, i)
			rec.add(time.Since(t0), err)
		}()
	}
	wg.Wait()
	return rec.result(name, time.Since(start))
}

// Client returns an HTTP client with enough idle connections for the load.
func Client(conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			IdleConnTimeout: 30 * time.Second,
		},
	}
}

// CheckLoopback refuses any target that is not on this machine.
func CheckLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("target %q is not a loopback address; load is only ever sent to this machine", target)
}
