package handler_test

import (
	"net/http"
	"net/url"
	"testing"

	"zsjc/handler/handlertest"
)

// Finding 6 of the security review: /h5/login?next=/h5/profile?next=<tab
// trick> took the browser to another site after the profile was saved.
// The server refuses such a next at any depth, and the profile page only
// follows the next the server returns.
func TestNestedNextCannotLeaveTheSite(t *testing.T) {
	env := newOAuthEnv(t)
	attack := "/h5/login?next=%2Fh5%2Fprofile%3Fnext%3D%252F%2509%252Fevil.example"
	if r := env.Do(handlertest.Anonymous, http.MethodGet, attack, nil); r.Code != http.StatusUnprocessableEntity || r.Header.Get("Location") != "" {
		t.Errorf("login with a nested unsafe next: %d to %q, want 422 and no redirect", r.Code, r.Header.Get("Location"))
	}

	u := env.LoginUser("next-lawyer")
	profile := map[string]string{"name": "李律师", "license_no": "11101201910123456", "firm": "某律师事务所", "phone": "13800138000"}
	for next, want := range map[string]string{
		"/\t/evil.example":                 "",
		"/h5/x?next=%2F%0A%2Fevil.example": "",
		"/\\evil.example":                  "",
		"/h5/bind?role=lawyer":             "/h5/bind?role=lawyer",
		"/h5/profile?next=%2Fh5%2Fbind":    "/h5/profile?next=%2Fh5%2Fbind",
	} {
		var saved struct {
			Name string `json:"name"`
			Next string `json:"next"`
		}
		r := env.Do(u, http.MethodPut, "/api/h5/me/lawyer?next="+url.QueryEscape(next), profile)
		r.JSON(t, &saved)
		if r.Code != http.StatusOK || saved.Name != "李律师" || saved.Next != want {
			t.Errorf("save with next %q: %d, next %q, want %q", next, r.Code, saved.Next, want)
		}
	}
}
