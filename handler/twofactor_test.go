package handler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// postCode sends a second-factor code as the pending login from ip.
func postCode(env *handlertest.Env, pending *http.Cookie, code, ip string) handlertest.Response {
	req := httptest.NewRequest(http.MethodPost, "/api/staff/login/2fa", strings.NewReader(fmt.Sprintf(`{"code":%q}`, code)))
	req.Header.Set("Content-Type", "application/json")
	if ip != "" {
		req.RemoteAddr = ip + ":40000"
	}
	return env.Send(handlertest.Caller{Cookie: pending}, req)
}

// pendingLogin posts the right password of an account that needs a second
// factor and returns the cookie of the pending login and what it asks for.
func pendingLogin(t *testing.T, env *handlertest.Env, username string) (*http.Cookie, handlertest.SecondFactorAnswer) {
	t.Helper()
	r := env.PostStaffLogin(username, handlertest.StaffPassword)
	var step handlertest.SecondFactorAnswer
	r.JSON(t, &step)
	if r.Code != http.StatusOK || !(step.NeedCode || step.NeedEnrolment) || strings.Contains(string(r.Body), "csrf_token") {
		t.Fatalf("login of %s: %d %s, want a second step", username, r.Code, r.Body)
	}
	return r.Cookie("zsjc_staff"), step
}

// assertNoStaffRoute walks every row of the staff access table as caller:
// each is refused with 401.
func assertNoStaffRoute(t *testing.T, env *handlertest.Env, caller handlertest.Caller, what string) {
	t.Helper()
	param := regexp.MustCompile(`:[a-z_]+`)
	for _, rt := range handler.StaffRoutes(env.Svc) {
		path := param.ReplaceAllString(rt.Path, "1")
		if r := env.Do(caller, rt.Method, path, map[string]any{}); r.Code != http.StatusUnauthorized {
			t.Errorf("%s: %s %s answered %d %s, want 401", what, rt.Method, path, r.Code, r.Body)
		}
	}
}

// TestHalfDoneLoginReachesNoStaffRoute: after an administrator's password
// the login answers the enrolment (secret, otpauth:// URL, QR code) and its
// cookie opens no staff route; the code completes it with the login body
// and the recovery codes. The next login asks for a code, and its pending
// login opens nothing either.
func TestHalfDoneLoginReachesNoStaffRoute(t *testing.T) {
	env := handlertest.New(t)
	st := createStaff(t, env, model.StaffAdmin)
	pending, step := pendingLogin(t, env, st.Username)
	if !step.NeedEnrolment || step.NeedCode || len(step.Secret) < 32 ||
		!strings.HasPrefix(step.OTPAuthURL, "otpauth://totp/") || !strings.Contains(step.OTPAuthURL, "secret="+step.Secret) {
		t.Fatalf("enrolment step %+v", step)
	}
	qr, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(step.QRDataURL, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(step.QRDataURL, "data:image/png;base64,") {
		t.Fatalf("qr code %.40q: %v", step.QRDataURL, err)
	}
	if img, err := png.Decode(bytes.NewReader(qr)); err != nil || img.Bounds().Dx() < 200 {
		t.Fatalf("qr code is no PNG of a useful size: %v", err)
	}
	if pending == nil || !pending.HttpOnly || pending.MaxAge > int(service.SecondFactorWindow.Seconds()) {
		t.Fatalf("pending login cookie %+v", pending)
	}
	assertNoStaffRoute(t, env, handlertest.Caller{Cookie: pending}, "enrolment pending")
	if rows := auditRows(t, env, "staff.login"); len(rows) != 0 {
		t.Errorf("a password alone was audited as a login: %+v", rows)
	}

	secret := step.Secret
	r := env.PostSecondFactor(pending, env.TOTPCode(secret, 0))
	caller, codes := env.SessionOf(r)
	if len(codes) != service.RecoveryCodeCount {
		t.Fatalf("enrolment answered %d recovery codes: %s", len(codes), r.Body)
	}
	if me := env.Do(caller, http.MethodGet, "/api/staff/me", nil); me.Code != http.StatusOK || strings.Contains(string(me.Body), "recovery") {
		t.Errorf("session after enrolment: %d %s", me.Code, me.Body)
	}
	var stored model.Staff
	env.DB.Take(&stored, st.ID)
	if stored.TOTPEnrolledAt == nil || bytes.Contains(stored.TOTPSecretEnc, []byte(step.Secret)) {
		t.Fatalf("secret stored in the clear or not at all: %q", stored.TOTPSecretEnc)
	}
	if opened, err := env.Sealer.Open(stored.TOTPSecretEnc); err != nil || opened != step.Secret {
		t.Errorf("sealed secret opens to %q, %v", opened, err)
	}
	counts, err := env.Svc.SealedCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sealedSecrets := int64(0)
	for _, c := range counts {
		if c.Table == "staffs" {
			sealedSecrets += c.Rows
		}
	}
	if sealedSecrets != 1 {
		t.Errorf("rekey sees %d sealed TOTP secrets, want 1: %+v", sealedSecrets, counts)
	}
	for _, action := range []string{"staff.2fa_enrol", "staff.login_2fa_ok"} {
		if rows := auditRows(t, env, action); len(rows) != 1 || *rows[0].ActorID != st.ID {
			t.Errorf("%s audit rows: %+v", action, rows)
		}
	}
	if r := env.PostSecondFactor(pending, env.TOTPCode(step.Secret, 1)); r.Code != http.StatusUnauthorized || r.ErrorCode() != "login_expired" {
		t.Errorf("the pending login used again: %d %s", r.Code, r.Body)
	}

	pending, step = pendingLogin(t, env, st.Username)
	if !step.NeedCode || step.NeedEnrolment || step.Secret != "" || step.QRDataURL != "" {
		t.Fatalf("second login asks %+v, want a code only", step)
	}
	assertNoStaffRoute(t, env, handlertest.Caller{Cookie: pending}, "code pending")
	env.SessionOf(env.PostSecondFactor(pending, env.TOTPCode(secret, 1)))
}

// TestPendingLoginIsShortLivedAndBound: a pending login ends after
// SecondFactorWindow, and when the account's sessions end (a password
// reset) before its code comes.
func TestPendingLoginIsShortLivedAndBound(t *testing.T) {
	env := handlertest.New(t)
	admin := env.LoginStaff(model.StaffAdmin)
	st := createStaff(t, env, model.StaffAdmin)
	pending, step := pendingLogin(t, env, st.Username)
	env.Clock.Advance(service.SecondFactorWindow)
	if r := env.PostSecondFactor(pending, env.TOTPCode(step.Secret, 0)); r.Code != http.StatusUnauthorized || r.ErrorCode() != "login_expired" {
		t.Errorf("after %v: %d %s", service.SecondFactorWindow, r.Code, r.Body)
	}
	pending, step = pendingLogin(t, env, st.Username)
	if r := env.Do(admin, http.MethodPost, fmt.Sprintf("/api/staff/users/%d/reset-password", st.ID),
		map[string]string{"password": "Other-Passw0rd-9"}); r.Code != http.StatusOK {
		t.Fatalf("reset password: %d %s", r.Code, r.Body)
	}
	if r := env.PostSecondFactor(pending, env.TOTPCode(step.Secret, 0)); r.Code != http.StatusUnauthorized || r.ErrorCode() != "login_expired" {
		t.Errorf("code after a password reset: %d %s", r.Code, r.Body)
	}
	if r := env.PostSecondFactor(nil, "123456"); r.Code != http.StatusUnauthorized {
		t.Errorf("code without a pending login: %d %s", r.Code, r.Body)
	}
	if r := env.PostSecondFactor(admin.Cookie, "123456"); r.Code != http.StatusUnauthorized || r.ErrorCode() != "login_expired" {
		t.Errorf("code with a console session instead of a pending login: %d %s", r.Code, r.Body)
	}
	for _, body := range []string{`{}`, `{"code":""}`, `{"code":7}`, `nonsense`, `{"code":"` + strings.Repeat("9", 5000) + `"}`} {
		if r := env.Do(handlertest.Caller{Cookie: pending}, http.MethodPost, "/api/staff/login/2fa", body); r.Code < 400 || r.Code >= 500 {
			t.Errorf("body %.30q: %d %s", body, r.Code, r.Body)
		}
	}
}

// TestTOTPCodesAreSingleUse: a code's time step is taken once per account
// across instances; ±1 step is accepted, 2 steps away is not.
func TestTOTPCodesAreSingleUse(t *testing.T) {
	a, b := handlertest.NewPair(t)
	st := createStaff(t, a, model.StaffAdmin)
	_, enrolled := a.EnrolStaff(st.Username, handlertest.StaffPassword) // used the current step
	for name, env := range map[string]*handlertest.Env{"same instance": a, "other instance": b} {
		pending, _ := pendingLogin(t, env, st.Username)
		if r := env.PostSecondFactor(pending, a.TOTPCode(enrolled.Secret, 0)); r.Code != http.StatusUnauthorized || r.ErrorCode() != "invalid_code" {
			t.Errorf("%s: the enrolment's code again: %d %s", name, r.Code, r.Body)
		}
	}
	pending, _ := pendingLogin(t, b, st.Username)
	if r := b.PostSecondFactor(pending, a.TOTPCode(enrolled.Secret, 2)); r.Code != http.StatusUnauthorized {
		t.Errorf("a code two steps ahead: %d %s", r.Code, r.Body)
	}
	b.SessionOf(b.PostSecondFactor(pending, a.TOTPCode(enrolled.Secret, 1)))
	pending, _ = pendingLogin(t, a, st.Username)
	if r := a.PostSecondFactor(pending, a.TOTPCode(enrolled.Secret, 1)); r.Code != http.StatusUnauthorized {
		t.Errorf("the next step's code again: %d %s", r.Code, r.Body)
	}
	a.SessionOf(a.PostSecondFactor(pending, a.TOTPCode(enrolled.Secret, -1)))
	reasons := map[string]int{}
	for _, row := range auditRows(t, a, "staff.login_2fa_failed") {
		reasons[row.Detail]++
	}
	if reasons["reason=code_reused"] != 3 || reasons["reason=bad_code"] != 1 {
		t.Errorf("failed second factors audited as %v", reasons)
	}
	var all []model.AuditLog
	a.DB.Find(&all)
	for _, row := range all {
		if service.AuditActionLabels[row.Action] == "" {
			t.Errorf("audit action %q has no label", row.Action)
		}
	}
}

// TestRecoveryCodesAreSingleUse: ten codes, stored as bcrypt hashes, each
// accepted once in place of a TOTP code (typed in lower case, without the
// dash, too); the same code sent to two instances at once lets one in.
func TestRecoveryCodesAreSingleUse(t *testing.T) {
	a, b := handlertest.NewPair(t)
	st := createStaff(t, a, model.StaffAdmin)
	_, enrolled := a.EnrolStaff(st.Username, handlertest.StaffPassword)
	shape := regexp.MustCompile(`^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$`)
	seen := map[string]bool{}
	for _, c := range enrolled.RecoveryCodes {
		if !shape.MatchString(c) || seen[c] {
			t.Fatalf("recovery codes %q", enrolled.RecoveryCodes)
		}
		seen[c] = true
	}
	var rows []model.StaffRecoveryCode
	a.DB.Where("staff_id = ?", st.ID).Find(&rows)
	if len(rows) != service.RecoveryCodeCount {
		t.Fatalf("%d recovery code rows", len(rows))
	}
	for _, row := range rows {
		if !strings.HasPrefix(row.Hash, "$2a$06$") || seen[row.Hash] {
			t.Fatalf("recovery code stored as %q", row.Hash)
		}
	}

	first := strings.ToLower(strings.ReplaceAll(enrolled.RecoveryCodes[0], "-", ""))
	pending, _ := pendingLogin(t, a, st.Username)
	a.SessionOf(a.PostSecondFactor(pending, first))
	if used := auditRows(t, a, "staff.2fa_recovery_used"); len(used) != 1 || used[0].Detail != "left=9" {
		t.Errorf("recovery audit rows %+v", used)
	}
	pending, _ = pendingLogin(t, b, st.Username)
	if r := b.PostSecondFactor(pending, enrolled.RecoveryCodes[0]); r.Code != http.StatusUnauthorized {
		t.Errorf("a used recovery code again: %d %s", r.Code, r.Body)
	}

	second := enrolled.RecoveryCodes[1]
	pendings := []*http.Cookie{}
	for _, env := range []*handlertest.Env{a, b} {
		p, _ := pendingLogin(t, env, st.Username)
		pendings = append(pendings, p)
	}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, env := range []*handlertest.Env{a, b} {
		wg.Go(func() { codes[i] = postCode(env, pendings[i], second, fmt.Sprintf("198.51.100.%d", i+1)).Code })
	}
	wg.Wait()
	if !(codes[0] == http.StatusOK) != (codes[1] == http.StatusOK) {
		t.Errorf("one recovery code sent to two instances at once: %v, want one 200", codes)
	}
	var left int64
	a.DB.Model(&model.StaffRecoveryCode{}).Where("staff_id = ? AND used_at IS NULL", st.ID).Count(&left)
	if left != service.RecoveryCodeCount-2 {
		t.Errorf("%d recovery codes left, want %d", left, service.RecoveryCodeCount-2)
	}
}

// TestConcurrentCodeGuessesCountBeforeVerifying: guesses of the code sent
// at once to two instances, from many addresses, have at most
// LoginMaxFailures checked; then even the right code is refused until the
// lock ends, on both instances and for a new password login too.
func TestConcurrentCodeGuessesCountBeforeVerifying(t *testing.T) {
	a, b := handlertest.NewPair(t)
	st := createStaff(t, a, model.StaffAdmin)
	_, enrolled := a.EnrolStaff(st.Username, handlertest.StaffPassword)
	pending, _ := pendingLogin(t, a, st.Username)
	valid := map[string]bool{}
	for step := -1; step <= 1; step++ {
		valid[a.TOTPCode(enrolled.Secret, step)] = true
	}
	wrong := "000000"
	for n := 1; valid[wrong]; n++ {
		wrong = fmt.Sprintf("%06d", n)
	}
	const guesses = 60
	codes := make([]int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		env := a
		if i%2 == 1 {
			env = b
		}
		wg.Go(func() { codes[i] = postCode(env, pending, wrong, fmt.Sprintf("198.51.%d.%d", i/200, i%200+1)).Code })
	}
	wg.Wait()
	checked, refused := 0, 0
	for _, row := range auditRows(t, a, "staff.login_2fa_failed") {
		if row.Detail == "reason=bad_code" {
			checked++
		}
	}
	for _, code := range codes {
		if code == http.StatusTooManyRequests {
			refused++
		}
	}
	if checked > service.LoginMaxFailures || refused < guesses-service.LoginMaxFailures {
		t.Errorf("%d guesses checked (want at most %d), %d refused as locked", checked, service.LoginMaxFailures, refused)
	}
	for name, env := range map[string]*handlertest.Env{"a": a, "b": b} {
		fresh, _ := pendingLogin(t, env, st.Username) // the password's own count is apart
		if r := postCode(env, fresh, env.TOTPCode(enrolled.Secret, 1), "192.0.2.9"); r.Code != http.StatusTooManyRequests || r.ErrorCode() != "account_locked" {
			t.Errorf("instance %s, right code after the guesses: %d %s", name, r.Code, r.Body)
		}
	}
	a.Clock.Advance(service.LoginLockout)
	fresh, _ := pendingLogin(t, b, st.Username)
	b.SessionOf(postCode(b, fresh, b.TOTPCode(enrolled.Secret, 0), "192.0.2.9"))
}

// TestTwoFactorPolicies: off asks nobody, admins only administrators, all
// every role; LoginStaff follows whichever is configured.
func TestTwoFactorPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy service.TwoFactorPolicy
		asked  map[string]bool
	}{
		{service.TwoFactorOff, map[string]bool{}},
		{service.TwoFactorAdmins, map[string]bool{model.StaffAdmin: true}},
		{service.TwoFactorAll, map[string]bool{model.StaffAdmin: true, model.StaffCaseManager: true, model.StaffProsecutor: true, model.StaffComplaints: true}},
	} {
		env := handlertest.New(t, handlertest.WithTwoFactor(tc.policy))
		for _, role := range model.StaffRoles {
			st := createStaff(t, env, role)
			r := env.PostStaffLogin(st.Username, handlertest.StaffPassword)
			enrol := strings.Contains(string(r.Body), `"need_2fa_enrolment":true`)
			if r.Code != http.StatusOK || enrol != tc.asked[role] || enrol == strings.Contains(string(r.Body), "csrf_token") {
				t.Errorf("%s, %s: %d %s", tc.policy, role, r.Code, r.Body)
			}
			if me := env.Do(env.LoginStaff(role), http.MethodGet, "/api/staff/me", nil); me.Code != http.StatusOK {
				t.Errorf("%s, LoginStaff(%s): %d %s", tc.policy, role, me.Code, me.Body)
			}
		}
	}
}

// TestTwoEnrolmentsAtOnceKeepOne: two pending enrolments of one account
// (two secrets) completed at once: one secret is kept, the other login is
// refused, and the kept secret is the one that works afterwards.
func TestTwoEnrolmentsAtOnceKeepOne(t *testing.T) {
	a, b := handlertest.NewPair(t)
	st := createStaff(t, a, model.StaffAdmin)
	envs := []*handlertest.Env{a, b}
	pendings, secrets := make([]*http.Cookie, 2), make([]string, 2)
	for i, env := range envs {
		var step handlertest.SecondFactorAnswer
		pendings[i], step = pendingLogin(t, env, st.Username)
		secrets[i] = step.Secret
	}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() { codes[i] = postCode(env, pendings[i], env.TOTPCode(secrets[i], 0), "").Code })
	}
	wg.Wait()
	won := -1
	for i, code := range codes {
		if code == http.StatusOK {
			won = i
		} else if code != http.StatusConflict && code != http.StatusUnauthorized {
			t.Errorf("enrolment %d: %d", i, code)
		}
	}
	if won < 0 || codes[0] == codes[1] {
		t.Fatalf("two enrolments at once: %v, want one 200", codes)
	}
	if rows := auditRows(t, a, "staff.2fa_enrol"); len(rows) != 1 {
		t.Errorf("%d enrolments audited", len(rows))
	}
	pending, _ := pendingLogin(t, a, st.Username)
	a.SessionOf(a.PostSecondFactor(pending, a.TOTPCode(secrets[won], 1)))
}

// TestResetTwoFactor: a reset drops the secret and the recovery codes,
// ends the account's sessions and is audited; the next login enrols anew.
func TestResetTwoFactor(t *testing.T) {
	env := handlertest.New(t)
	st := createStaff(t, env, model.StaffAdmin)
	session, _ := env.EnrolStaff(st.Username, handlertest.StaffPassword)
	cli := service.Actor{Name: "cli", Scope: service.AllUnits}
	if _, err := env.Svc.ResetStaffTwoFactorByName(context.Background(), cli, strings.ToUpper(st.Username)); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(session, http.MethodGet, "/api/staff/me", nil); r.Code != http.StatusUnauthorized {
		t.Errorf("session after the reset: %d", r.Code)
	}
	var n int64
	env.DB.Model(&model.StaffRecoveryCode{}).Where("staff_id = ?", st.ID).Count(&n)
	if n != 0 {
		t.Errorf("%d recovery codes kept after the reset", n)
	}
	if rows := auditRows(t, env, "staff.2fa_reset"); len(rows) != 1 || rows[0].Target != fmt.Sprintf("staff:%d", st.ID) || rows[0].ActorName != "cli" {
		t.Errorf("reset audit rows %+v", rows)
	}
	if _, err := env.Svc.ResetStaffTwoFactorByName(context.Background(), cli, st.Username); !errors.Is(err, service.ErrNotEnrolled) {
		t.Errorf("a second reset: %v", err)
	}
	env.EnrolStaff(st.Username, handlertest.StaffPassword)
}
