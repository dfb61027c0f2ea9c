package handler_test

import (
	"net/http"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// Finding 14 of the security review: common passwords and passwords with
// NUL bytes were accepted, and staff could not change their own password.
func TestPasswordPolicy(t *testing.T) {
	env := handlertest.New(t)
	admin := env.LoginStaff(model.StaffAdmin)
	for _, pw := range []string{"Password1", "P@ssw0rd123", "Kq7!vR2#\x00mX9", "Kq7!vR2#\tmX9", "Zhang.Wei-Kq7!"} {
		r := env.Do(admin, http.MethodPost, "/api/staff/users", map[string]string{"username": "zhang.wei", "role": model.StaffProsecutor, "password": pw})
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"password"`) {
			t.Errorf("password %q: %d %s, want 422 on password", pw, r.Code, r.Body)
		}
	}
	if r := env.Do(admin, http.MethodPost, "/api/staff/users", map[string]string{"username": "zhang.wei", "role": model.StaffProsecutor, "password": "Kq7!vR2#mX9"}); r.Code != http.StatusCreated {
		t.Errorf("a strong password: %d %s", r.Code, r.Body)
	}
}

func TestStaffChangesOwnPassword(t *testing.T) {
	env := handlertest.New(t)
	st := createStaff(t, env, model.StaffProsecutor)
	mine := staffCaller(t, env, st.Username, handlertest.StaffPassword)
	other := staffCaller(t, env, st.Username, handlertest.StaffPassword)
	const newPassword = "Kq7!vR2#mX9-new"
	for name, body := range map[string]map[string]string{
		"wrong current": {"current": "Wrong-Passw0rd", "new": newPassword},
		"weak new":      {"current": handlertest.StaffPassword, "new": "Password1"},
	} {
		if r := env.Do(mine, http.MethodPost, "/api/staff/me/password", body); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.Code, r.Body)
		}
	}
	r := env.Do(mine, http.MethodPost, "/api/staff/me/password", map[string]string{"current": handlertest.StaffPassword, "new": newPassword})
	if r.Code != http.StatusOK {
		t.Fatalf("change: %d %s", r.Code, r.Body)
	}
	var a loginAnswer
	r.JSON(t, &a)
	renewed := handlertest.Caller{Cookie: cookiesOf(r)["zsjc_staff"], CSRF: a.CSRFToken}
	if r := env.Do(renewed, http.MethodGet, "/api/staff/me", nil); r.Code != http.StatusOK {
		t.Errorf("the changing session continues: %d", r.Code)
	}
	if r := env.Do(other, http.MethodGet, "/api/staff/me", nil); r.Code != http.StatusUnauthorized {
		t.Errorf("another session of the account: %d, want 401", r.Code)
	}
	if r := login(env, st.Username, handlertest.StaffPassword, ""); r.Code != http.StatusUnauthorized {
		t.Errorf("old password: %d", r.Code)
	}
	if r := login(env, st.Username, newPassword, ""); r.Code != http.StatusOK {
		t.Errorf("new password: %d %s", r.Code, r.Body)
	}
	if rows := auditRows(t, env, "staff.change_password"); len(rows) != 1 || *rows[0].ActorID != st.ID {
		t.Errorf("audit rows %+v", rows)
	}
}
