package handler_test

import (
	"fmt"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
)

// TestCaseRoutesHostileInput sends malformed, mistyped and oversized
// bodies to every JSON route of the area: always a 4xx with an error
// code, never a 5xx.
func TestCaseRoutesHostileInput(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase()
	l := f.lawyer("hostile")
	b := f.lawyerBinding(l, no)
	bodies := []string{"", "{", "[]", "null", `{"case_no":123,"role":["x"],"materials":"1","name":{}}`,
		`{"stage":"受理","occurred_at":"2026-02-30T25:00:00Z","description":"` + strings.Repeat("长", 5000) + `"}`,
		`{"name":"` + strings.Repeat("x", 2<<20) + `"}`, `{"reason":"` + strings.Repeat("理", 600) + `"}`,
		`{"materials":[0,18446744073709551615],"role":"lawyer","case_no":"` + no + `"}`,
		`{"role":"party","case_no":"` + no + `","name":"\u0000","id_number":"../../etc/passwd"}`}
	routes := []struct {
		caller       handlertest.Caller
		method, path string
		signed       bool
	}{
		{f.clerk, "POST", "/api/staff/cases", false},
		{f.clerk, "PUT", fmt.Sprintf("/api/staff/cases/%d", id), false},
		{f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/events", id), false},
		{f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/parties", id), false},
		{f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/reject", b), false},
		{f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", b), false},
		{l, "POST", "/api/h5/bindings", false},
		{handlertest.Anonymous, "PUT", "/api/integration/cases/X-1", true},
		{handlertest.Anonymous, "POST", "/api/integration/cases/X-1/events", true},
	}
	for _, rt := range routes {
		for i, body := range bodies {
			var r handlertest.Response
			if rt.signed {
				f.Clock.Advance(1e9) // a fresh signature each time
				r = f.signed(rt.method, rt.path, []byte(body))
			} else {
				r = f.Do(rt.caller, rt.method, rt.path, body)
			}
			// Bodies naming only valid fields (or none the route takes) are
			// partial updates there: the omitted fields keep their values.
			if partialUpdate := rt.method == "PUT" && (i == 5 || i == 7 || i == 8); partialUpdate && r.Code == 200 {
				continue
			}
			if r.Code < 400 || r.Code >= 500 || r.ErrorCode() == "" {
				t.Errorf("%s %s body #%d: %d %.200s", rt.method, rt.path, i, r.Code, r.Body)
			}
		}
	}
}
