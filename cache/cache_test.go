package cache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/testenv"
)

// stores returns every implementation available to this run: always the
// in-process one, and Redis when ZSJC_TEST_REDIS_ADDR is set.
func stores(t *testing.T) map[string]cache.Store {
	out := map[string]cache.Store{"memory": cache.NewMemory()}
	if testenv.RedisAddr() != "" {
		out["redis"] = testenv.Cache(t)
	}
	return out
}

// TestStoreContract is the one suite both implementations must pass.
func TestStoreContract(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()

			if _, err := s.Get(ctx, "missing"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("Get missing: got %v, want ErrMiss", err)
			}
			if err := s.Set(ctx, "k", "v", 0); err != nil {
				t.Fatal(err)
			}
			if v, err := s.Get(ctx, "k"); err != nil || v != "v" {
				t.Fatalf("Get k = %q, %v", v, err)
			}
			if d, err := s.TTL(ctx, "k"); err != nil || d >= 0 {
				t.Fatalf("TTL of key without expiry = %v, %v; want negative", d, err)
			}

			if err := s.Set(ctx, "other", "", 0); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetMulti(ctx, "k", "missing", "other")
			if err != nil || len(got) != 2 || got["k"] != "v" || got["other"] != "" {
				t.Fatalf("GetMulti = %q, %v; want k=v and other empty, missing absent", got, err)
			}
			if got, err := s.GetMulti(ctx, "missing"); err != nil || len(got) != 0 {
				t.Fatalf("GetMulti of a missing key = %q, %v", got, err)
			}

			ok, err := s.SetNX(ctx, "nx", "first", time.Minute)
			if err != nil || !ok {
				t.Fatalf("first SetNX = %v, %v", ok, err)
			}
			ok, err = s.SetNX(ctx, "nx", "second", time.Minute)
			if err != nil || ok {
				t.Fatalf("second SetNX = %v, %v; want false", ok, err)
			}
			if v, _ := s.Get(ctx, "nx"); v != "first" {
				t.Fatalf("SetNX overwrote: %q", v)
			}
			if d, err := s.TTL(ctx, "nx"); err != nil || d <= 0 || d > time.Minute {
				t.Fatalf("TTL nx = %v, %v", d, err)
			}

			for i := int64(1); i <= 3; i++ {
				n, err := s.Incr(ctx, "ctr", time.Minute)
				if err != nil || n != i {
					t.Fatalf("Incr #%d = %d, %v", i, n, err)
				}
			}
			if err := s.Decr(ctx, "ctr"); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Incr(ctx, "ctr", time.Minute); err != nil || n != 3 {
				t.Fatalf("Incr after Decr = %d, %v; want 3", n, err)
			}
			if err := s.Decr(ctx, "absent"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "absent"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("Decr created a missing key: %v", err)
			}

			if ok, _ := s.DelIfEqual(ctx, "nx", "other"); ok {
				t.Fatal("DelIfEqual removed a key holding another value")
			}
			if ok, _ := s.DelIfEqual(ctx, "nx", "first"); !ok {
				t.Fatal("DelIfEqual did not remove the key holding the value")
			}
			if err := s.Del(ctx, "k", "ctr", "never-set"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "k"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("Get after Del: %v", err)
			}
			if _, err := s.TTL(ctx, "k"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("TTL after Del: %v", err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStoreExpiry(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := s.Set(ctx, "short", "v", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Incr(ctx, "window", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			// A second increment must not extend the window.
			if _, err := s.Incr(ctx, "window", time.Hour); err != nil {
				t.Fatal(err)
			}
			time.Sleep(120 * time.Millisecond)
			if _, err := s.Get(ctx, "short"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("value outlived its ttl: %v", err)
			}
			if n, err := s.Incr(ctx, "window", time.Minute); err != nil || n != 1 {
				t.Fatalf("counter after window = %d, %v; want a new window at 1", n, err)
			}
			ok, err := s.SetNX(ctx, "short", "again", time.Minute)
			if err != nil || !ok {
				t.Fatalf("SetNX on expired key = %v, %v", ok, err)
			}
		})
	}
}

// TestSetNXOneWinner: of many concurrent claimants exactly one wins, which
// is what callback dedup and token-refresh locks rely on.
func TestSetNXOneWinner(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.SetNX(context.Background(), "lock", fmt.Sprint(i), time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d winners, want 1", wins.Load())
			}
		})
	}
}

// TestExpireIfEqual: a new ttl is set only while the key holds the value,
// so an instance cannot extend a value another has replaced.
func TestExpireIfEqual(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := s.Set(ctx, "epoch", "e1", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.ExpireIfEqual(ctx, "epoch", "e0", time.Hour); err != nil || ok {
				t.Fatalf("extended a value the key does not hold: %v, %v", ok, err)
			}
			if ok, err := s.ExpireIfEqual(ctx, "epoch", "e1", time.Hour); err != nil || !ok {
				t.Fatalf("ExpireIfEqual = %v, %v", ok, err)
			}
			if ttl, err := s.TTL(ctx, "epoch"); err != nil || ttl < 59*time.Minute {
				t.Fatalf("ttl after extending = %v, %v", ttl, err)
			}
			if ok, err := s.ExpireIfEqual(ctx, "absent", "x", time.Hour); err != nil || ok {
				t.Fatalf("extended an absent key: %v, %v", ok, err)
			}
		})
	}
}
