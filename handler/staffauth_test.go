package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

func createStaff(t *testing.T, env *handlertest.Env, role string) model.Staff {
	t.Helper()
	st, err := env.Svc.CreateStaff(context.Background(), service.System,
		service.NewStaff{Username: env.Unique("clerk"), Role: role, Password: handlertest.StaffPassword})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// login posts the credentials from ip ("" for the default test address).
func login(env *handlertest.Env, username, password, ip string) handlertest.Response {
	req := httptest.NewRequest(http.MethodPost, "/api/staff/login",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)))
	req.Header.Set("Content-Type", "application/json")
	if ip != "" {
		req.RemoteAddr = ip + ":40000"
	}
	return env.Send(handlertest.Anonymous, req)
}

type loginAnswer struct {
	CSRFToken string         `json:"csrf_token"`
	User      map[string]any `json:"user"`
}

// staffCaller logs in and returns the caller with the session cookie and
// the CSRF token of the answer.
func staffCaller(t *testing.T, env *handlertest.Env, username, password string) handlertest.Caller {
	t.Helper()
	r := login(env, username, password, "")
	if r.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, r.Code, r.Body)
	}
	var a loginAnswer
	r.JSON(t, &a)
	return handlertest.Caller{Cookie: cookiesOf(r)["zsjc_staff"], CSRF: a.CSRFToken}
}

func auditRows(t *testing.T, env *handlertest.Env, action string) []model.AuditLog {
	t.Helper()
	var rows []model.AuditLog
	if err := env.DB.Where("action = ?", action).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestStaffLoginContractAndCSRF(t *testing.T) {
	env := handlertest.New(t, handlertest.WithPublicURL(publicURL))
	st := createStaff(t, env, model.StaffCaseManager)
	r := login(env, " "+strings.ToUpper(st.Username)+" ", handlertest.StaffPassword, "")
	var a loginAnswer
	r.JSON(t, &a)
	if r.Code != http.StatusOK || a.CSRFToken == "" || a.User["username"] != st.Username || a.User["role"] != model.StaffCaseManager {
		t.Fatalf("login: %d %s", r.Code, r.Body)
	}
	if strings.Contains(string(r.Body), "$2a$") || strings.Contains(string(r.Body), `"password`) {
		t.Errorf("login answer shows the hash: %s", r.Body)
	}
	// The account's session epoch outlives the session, and expires.
	if ttl, err := env.Cache.TTL(context.Background(), fmt.Sprintf("sess:epoch:%d", st.ID)); err != nil ||
		ttl <= service.StaffSessionLifetime || ttl > service.StaffSessionLifetime+time.Hour {
		t.Errorf("session epoch ttl = %v, %v; want a little over the session lifetime", ttl, err)
	}
	cookie := cookiesOf(r)["zsjc_staff"]
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	if rows := auditRows(t, env, "staff.login"); len(rows) != 1 || rows[0].ActorID == nil || *rows[0].ActorID != st.ID || rows[0].IP == "" {
		t.Errorf("login audit rows: %+v", rows)
	}

	session := handlertest.Caller{Cookie: cookie}
	me := env.Do(session, http.MethodGet, "/api/staff/me", nil)
	var again loginAnswer
	me.JSON(t, &again)
	if me.Code != http.StatusOK || again.CSRFToken != a.CSRFToken {
		t.Fatalf("staff me: %d %s", me.Code, me.Body)
	}
	for name, token := range map[string]string{"missing": "", "wrong": a.CSRFToken + "x", "another session's": env.LoginStaff(model.StaffCaseManager).CSRF} {
		req := httptest.NewRequest(http.MethodPost, "/api/staff/logout", nil)
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		if r := env.Send(session, req); r.Code != http.StatusForbidden || r.ErrorCode() != "csrf_invalid" {
			t.Errorf("%s CSRF token: %d %s, want 403", name, r.Code, r.Body)
		}
	}
	session.CSRF = a.CSRFToken
	if r := env.Do(session, http.MethodPost, "/api/staff/logout", nil); r.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Code, r.Body)
	}
	if r := env.Do(session, http.MethodGet, "/api/staff/me", nil); r.Code != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", r.Code)
	}
	if rows := auditRows(t, env, "staff.logout"); len(rows) != 1 || *rows[0].ActorID != st.ID {
		t.Errorf("logout audit rows: %+v", rows)
	}
	for _, body := range []string{`{"username":"","password":""}`, `{"username":1}`, `nonsense`, ``,
		"{\"username\":\"\xff\xfe\",\"password\":\"x\"}", `{"username":"` + strings.Repeat("检", 100) + `","password":"x"}`,
		`{"username":"admin' OR '1'='1","password":"x"}`} {
		r := env.Do(handlertest.Anonymous, http.MethodPost, "/api/staff/login", body)
		if r.Code < 400 || r.Code >= 500 {
			t.Errorf("login body %q: %d %s", body, r.Code, r.Body)
		}
	}
}

func TestStaffLoginDoesNotRevealUsernames(t *testing.T) {
	env := handlertest.New(t)
	st := createStaff(t, env, model.StaffProsecutor)
	wrong := login(env, st.Username, "Wrong-Passw0rd", "")
	unknown := login(env, "nobody-here", "Wrong-Passw0rd", "")
	if wrong.Code != http.StatusUnauthorized || wrong.Code != unknown.Code || string(wrong.Body) != string(unknown.Body) {
		t.Fatalf("wrong password %d %s, unknown user %d %s", wrong.Code, wrong.Body, unknown.Code, unknown.Body)
	}
	for range service.LoginMaxFailures - 1 {
		login(env, st.Username, "Wrong-Passw0rd", "")
		login(env, "nobody-here", "Wrong-Passw0rd", "")
	}
	lockedReal := login(env, st.Username, handlertest.StaffPassword, "")
	lockedUnknown := login(env, "nobody-here", handlertest.StaffPassword, "")
	if lockedReal.Code != http.StatusTooManyRequests || string(lockedReal.Body) != string(lockedUnknown.Body) {
		t.Fatalf("locked: real %d %s, unknown %d %s", lockedReal.Code, lockedReal.Body, lockedUnknown.Code, lockedUnknown.Body)
	}
	rows := auditRows(t, env, "staff.login_failed")
	if len(rows) != 2*service.LoginMaxFailures+2 {
		t.Errorf("%d failed-login audit rows, want %d", len(rows), 2*service.LoginMaxFailures+2)
	}
	var all []model.AuditLog
	env.DB.Find(&all)
	for _, row := range all {
		if strings.Contains(fmt.Sprint(row), "Passw0rd") {
			t.Errorf("audit row carries a password: %+v", row)
		}
	}
	if strings.Contains(env.Logs.String(), "Passw0rd") {
		t.Error("a password reached the log")
	}
}

func TestStaffLockoutHoldsAcrossInstances(t *testing.T) {
	a, b := handlertest.NewPair(t)
	clock := a.Clock
	st := createStaff(t, a, model.StaffAdmin)

	for i := range service.LoginMaxFailures {
		env := a
		if i%2 == 1 {
			env = b
		}
		if r := login(env, st.Username, "Wrong-Passw0rd", ""); r.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i+1, r.Code, r.Body)
		}
	}
	for name, env := range map[string]*handlertest.Env{"a": a, "b": b} {
		if r := login(env, st.Username, handlertest.StaffPassword, ""); r.Code != http.StatusTooManyRequests || r.ErrorCode() != "account_locked" {
			t.Errorf("instance %s with the right password while locked: %d %s", name, r.Code, r.Body)
		}
	}
	clock.Advance(service.LoginLockout - time.Minute)
	if r := login(b, st.Username, handlertest.StaffPassword, ""); r.Code != http.StatusTooManyRequests {
		t.Errorf("a minute before the lock ends: %d", r.Code)
	}
	clock.Advance(time.Minute)
	if r := login(b, st.Username, handlertest.StaffPassword, ""); r.Code != http.StatusOK {
		t.Errorf("after the lockout: %d %s", r.Code, r.Body)
	}
}

func TestStaffLoginRateLimitPerAddress(t *testing.T) {
	env := handlertest.New(t)
	st := createStaff(t, env, model.StaffAdmin)
	for i := range service.LoginIPMaxFailures {
		// A different username each time: no account lock, only the address.
		// X-Forwarded-For from an untrusted peer does not change the address.
		req := httptest.NewRequest(http.MethodPost, "/api/staff/login",
			strings.NewReader(fmt.Sprintf(`{"username":"guess%d","password":"Wrong-Passw0rd"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		req.RemoteAddr = "198.51.100.7:40000"
		if r := env.Send(handlertest.Anonymous, req); r.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, r.Code)
		}
	}
	if r := login(env, st.Username, handlertest.StaffPassword, "198.51.100.7"); r.Code != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" {
		t.Errorf("from the address over its limit: %d %s", r.Code, r.Body)
	}
	if r := login(env, st.Username, handlertest.StaffPassword, "198.51.100.8"); r.Code != http.StatusOK {
		t.Errorf("from another address: %d %s", r.Code, r.Body)
	}
}

func TestStaffSessionExpiry(t *testing.T) {
	env := handlertest.New(t)
	login := func() handlertest.Caller { return env.LoginStaff(model.StaffProsecutor) }
	assertSessionExpiry(t, env, login, "/api/staff/me", service.StaffSessionIdle, service.StaffSessionLifetime)
}

func TestStaffAdministration(t *testing.T) {
	env := handlertest.New(t)
	admin := env.LoginStaff(model.StaffAdmin)

	for name, body := range map[string]map[string]string{
		"weak password": {"username": "li.si", "role": model.StaffProsecutor, "password": "password"},
		"bad role":      {"username": "li.si", "role": "root", "password": handlertest.StaffPassword},
		"bad username":  {"username": "李四", "role": model.StaffProsecutor, "password": handlertest.StaffPassword},
	} {
		if r := env.Do(admin, http.MethodPost, "/api/staff/users", body); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.Code, r.Body)
		}
	}
	r := env.Do(admin, http.MethodPost, "/api/staff/users",
		map[string]string{"username": "li.si", "display_name": "李四", "role": model.StaffProsecutor, "password": handlertest.StaffPassword})
	var created model.Staff
	r.JSON(t, &created)
	if r.Code != http.StatusCreated || created.ID == 0 || strings.Contains(string(r.Body), "$2a$") {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	if r := env.Do(admin, http.MethodPost, "/api/staff/users",
		map[string]string{"username": "li.si", "role": model.StaffProsecutor, "password": handlertest.StaffPassword}); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("duplicate username: %d", r.Code)
	}
	var users struct{ Items []model.Staff }
	env.Do(admin, http.MethodGet, "/api/staff/users", nil).JSON(t, &users)
	if len(users.Items) != 2 {
		t.Errorf("users: %+v", users.Items)
	}

	lisi := staffCaller(t, env, "li.si", handlertest.StaffPassword)
	path := fmt.Sprintf("/api/staff/users/%d", created.ID)
	if r := env.Do(admin, http.MethodPost, path+"/disable", nil); r.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Code, r.Body)
	}
	if code := env.Do(lisi, http.MethodGet, "/api/staff/me", nil).Code; code != http.StatusUnauthorized {
		t.Errorf("session of a disabled account: %d, want 401", code)
	}
	if r := login(env, "li.si", handlertest.StaffPassword, ""); r.Code != http.StatusForbidden || r.ErrorCode() != "account_disabled" {
		t.Errorf("login of a disabled account: %d %s", r.Code, r.Body)
	}
	if r := login(env, "li.si", "Wrong-Passw0rd", ""); r.ErrorCode() != "invalid_credentials" {
		t.Errorf("wrong password of a disabled account: %d %s", r.Code, r.Body)
	}
	if r := env.Do(admin, http.MethodPost, path+"/disable", nil); r.Code != http.StatusConflict {
		t.Errorf("disable twice: %d", r.Code)
	}
	if r := env.Do(admin, http.MethodPost, fmt.Sprintf("/api/staff/users/%d/disable", admin.StaffID), nil); r.Code != http.StatusConflict {
		t.Errorf("disable oneself: %d", r.Code)
	}
	if r := env.Do(admin, http.MethodPost, "/api/staff/users/999999/disable", nil); r.Code != http.StatusNotFound {
		t.Errorf("disable nobody: %d", r.Code)
	}
	if r := env.Do(admin, http.MethodPost, path+"/enable", nil); r.Code != http.StatusOK {
		t.Fatalf("enable: %d %s", r.Code, r.Body)
	}
	lisi = staffCaller(t, env, "li.si", handlertest.StaffPassword)

	if r := env.Do(admin, http.MethodPost, path+"/reset-password", map[string]string{"password": "short"}); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("weak reset: %d", r.Code)
	}
	if r := env.Do(admin, http.MethodPost, path+"/reset-password", map[string]string{"password": "New-Passw0rd-2"}); r.Code != http.StatusOK {
		t.Fatalf("reset: %d %s", r.Code, r.Body)
	}
	if code := env.Do(lisi, http.MethodGet, "/api/staff/me", nil).Code; code != http.StatusUnauthorized {
		t.Errorf("session after a password reset: %d, want 401", code)
	}
	if r := login(env, "li.si", handlertest.StaffPassword, ""); r.Code != http.StatusUnauthorized {
		t.Errorf("old password: %d", r.Code)
	}
	staffCaller(t, env, "li.si", "New-Passw0rd-2")

	// Every write above left its audit row, by the admin, on the account.
	target := fmt.Sprintf("staff:%d", created.ID)
	for action, n := range map[string]int{"staff.create": 1, "staff.disable": 1, "staff.enable": 1, "staff.reset_password": 1} {
		rows := auditRows(t, env, action)
		var mine int
		for _, row := range rows {
			if row.Target == target && row.ActorID != nil && *row.ActorID == admin.StaffID {
				mine++
			}
		}
		if mine != n {
			t.Errorf("%s: %d audit rows by the admin on %s, want %d (%+v)", action, mine, target, n, rows)
		}
	}
	if rows := auditRows(t, env, "http.write"); len(rows) != 0 {
		t.Errorf("the safety net logged writes the use cases audit: %+v", rows)
	}
}

func TestStaffDisableRace(t *testing.T) {
	env := handlertest.New(t)
	admins := []handlertest.Caller{env.LoginStaff(model.StaffAdmin), env.LoginStaff(model.StaffAdmin)}
	target := createStaff(t, env, model.StaffCaseManager)
	codes := make([]int, len(admins))
	var wg sync.WaitGroup
	for i, a := range admins {
		wg.Go(func() {
			codes[i] = env.Do(a, http.MethodPost, fmt.Sprintf("/api/staff/users/%d/disable", target.ID), nil).Code
		})
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("two admins disabling at once: %v, want one 200 and one 409", codes)
	}
	if rows := auditRows(t, env, "staff.disable"); len(rows) != 1 {
		t.Errorf("%d disable audit rows", len(rows))
	}
}

func TestAuditSafetyNet(t *testing.T) {
	env := handlertest.New(t)
	handler.MountStaffRoute(env.Handler, env.Svc, http.MethodPost, "/test/unaudited", []string{model.StaffAdmin},
		func(c *gin.Context) { c.Status(http.StatusOK) })
	handler.MountStaffRoute(env.Handler, env.Svc, http.MethodPost, "/test/audited", []string{model.StaffAdmin},
		func(c *gin.Context) {
			if err := env.Svc.Audit(c.Request.Context(), service.System, "test.audited", "x", ""); err != nil {
				t.Error(err)
			}
			c.Status(http.StatusOK)
		})
	handler.MountStaffRoute(env.Handler, env.Svc, http.MethodPost, "/test/refused", []string{model.StaffAdmin},
		func(c *gin.Context) { c.Status(http.StatusUnprocessableEntity) })
	admin := env.LoginStaff(model.StaffAdmin)
	for _, p := range []string{"unaudited", "audited", "refused"} {
		env.Do(admin, http.MethodPost, "/api/staff/test/"+p, nil)
	}
	fallback := auditRows(t, env, "http.write")
	if len(fallback) != 1 || fallback[0].Target != "/api/staff/test/unaudited" || *fallback[0].ActorID != admin.StaffID {
		t.Errorf("fallback rows: %+v", fallback)
	}
	if rows := auditRows(t, env, "test.audited"); len(rows) != 1 {
		t.Errorf("audited route: %d rows", len(rows))
	}
	if !strings.Contains(env.Logs.String(), "staff write without audit row") {
		t.Error("the gap was not logged")
	}
}

func TestAuditLogQuery(t *testing.T) {
	env := handlertest.New(t)
	ctx := context.Background()
	for i := range 5 {
		env.Clock.Set(time.Date(2026, 12, 1+i, 4, 0, 0, 0, time.UTC)) // noon in Beijing, Dec 1…5
		who := service.Actor{Name: "alice", IP: "192.0.2.9"}
		if i%2 == 1 {
			who.Name = "bob"
		}
		if err := env.Svc.Audit(ctx, who, "binding.approve", fmt.Sprintf("binding:%d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	admin := env.LoginStaff(model.StaffAdmin)
	get := func(q string) (service.Page[model.AuditLog], handlertest.Response) {
		r := env.Do(admin, http.MethodGet, "/api/staff/audit?"+q, nil)
		var p service.Page[model.AuditLog]
		if r.Code == http.StatusOK {
			r.JSON(t, &p)
		}
		return p, r
	}
	p, r := get("actor=alice&action=binding.approve")
	if r.Code != http.StatusOK || p.Total != 3 || len(p.Items) != 3 || p.Items[0].Target != "binding:4" {
		t.Fatalf("actor filter: %d %s", r.Code, r.Body)
	}
	p, _ = get("action=binding.approve&from=2026-12-02&to=2026-12-04")
	if p.Total != 3 || p.Items[0].Target != "binding:3" || p.Items[2].Target != "binding:1" {
		t.Errorf("date range: %+v", p)
	}
	p, _ = get("action=binding.approve&page=2&page_size=2")
	if p.Total != 5 || len(p.Items) != 2 || p.Items[0].Target != "binding:2" || p.Page != 2 {
		t.Errorf("page 2: %+v", p)
	}
	for _, bad := range []string{"from=yesterday", "page=0", "page_size=100000", "to=2026-13-01"} {
		if _, r := get(bad); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("?%s: %d, want 422", bad, r.Code)
		}
	}
}
