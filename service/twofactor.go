package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/secure"
)

// TwoFactorPolicy says which staff accounts need a TOTP code (RFC 6238)
// after their password (ZSJC_STAFF_2FA).
type TwoFactorPolicy string

const (
	// TwoFactorAdmins asks administrators only; it is the default.
	TwoFactorAdmins TwoFactorPolicy = "admins"
	TwoFactorAll    TwoFactorPolicy = "all"
	TwoFactorOff    TwoFactorPolicy = "off"
)

// Second-factor settings.
const (
	// SecondFactorWindow is how long a right password waits for its code.
	SecondFactorWindow = 5 * time.Minute
	// RecoveryCodeCount recovery codes are handed out at enrolment.
	RecoveryCodeCount = 10
	// totpIssuer names the account in the staff member's authenticator app.
	totpIssuer = "掌上检察"
	// totpSkew steps before and after the current one are accepted, for
	// clocks a little off.
	totpSkew = 1
)

// totpOpts are the authenticator apps' defaults: 30-second steps, 6 digits, SHA-1.
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Second-factor errors.
var (
	ErrLoginExpired      = model.NewError(model.KindUnauthorized, "login_expired", "登录已过期，请重新输入用户名和密码")
	ErrBadCode           = model.NewError(model.KindUnauthorized, "invalid_code", "动态口令或恢复码错误")
	ErrEnrolledMeanwhile = model.NewError(model.KindConflict, "two_factor_enrolled",
		"该账号已在另一处完成动态口令绑定，请重新登录")
	ErrNotEnrolled = model.NewError(model.KindConflict, "two_factor_not_enrolled", "该账号尚未绑定动态口令")
)

// needsSecondFactor reports whether the policy asks st for a code.
func (s *Service) needsSecondFactor(st model.Staff) bool {
	switch s.opt.StaffTwoFactor {
	case TwoFactorOff:
		return false
	case TwoFactorAll:
		return true
	default:
		return st.Role == model.StaffAdmin
	}
}

// SecondFactorRequired reports whether the policy asks accounts of role
// for a code after their password.
func (s *Service) SecondFactorRequired(role string) bool {
	return s.needsSecondFactor(model.Staff{Role: role})
}

// SecondFactorStep is what the login asks for after a right password: the
// code of the enrolled authenticator, or (Enrol) a first code of the new
// secret, offered as an otpauth:// URL, as text and as a QR code (a PNG
// data URL).
type SecondFactorStep struct {
	Enrol      bool
	OTPAuthURL string
	Secret     string
	QRDataURL  string
}

// pendingLogin is a login between its password and its code: it names the
// account and the session epoch of the password check, carries no
// permission, and lives for SecondFactorWindow under a key no console
// session is looked up by.
type pendingLogin struct {
	StaffID   uint64    `json:"sid"`
	Epoch     string    `json:"ep"`
	CreatedAt time.Time `json:"at"`
	// Enrol is the sealed secret offered to an account not enrolled yet.
	Enrol []byte `json:"enrol,omitempty"`
}

func pendingLoginKey(id string) string { return "sess:2fa:" + id }

// startSecondFactor stores the pending login of st after its password and
// returns its id and what it asks for.
func (s *Service) startSecondFactor(ctx context.Context, st model.Staff, epoch string) (string, *SecondFactorStep, error) {
	p := pendingLogin{StaffID: st.ID, Epoch: epoch, CreatedAt: s.Now()}
	step := &SecondFactorStep{}
	if st.TOTPEnrolledAt == nil {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: st.Username,
			Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
		if err != nil {
			return "", nil, fmt.Errorf("generate totp secret of staff %d: %w", st.ID, err)
		}
		if p.Enrol, err = s.sealer.Seal(key.Secret()); err != nil {
			return "", nil, fmt.Errorf("seal totp secret of staff %d: %w", st.ID, err)
		}
		qr, err := qrDataURL(key)
		if err != nil {
			return "", nil, fmt.Errorf("totp qr code of staff %d: %w", st.ID, err)
		}
		step = &SecondFactorStep{Enrol: true, OTPAuthURL: key.URL(), Secret: key.Secret(), QRDataURL: qr}
	}
	id := secure.Token(32)
	if err := s.putSession(ctx, pendingLoginKey(id), p, SecondFactorWindow); err != nil {
		return "", nil, err
	}
	return id, step, nil
}

// qrDataURL renders the key's otpauth:// URL as a QR code, a PNG data URL.
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// StaffLoginDone is a login completed by its second factor: the console
// session, and at enrolment the recovery codes, shown this once.
type StaffLoginDone struct {
	SessionID     string
	Session       StaffSession
	Staff         model.Staff
	RecoveryCodes []string
}

// CompleteStaffLogin checks the second factor of the pending login id — a
// TOTP code, or once enrolled a recovery code instead — and opens the
// console session; at enrolment it stores the secret and hands out the
// recovery codes. Every code is counted before it is checked (the
// password's limits, on a count of their own), a TOTP time step is
// accepted once per account across the fleet, and a recovery code once.
func (s *Service) CompleteStaffLogin(ctx context.Context, id, code, ip string) (StaffLoginDone, error) {
	key := pendingLoginKey(id)
	if len(key) > maxSessionKey {
		return StaffLoginDone{}, ErrLoginExpired
	}
	raw, err := s.cache.Get(ctx, key)
	if errors.Is(err, cache.ErrMiss) {
		return StaffLoginDone{}, ErrLoginExpired
	}
	if err != nil {
		return StaffLoginDone{}, fmt.Errorf("load pending login: %w", unavailable(err))
	}
	var p pendingLogin
	if json.Unmarshal([]byte(raw), &p) != nil || !s.Now().Before(p.CreatedAt.Add(SecondFactorWindow)) {
		_ = s.cache.Del(ctx, key)
		return StaffLoginDone{}, ErrLoginExpired
	}
	st, err := s.StaffAccount(ctx, p.StaffID)
	if err != nil {
		return StaffLoginDone{}, err
	}
	who := Actor{StaffID: st.ID, Name: st.Username, Role: st.Role, UnitID: st.UnitID, IP: ip}
	method, reason, err := s.checkSecondFactor(ctx, p, st, code, ip)
	if err != nil {
		if reason == "" {
			return StaffLoginDone{}, err
		}
		if aerr := s.auditFailedLogin(ctx, who, "staff.login_2fa_failed", reason); aerr != nil {
			return StaffLoginDone{}, aerr
		}
		return StaffLoginDone{}, err
	}
	// The pending login is used up by whoever deletes it: of two right
	// codes sent at once, one opens a session.
	if claimed, err := s.cache.DelIfEqual(ctx, key, raw); err != nil {
		return StaffLoginDone{}, unavailable(err)
	} else if !claimed {
		return StaffLoginDone{}, ErrLoginExpired
	}
	var codes []string
	var hashes []string
	if p.Enrol != nil {
		if codes, hashes, err = newRecoveryCodes(); err != nil {
			return StaffLoginDone{}, err
		}
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if p.Enrol != nil {
			if err := s.enrol(tx, who, p.Enrol, hashes); err != nil {
				return err
			}
		}
		return s.recordLogin(tx, who, "staff.login_2fa_ok", "method="+method)
	})
	if err != nil {
		return StaffLoginDone{}, err
	}
	if err := s.attemptSucceeded(ctx, ip, codeAttempts(st.ID)); err != nil {
		return StaffLoginDone{}, err
	}
	sid, sess, err := s.newStaffSession(ctx, st, p.Epoch)
	if err != nil {
		return StaffLoginDone{}, err
	}
	return StaffLoginDone{SessionID: sid, Session: sess, Staff: st, RecoveryCodes: codes}, nil
}

// checkSecondFactor counts and checks the code of pending login p of st.
// It answers how the factor was given ("totp", "recovery"), or why it was
// refused (reason, err; reason "" for a technical failure).
func (s *Service) checkSecondFactor(ctx context.Context, p pendingLogin, st model.Staff, code, ip string) (method, reason string, err error) {
	attempts := codeAttempts(st.ID)
	attempt, reason, err := s.countAttempt(ctx, ip, attempts)
	if err != nil {
		return "", reason, err
	}
	// The account may have been disabled, reset or had its password
	// changed since the password was checked: each starts a new epoch.
	epoch, err := s.cache.Get(ctx, staffEpochKey(st.ID))
	if err != nil && !errors.Is(err, cache.ErrMiss) {
		return "", "", unavailable(err)
	}
	if st.Disabled || epoch != p.Epoch || (p.Enrol == nil) != (st.TOTPEnrolledAt != nil) {
		return "", "session_ended", ErrLoginExpired
	}
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	sealed := p.Enrol
	if sealed == nil {
		sealed = st.TOTPSecretEnc
	}
	method, reason = "totp", "bad_code"
	ok := false
	switch {
	case len(code) == int(totpOpts.Digits):
		secret, err := s.sealer.Open(sealed)
		if err != nil {
			return "", "", fmt.Errorf("open totp secret of staff %d: %w", st.ID, err)
		}
		ok, reason, err = s.useTOTP(ctx, st.ID, secret, code)
		if err != nil {
			return "", "", err
		}
	case len(code) == recoveryCodeLength && p.Enrol == nil:
		method = "recovery"
		ok, reason, err = s.useRecoveryCode(ctx, st, code)
		if err != nil {
			return "", "", err
		}
	}
	if !ok {
		if err := s.lockAfterLastAttempt(ctx, attempts, attempt); err != nil {
			return "", "", err
		}
		return "", reason, ErrBadCode
	}
	return method, "", nil
}

// useTOTP checks code against the secret's time steps around now and
// takes the matching step, which no later code of the account may use
// again anywhere in the fleet (remembered until it could no longer match).
func (s *Service) useTOTP(ctx context.Context, staffID uint64, secret, code string) (ok bool, reason string, err error) {
	now := s.Now()
	period := int64(totpOpts.Period)
	for _, offset := range []int64{0, -totpSkew, totpSkew} {
		at := now.Add(time.Duration(offset*period) * time.Second)
		match, err := totp.ValidateCustom(code, secret, at, totpOpts)
		if err != nil || !match {
			continue
		}
		step := at.Unix() / period
		lastValid := time.Unix((step+totpSkew+1)*period, 0)
		fresh, err := s.cache.SetNX(ctx, usedStepKey(staffID, step), "1", lastValid.Sub(now)+time.Second)
		if err != nil {
			return false, "", unavailable(err)
		}
		if !fresh {
			return false, "code_reused", nil
		}
		return true, "", nil
	}
	return false, "bad_code", nil
}

func usedStepKey(staffID uint64, step int64) string {
	return "totp:used:" + strconv.FormatUint(staffID, 10) + ":" + strconv.FormatInt(step, 10)
}

// forgetUsedSteps drops the account's used time steps that could still
// match (a new secret's codes are new).
func (s *Service) forgetUsedSteps(ctx context.Context, staffID uint64) error {
	step := s.Now().Unix() / int64(totpOpts.Period)
	var keys []string
	for k := step - totpSkew; k <= step+totpSkew; k++ {
		keys = append(keys, usedStepKey(staffID, k))
	}
	if err := s.cache.Del(ctx, keys...); err != nil {
		return unavailable(err)
	}
	return nil
}

// Recovery codes: 10 characters of an alphabet without look-alikes (50
// random bits), shown as XXXXX-XXXXX, stored as bcrypt hashes like the
// passwords. Their work factor is lower than a password's (10): bcrypt's
// cost makes up for the few bits of a password a person chose, while 2^50
// random codes at cost 6 (about 5 ms each) still take some 10^5 CPU-years
// to search, and an enrolment hashes ten of them.
const (
	recoveryAlphabet   = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	recoveryCodeLength = 10
	recoveryCodeCost   = 6
)

// newRecoveryCodes draws the recovery codes of an enrolment and their
// bcrypt hashes (hashed side by side).
func newRecoveryCodes() (codes, hashes []string, err error) {
	codes, hashes = make([]string, RecoveryCodeCount), make([]string, RecoveryCodeCount)
	errs := make([]error, RecoveryCodeCount)
	var wg sync.WaitGroup
	for i := range codes {
		raw := make([]byte, recoveryCodeLength)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, fmt.Errorf("draw recovery code: %w", err)
		}
		for j, b := range raw {
			raw[j] = recoveryAlphabet[int(b)%len(recoveryAlphabet)] // 256 is a multiple of 32: uniform
		}
		codes[i] = string(raw[:5]) + "-" + string(raw[5:])
		wg.Go(func() {
			h, err := bcrypt.GenerateFromPassword(raw, recoveryCodeCost)
			hashes[i], errs[i] = string(h), err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("hash recovery codes: %w", err)
	}
	return codes, hashes, nil
}

// useRecoveryCode checks code (normalized: no dash, upper case) against the
// account's unused recovery codes and uses the matching one up, by a
// guarded UPDATE: of two logins giving one code at once, one gets in.
func (s *Service) useRecoveryCode(ctx context.Context, st model.Staff, code string) (ok bool, reason string, err error) {
	var rows []model.StaffRecoveryCode
	if err := s.db.WithContext(ctx).Where("staff_id = ? AND used_at IS NULL", st.ID).Order("id").Find(&rows).Error; err != nil {
		return false, "", fmt.Errorf("load recovery codes of staff %d: %w", st.ID, err)
	}
	for _, row := range rows {
		if bcrypt.CompareHashAndPassword([]byte(row.Hash), []byte(code)) != nil {
			continue
		}
		who := Actor{StaffID: st.ID, Name: st.Username, Role: st.Role, UnitID: st.UnitID}
		used := false
		err := s.tx(ctx, func(tx *gorm.DB) error {
			res := tx.Model(&model.StaffRecoveryCode{}).Where("id = ? AND used_at IS NULL", row.ID).Update("used_at", s.Now())
			if res.Error != nil {
				return fmt.Errorf("use recovery code %d: %w", row.ID, res.Error)
			}
			if used = res.RowsAffected == 1; !used {
				return nil
			}
			return s.audit(tx, who, "staff.2fa_recovery_used", fmt.Sprintf("staff:%d", st.ID), fmt.Sprintf("left=%d", len(rows)-1))
		})
		if err != nil {
			return false, "", err
		}
		if !used {
			return false, "recovery_code_used", nil
		}
		return true, "", nil
	}
	return false, "bad_code", nil
}

// enrol stores the confirmed secret and the recovery codes' hashes, once:
// of two enrolments of one account at once, one is kept.
func (s *Service) enrol(tx *gorm.DB, who Actor, sealed []byte, hashes []string) error {
	now := s.Now()
	res := tx.Model(&model.Staff{}).Where("id = ? AND totp_enrolled_at IS NULL", who.StaffID).
		Updates(map[string]any{"totp_secret_enc": sealed, "totp_enrolled_at": now, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("enrol totp of staff %d: %w", who.StaffID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrEnrolledMeanwhile
	}
	if err := tx.Where("staff_id = ?", who.StaffID).Delete(&model.StaffRecoveryCode{}).Error; err != nil {
		return fmt.Errorf("drop old recovery codes of staff %d: %w", who.StaffID, err)
	}
	rows := make([]model.StaffRecoveryCode, len(hashes))
	for i, h := range hashes {
		rows[i] = model.StaffRecoveryCode{StaffID: who.StaffID, Hash: h, CreatedAt: now}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("store recovery codes of staff %d: %w", who.StaffID, err)
	}
	return s.audit(tx, who, "staff.2fa_enrol", fmt.Sprintf("staff:%d", who.StaffID), "")
}

// ResetStaffTwoFactorByName drops the account's TOTP secret and recovery
// codes (its next login enrols again), lifts a lock of its codes and ends
// its sessions.
func (s *Service) ResetStaffTwoFactorByName(ctx context.Context, a Actor, username string) (model.Staff, error) {
	var st model.Staff
	if err := s.db.WithContext(ctx).Where("username = ?", strings.TrimSpace(strings.ToLower(username))).Take(&st).Error; err != nil {
		return st, fmt.Errorf("staff %q: %w", username, notFoundIf(err))
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&model.Staff{}).Where("id = ? AND totp_enrolled_at IS NOT NULL", st.ID).
			Updates(map[string]any{"totp_secret_enc": nil, "totp_enrolled_at": nil, "updated_at": s.Now()})
		if res.Error != nil {
			return fmt.Errorf("reset totp of staff %d: %w", st.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotEnrolled
		}
		if err := tx.Where("staff_id = ?", st.ID).Delete(&model.StaffRecoveryCode{}).Error; err != nil {
			return fmt.Errorf("drop recovery codes of staff %d: %w", st.ID, err)
		}
		return s.audit(tx, a, "staff.2fa_reset", fmt.Sprintf("staff:%d", st.ID), "")
	})
	if err != nil {
		return model.Staff{}, err
	}
	attempts := codeAttempts(st.ID)
	if err := s.cache.Del(ctx, attempts.lock, attempts.fail); err != nil {
		return model.Staff{}, unavailable(err)
	}
	if err := s.forgetUsedSteps(ctx, st.ID); err != nil {
		return model.Staff{}, err
	}
	return st, s.endStaffSessions(ctx, st.ID)
}
