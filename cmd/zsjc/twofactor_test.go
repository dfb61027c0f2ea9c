package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"zsjc/config"
)

// TestStaffReset2FA: `zsjc staff reset-2fa NAME` drops an enrolled
// account's second factor (its next login enrols again), refuses an
// account that has none, and wants exactly one account named.
func TestStaffReset2FA(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{"ZSJC_DATA_DIR": t.TempDir(), "ZSJC_LOG_LEVEL": "error", "ZSJC_STAFF_2FA": "admins"}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv, "")
	if err != nil {
		t.Fatal(err)
	}
	const password = "Duty-Passw0rd-2026"
	var out lockedBuffer
	if err := run(ctx, []string{"staff", "add", "-username", "ops", "-role", "admin"}, getenv, strings.NewReader(password+"\n"), &out); err != nil {
		t.Fatalf("staff add: %v", err)
	}
	enrolled := func() bool {
		t.Helper()
		a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		res, err := a.svc.StaffLogin(ctx, "ops", password, "127.0.0.1")
		if err != nil || res.SecondFactor == nil {
			t.Fatalf("login: %+v, %v", res, err)
		}
		if !res.SecondFactor.Enrol {
			return true
		}
		code, err := totp.GenerateCode(res.SecondFactor.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.CompleteStaffLogin(ctx, res.SessionID, code, "127.0.0.1"); err != nil {
			t.Fatalf("enrol: %v", err)
		}
		return false
	}
	if enrolled() || !enrolled() {
		t.Fatal("the first login did not enrol the account")
	}
	if err := run(ctx, []string{"staff", "reset-2fa", "ops"}, getenv, nil, &out); err != nil || !strings.Contains(out.String(), "two-factor login of staff ops") {
		t.Fatalf("staff reset-2fa: %v\n%s", err, out.String())
	}
	if enrolled() {
		t.Error("after the reset the login does not enrol again")
	}
	if err := run(ctx, []string{"staff", "reset-2fa", "-username", "ops"}, getenv, nil, &out); err != nil {
		t.Errorf("staff reset-2fa -username: %v", err)
	}
	if err := run(ctx, []string{"staff", "reset-2fa", "-username", "ops"}, getenv, nil, &out); err == nil || !strings.Contains(err.Error(), "尚未绑定") {
		t.Errorf("reset of an account without a second factor: %v", err)
	}
	for _, args := range [][]string{{"staff", "reset-2fa"}, {"staff", "reset-2fa", "a", "b"}, {"staff", "reset-2fa", "nobody"}} {
		if err := run(ctx, args, getenv, nil, &out); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}
