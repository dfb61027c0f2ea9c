package service_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/service"
)

// FuzzVerifyIntegration feeds arbitrary timestamps, signatures and bodies
// to the integration API's authentication: it never panics, refuses every
// signature but the right one, and accepts the right one exactly once.
func FuzzVerifyIntegration(f *testing.F) {
	const secret = "fuzz-integration-secret"
	now := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add(ts, "", []byte(`{"event_id":"e1","stage":"受理"}`))
	f.Add(ts, service.SignIntegration(secret, ts, []byte("{}")), []byte("{}"))
	f.Add("-1", "zz", []byte{0xff, 0x00})
	f.Add("99999999999999999999", "ABCDEF", []byte(""))
	f.Add(ts+"\n", " "+service.SignIntegration(secret, ts, nil)+" ", []byte(nil))
	f.Fuzz(func(t *testing.T, timestamp, signature string, body []byte) {
		svc := service.New(service.Deps{Cache: cache.NewMemory(), Now: func() time.Time { return now }},
			service.Options{IntegrationSecret: secret})
		ctx := context.Background()
		right := service.SignIntegration(secret, timestamp, body)
		err := svc.VerifyIntegration(ctx, timestamp, signature, body)
		if err == nil && strings.ToLower(strings.TrimSpace(signature)) != right {
			t.Fatalf("signature %q accepted for body %q at %q", signature, body, timestamp)
		}
		if err != nil && !errors.Is(err, service.ErrSignatureInvalid) && !errors.Is(err, service.ErrTimestampStale) {
			t.Fatalf("unexpected error %v", err)
		}
		// The right signature: accepted once within the window, then a replay.
		first := svc.VerifyIntegration(ctx, timestamp, right, body)
		sec, perr := strconv.ParseInt(timestamp, 10, 64)
		inWindow := perr == nil && now.Sub(time.Unix(sec, 0)).Abs() <= service.IntegrationWindow
		switch {
		case !inWindow && !errors.Is(first, service.ErrTimestampStale):
			t.Fatalf("stale timestamp %q: %v", timestamp, first)
		case inWindow && err == nil && !errors.Is(first, service.ErrRequestReplayed):
			t.Fatalf("replayed signature: %v", first)
		case inWindow && err != nil && first != nil:
			t.Fatalf("right signature refused: %v", first)
		}
	})
}
