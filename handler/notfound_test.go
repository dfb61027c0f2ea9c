package handler_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
)

// TestUnknownPageIsAnHTMLPage: an unknown address of the H5 pages or the
// console shows a Chinese 404 page with a way back, never the API's JSON,
// an error code or English text; unknown API addresses keep the JSON error.
func TestUnknownPageIsAnHTMLPage(t *testing.T) {
	h := pagesServer(handlertest.New(t), nil)
	ascii := regexp.MustCompile(`>[^<]*[A-Za-z]{3,}[^<]*<`) // English words in visible text
	for path, home := range map[string]string{"/h5/nope": "/h5/", "/h5/cases/7/nope": "/h5/", "/staff/nope/deeper": "/staff/"} {
		rec := get(h, path, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if !strings.Contains(body, "页面不存在") || !strings.Contains(body, `id="go-home" href="`+home+`"`) {
			t.Errorf("GET %s: no way back to %s:\n%s", path, home, body)
		}
		if strings.Contains(body, "not_found") || strings.Contains(body, `{"error"`) || ascii.MatchString(body) {
			t.Errorf("GET %s shows machine text:\n%s", path, body)
		}
	}
	rec := get(h, "/api/h5/nope", nil)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"not_found"`) {
		t.Errorf("GET /api/h5/nope: %d %s", rec.Code, rec.Body)
	}
}
