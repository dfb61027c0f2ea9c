package handler_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// Finding 1 of the security review: guesses sent at once were all checked,
// because the counters were read before bcrypt and written after it.
func TestConcurrentGuessesCountBeforeVerifying(t *testing.T) {
	a, b := handlertest.NewPair(t)
	st := createStaff(t, a, model.StaffAdmin)
	const guesses = 100
	codes := make([]int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		env := a
		if i%2 == 1 {
			env = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A different address each time: only the account's count applies.
			codes[i] = login(env, st.Username, "Wrong-Passw0rd", fmt.Sprintf("198.51.%d.%d", i/200, i%200+1)).Code
		}()
	}
	wg.Wait()
	verified := 0
	for _, row := range auditRows(t, a, "staff.login_failed") {
		if strings.Contains(row.Detail, "reason=bad_password") {
			verified++
		}
	}
	if verified > service.LoginMaxFailures {
		t.Errorf("%d guesses had their password checked, want at most %d", verified, service.LoginMaxFailures)
	}
	refused := 0
	for _, code := range codes {
		if code == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < guesses-service.LoginMaxFailures {
		t.Errorf("%d of %d guesses refused as locked", refused, guesses)
	}
	for name, env := range map[string]*handlertest.Env{"a": a, "b": b} {
		if r := login(env, st.Username, handlertest.StaffPassword, "192.0.2.9"); r.Code != http.StatusTooManyRequests || r.ErrorCode() != "account_locked" {
			t.Errorf("instance %s, right password after the guesses: %d %s", name, r.Code, r.Body)
		}
	}
}
