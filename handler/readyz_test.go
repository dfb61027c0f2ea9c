package handler_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"zsjc/handler"
	"zsjc/handler/handlertest"
)

type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// TestReadyzNamesOnlyWhatIsDown: a dependency that hangs until the
// deadline is reported unreachable without taking the others' time, so
// /readyz names it alone and answers within its 2 s budget.
func TestReadyzNamesOnlyWhatIsDown(t *testing.T) {
	t.Parallel() // waits out the 2 s budget five times
	e := handlertest.New(t)
	hang := pingFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	healthy := pingFunc(func(ctx context.Context) error { return ctx.Err() })
	h := handler.New(handler.Deps{Service: e.Svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
		Ready:    map[string]handler.Pinger{"db": hang, "redis": healthy, "files": healthy}})
	for range 5 { // map order varies: the hanging check comes first in some runs
		t0 := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		body := rec.Body.String()
		if rec.Code != 503 || !strings.Contains(body, `"failed":["db"]`) || !strings.Contains(body, `"redis":"ok"`) {
			t.Fatalf("readyz with the database hanging: %d %s", rec.Code, body)
		}
		if took := time.Since(t0); took > 3*time.Second {
			t.Fatalf("readyz took %s", took)
		}
	}
}
