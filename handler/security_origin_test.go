package handler_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/model"
)

// Finding 7 of the security review: a no-cors fetch from another port of
// the same host cancelled a lawyer's meeting. H5 writes from another
// origin are refused, and bodies must be JSON or multipart.
func TestH5WritesRefuseOtherOrigins(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	lawyer := f.lawyer(caseID)
	meeting := f.meeting(lawyer, caseID)
	cancel := fmt.Sprintf("/api/h5/meetings/%d/cancel", meeting)
	send := func(headers map[string]string, body string) int {
		var req *http.Request
		if body == "" {
			req = httptest.NewRequest(http.MethodPost, cancel, nil)
		} else {
			req = httptest.NewRequest(http.MethodPost, cancel, strings.NewReader(body))
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return f.Send(f.current(lawyer), req).Code
	}
	for name, c := range map[string]struct {
		headers map[string]string
		body    string
		want    int
	}{
		"another port":                {map[string]string{"Origin": "http://example.com:8081"}, "", http.StatusForbidden},
		"another site":                {map[string]string{"Origin": "https://evil.example"}, "", http.StatusForbidden},
		"opaque origin":               {map[string]string{"Origin": "null"}, "", http.StatusForbidden},
		"same-site fetch":             {map[string]string{"Sec-Fetch-Site": "same-site"}, "", http.StatusForbidden},
		"cross-site fetch":            {map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, "{}", http.StatusForbidden},
		"no-cors text body":           {map[string]string{"Content-Type": "text/plain"}, "{}", http.StatusUnsupportedMediaType},
		"body without a content type": {nil, "{}", http.StatusUnsupportedMediaType},
		"form body":                   {map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "a=b", http.StatusUnsupportedMediaType},
	} {
		if got := send(c.headers, c.body); got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
	if st := f.meetingStatus(meeting); st != model.StatusPending {
		t.Fatalf("a refused request changed the meeting: %s", st)
	}
	// The page itself (same origin), and an old webview sending neither header.
	if got := send(map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}, "{}"); got != http.StatusOK {
		t.Errorf("same-origin cancel: %d", got)
	}
	other := f.meeting(lawyer, caseID)
	req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/h5/meetings/%d/cancel", other), nil)
	if r := f.Send(f.current(lawyer), req); r.Code != http.StatusOK {
		t.Errorf("bodiless cancel without Origin or Sec-Fetch-Site: %d %s", r.Code, r.Body)
	}
}

// Finding 15 of the security review: /metrics was served on the public
// listener. With its own listener (prod), the public one answers 404.
func TestMetricsNotOnThePublicListener(t *testing.T) {
	env := handlertest.New(t)
	public := handler.New(handler.Deps{Service: env.Svc, Registry: prometheus.NewRegistry(), MetricsElsewhere: true})
	rec := httptest.NewRecorder()
	public.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: %d, want 404", rec.Code)
	}
	if r := env.Do(handlertest.Anonymous, http.MethodGet, "/metrics", nil); r.Code != http.StatusOK {
		t.Errorf("/metrics where it is kept on the main listener (dev): %d", r.Code)
	}
}
