package handler_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// Finding 9 of the security review: every /h5/login stored a state,
// unlimited, and a blocked address wrote an audit row per attempt.
func TestLoginStartsLimitedPerAddress(t *testing.T) {
	env := newOAuthEnv(t)
	start := func(ip string) int {
		req := httptest.NewRequest(http.MethodGet, "/h5/login?next=/h5/", nil)
		req.RemoteAddr = ip + ":40000"
		return env.Send(handlertest.Anonymous, req).Code
	}
	for i := range service.LoginStartsPerMinute {
		if code := start("198.51.100.20"); code != http.StatusFound {
			t.Fatalf("login start %d: %d", i+1, code)
		}
	}
	if code := start("198.51.100.20"); code != http.StatusTooManyRequests {
		t.Errorf("login start over the limit: %d, want 429", code)
	}
	if code := start("198.51.100.21"); code != http.StatusFound {
		t.Errorf("another address: %d", code)
	}
}

func TestBlockedAddressWritesOneAuditRowPerWindow(t *testing.T) {
	env := handlertest.New(t)
	const ip, extra = "198.51.100.30", 40
	for i := range service.LoginIPMaxFailures + extra {
		login(env, fmt.Sprintf("guess%d", i), "Wrong-Passw0rd", ip)
	}
	if rows := auditRows(t, env, "staff.login_failed"); len(rows) != service.LoginIPMaxFailures {
		t.Errorf("%d failed-login rows, want %d (one per attempt before the block)", len(rows), service.LoginIPMaxFailures)
	}
	rows := auditRows(t, env, "staff.login_blocked")
	if len(rows) != 1 || !strings.Contains(rows[0].Detail, fmt.Sprintf("attempts=%d", extra)) {
		t.Errorf("blocked-attempt rows %+v, want one counting %d attempts", rows, extra)
	}
}

// Finding 14 (audit of failed logins): a password typed into the username
// field is never stored; a real account's failure names the account.
func TestFailedLoginRecordsOnlyExistingUsernames(t *testing.T) {
	env := handlertest.New(t)
	st := createStaff(t, env, model.StaffAdmin)
	login(env, "MySecret-Passw0rd", "x", "")
	login(env, st.Username, "Wrong-Passw0rd", "")
	rows := auditRows(t, env, "staff.login_failed")
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, row := range rows {
		if strings.Contains(strings.ToLower(fmt.Sprint(row)), "mysecret") {
			t.Errorf("the typed username was stored: %+v", row)
		}
	}
	if rows[1].Target != fmt.Sprintf("staff:%d", st.ID) || rows[1].ActorName != st.Username {
		t.Errorf("real account's failure: %+v", rows[1])
	}
}
