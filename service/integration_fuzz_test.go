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

// FuzzVerifyIntegration feeds arbitrary timestamps, methods, paths,
// signatures and bodies to the integration API's authentication: it never
// panics, refuses every signature but the right one (a signature for
// another method or path included), and accepts the right one exactly once.
func FuzzVerifyIntegration(f *testing.F) {
	const secret = "fuzz-integration-secret"
	const casePath = "/api/integration/cases/%E4%BA%AC%E6%A3%80%2F1%E5%8F%B7"
	now := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Unix(), 10)
	sign := func(ts, method, path string, body []byte) string {
		return service.SignIntegration(secret, service.IntegrationRequest{Timestamp: ts, Method: method, Path: path, Body: body})
	}
	f.Add(ts, "POST", casePath+"/events", "", []byte(`{"event_id":"e1","stage":"受理"}`))
	f.Add(ts, "PUT", casePath, sign(ts, "PUT", casePath, []byte("{}")), []byte("{}"))
	f.Add(ts, "PUT", "/api/integration/cases/other", sign(ts, "PUT", casePath, []byte("{}")), []byte("{}"))
	f.Add(ts, "POST", casePath, sign(ts, "PUT", casePath, []byte("{}")), []byte("{}"))
	f.Add(ts, "PUT\n/api", "integration", sign(ts, "PUT", "/api\nintegration", nil), []byte(nil))
	f.Add("-1", "", "", "zz", []byte{0xff, 0x00})
	f.Add("99999999999999999999", "GET", "/", "ABCDEF", []byte(""))
	f.Add(ts+"\n", "PUT", casePath, " "+sign(ts, "PUT", casePath, nil)+" ", []byte(nil))
	f.Fuzz(func(t *testing.T, timestamp, method, path, signature string, body []byte) {
		svc := service.New(service.Deps{Cache: cache.NewMemory(), Now: func() time.Time { return now }},
			service.Options{IntegrationSecret: secret})
		ctx := context.Background()
		req := service.IntegrationRequest{Timestamp: timestamp, Method: method, Path: path, Body: body}
		right := service.SignIntegration(secret, req)
		err := svc.VerifyIntegration(ctx, req, signature)
		if err == nil && strings.ToLower(strings.TrimSpace(signature)) != right {
			t.Fatalf("signature %q accepted for %s %q body %q at %q", signature, method, path, body, timestamp)
		}
		if err != nil && !errors.Is(err, service.ErrSignatureInvalid) && !errors.Is(err, service.ErrTimestampStale) {
			t.Fatalf("unexpected error %v", err)
		}
		// The right signature: accepted once within the window, then a replay.
		first := svc.VerifyIntegration(ctx, req, right)
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
