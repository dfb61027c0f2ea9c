package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// BenchmarkStaffLogin compares the three outcomes of a login. An unknown
// username must cost what a wrong password costs (both run bcrypt), so
// their times do not tell whether a username exists; the right password
// is the baseline.
func BenchmarkStaffLogin(b *testing.B) {
	env := handlertest.New(b)
	st, err := env.Svc.CreateStaff(context.Background(), service.System,
		service.NewStaff{Username: "bench.user", Role: model.StaffAdmin, Password: handlertest.StaffPassword})
	if err != nil {
		b.Fatal(err)
	}
	seq := 0
	ip := func() string { seq++; return fmt.Sprintf("10.%d.%d.%d", seq>>16&255, seq>>8&255, seq&255) }
	run := func(b *testing.B, username func(i int) string, password string, want int) {
		for i := 0; b.Loop(); i++ {
			if i%(service.LoginMaxFailures-1) == 0 && want != http.StatusOK {
				b.StopTimer() // lift the lock the failures would reach
				if _, err := env.Svc.ResetStaffPassword(context.Background(), service.System, st.ID, handlertest.StaffPassword); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			if r := login(env, username(i), password, ip()); r.Code != want {
				b.Fatalf("%d %s", r.Code, r.Body)
			}
		}
	}
	account := func(int) string { return st.Username }
	nobody := func(i int) string { return fmt.Sprintf("bench.nobody%d", i) } // each fails once: no lock
	b.Run("right_password", func(b *testing.B) { run(b, account, handlertest.StaffPassword, http.StatusOK) })
	b.Run("wrong_password", func(b *testing.B) { run(b, account, "Wrong-Passw0rd", http.StatusUnauthorized) })
	b.Run("unknown_user", func(b *testing.B) { run(b, nobody, "Wrong-Passw0rd", http.StatusUnauthorized) })
}
