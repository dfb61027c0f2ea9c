package handler_test

import (
	"net/http"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
)

// A client-chosen method token never becomes a new metrics label value.
func TestMetricsMethodLabelIsBounded(t *testing.T) {
	env := handlertest.New(t)
	for _, m := range []string{"FROB1", "FROB2", "FROB3"} {
		env.Do(handlertest.Anonymous, m, "/nowhere", nil)
	}
	r := env.Do(handlertest.Anonymous, http.MethodGet, "/metrics", nil)
	body := string(r.Body)
	if strings.Contains(body, "FROB") || !strings.Contains(body, `method="other"`) {
		t.Fatalf("metrics carry client method tokens:\n%s", body)
	}
}
