// Package cache is the shared, short-lived state of all instances: sessions,
// OAuth states, dedup keys, locks, rate-limit counters and platform tokens.
// Redis backs it in production; an in-process map backs it in dev mode and
// in tests without Redis. Both pass the same contract tests (cache_test.go).
package cache

import (
	"context"
	"errors"
	"time"
)

// ErrMiss is returned by Get for a missing or expired key.
var ErrMiss = errors.New("cache: key not found")

// Store is the small set of operations the code uses.
type Store interface {
	// Get returns the value of key, or ErrMiss.
	Get(ctx context.Context, key string) (string, error)
	// GetMulti returns the values of the keys that exist, in one round
	// trip; missing keys are absent from the map.
	GetMulti(ctx context.Context, keys ...string) (map[string]string, error)
	// Set stores value under key for ttl (0: no expiry).
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// SetNX stores value only if key does not exist; it reports whether it did.
	SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	// Incr adds one to the counter at key and returns the new value; the
	// first increment starts the ttl window.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Decr takes one back from an existing counter (an attempt counted in
	// advance that turned out not to count); a missing key stays missing.
	Decr(ctx context.Context, key string) error
	// TTL returns how long key still lives, ErrMiss if it does not exist,
	// and a negative duration for a key without expiry.
	TTL(ctx context.Context, key string) (time.Duration, error)
	// Del removes keys; missing keys are not an error.
	Del(ctx context.Context, keys ...string) error
	// DelIfEqual removes key only while it still holds value (releasing a
	// lock only if we still own it) and reports whether it did.
	DelIfEqual(ctx context.Context, key, value string) (bool, error)
	// ExpireIfEqual gives key a new ttl only while it still holds value
	// (extending a value another instance may replace meanwhile) and
	// reports whether it did.
	ExpireIfEqual(ctx context.Context, key, value string, ttl time.Duration) (bool, error)
	// Ping checks the connection.
	Ping(ctx context.Context) error
}
