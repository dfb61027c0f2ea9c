package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// BenchmarkStaffLoginTiming compares the three outcomes of a login. An
// unknown username must cost what a wrong password costs (both run
// bcrypt), so their times do not tell whether a username exists. The
// outcomes are interleaved in every iteration, so load on the machine
// hits them alike, and reported as ratios to the right password's time.
func BenchmarkStaffLoginTiming(b *testing.B) {
	env := handlertest.New(b)
	ctx := context.Background()
	st, err := env.Svc.CreateStaff(ctx, service.System,
		service.NewStaff{Username: "bench.user", Role: model.StaffAdmin, Password: handlertest.StaffPassword})
	if err != nil {
		b.Fatal(err)
	}
	seq := 0
	timed := func(username, password string, want int) time.Duration {
		seq++ // a fresh address each time: the per-address limit stays out of it
		start := time.Now()
		r := login(env, username, password, fmt.Sprintf("10.%d.%d.%d", seq>>16&255, seq>>8&255, seq&255))
		d := time.Since(start)
		if r.Code != want {
			b.Fatalf("%s: %d %s", username, r.Code, r.Body)
		}
		return d
	}
	var right, wrong, unknown time.Duration
	for i := 0; b.Loop(); i++ {
		if i%(service.LoginMaxFailures-1) == 0 { // lift the lock the failures would reach
			if _, err := env.Svc.ResetStaffPassword(ctx, service.System, st.ID, handlertest.StaffPassword); err != nil {
				b.Fatal(err)
			}
		}
		right += timed(st.Username, handlertest.StaffPassword, http.StatusOK)
		wrong += timed(st.Username, "Wrong-Passw0rd", http.StatusUnauthorized)
		unknown += timed(fmt.Sprintf("bench.nobody%d", i), "Wrong-Passw0rd", http.StatusUnauthorized) // fails once each: no lock
	}
	b.ReportMetric(float64(right.Nanoseconds())/float64(b.N), "ns/right_password")
	b.ReportMetric(float64(wrong)/float64(right), "wrong/right")
	b.ReportMetric(float64(unknown)/float64(right), "unknown/right")
	b.ReportMetric(float64(unknown)/float64(wrong), "unknown/wrong")
}
