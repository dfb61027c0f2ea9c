package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/secure"
)

// Staff login limits. Both counters live in the shared cache, so they hold
// across instances.
const (
	// LoginMaxFailures failed passwords for one username lock it for LoginLockout.
	LoginMaxFailures = 5
	LoginLockout     = 15 * time.Minute
	// LoginIPMaxFailures failed logins from one address within LoginIPWindow
	// make that address wait until the window ends.
	LoginIPMaxFailures = 20
	LoginIPWindow      = 15 * time.Minute
)

// Login errors. They never say whether the username exists: an unknown
// username fails, counts and locks exactly like a wrong password.
var (
	ErrBadCredentials = model.NewError(model.KindUnauthorized, "invalid_credentials", "用户名或密码错误")
	ErrAccountLocked  = model.NewError(model.KindTooMany, "account_locked",
		fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试", int(LoginLockout.Minutes())))
	ErrAccountDisabled = model.NewError(model.KindForbidden, "account_disabled", "该账号已停用，请联系管理员")
)

// dummyHash is compared against when the username is unknown, so that an
// unknown username costs the same bcrypt time as a wrong password. It is
// the hash (at bcrypt.DefaultCost) of a random password nobody kept.
var dummyHash = []byte("$2a$10$eFI2P7/rWbjo.mLc.dRWdOtzhLwCFR4nRyPCxZJEArjrTQpmASQVq")

func loginIPKey(ip string) string    { return "login:ip:" + ip }
func staffEpochKey(id uint64) string { return "sess:epoch:" + strconv.FormatUint(id, 10) }

// loginAttempts are the cache keys of one account's count of attempts at
// one login factor and of its lock.
type loginAttempts struct{ fail, lock string }

// passwordAttempts counts the passwords tried for a username (known or not).
func passwordAttempts(username string) loginAttempts {
	return loginAttempts{fail: "login:fail:" + username, lock: "login:lock:" + username}
}

// codeAttempts counts the second-factor codes tried for an account. It is
// apart from the password's count, which a right password clears: a
// thief who has the password cannot reset it by logging in again.
func codeAttempts(staffID uint64) loginAttempts {
	id := strconv.FormatUint(staffID, 10)
	return loginAttempts{fail: "login:2fa:fail:" + id, lock: "login:2fa:lock:" + id}
}

// StaffLoginResult is what a right password opens: a console session, or,
// when the account needs a second factor (SecondFactor set), a pending
// login that only CompleteStaffLogin turns into one. SessionID is the id
// of either; Session is zero while the second factor is due.
type StaffLoginResult struct {
	SessionID    string
	Session      StaffSession
	Staff        model.Staff
	SecondFactor *SecondFactorStep
}

// StaffLogin checks a username and password and opens a console session,
// or the second step of the login when the account needs one (twofactor.go).
// Every attempt is audited, without the password.
func (s *Service) StaffLogin(ctx context.Context, username, password, ip string) (StaffLoginResult, error) {
	username = strings.TrimSpace(strings.ToLower(username))
	fe := model.FieldErrors{}
	if username == "" {
		fe.Add("username", "请输入用户名")
	}
	if password == "" {
		fe.Add("password", "请输入密码")
	}
	if err := fe.Err(); err != nil {
		return StaffLoginResult{}, err
	}
	if len(username) > 64 {
		username = username[:64]
	}
	who := Actor{Name: username, IP: ip}
	st, epoch, reason, err := s.staffLogin(ctx, username, password, ip)
	if err != nil {
		if reason == "" { // an outage, not a verdict on the credentials
			return StaffLoginResult{}, err
		}
		if aerr := s.auditFailedLogin(ctx, who, "staff.login_failed", reason); aerr != nil {
			return StaffLoginResult{}, aerr
		}
		return StaffLoginResult{}, err
	}
	if s.needsSecondFactor(st) {
		id, step, err := s.startSecondFactor(ctx, st, epoch)
		return StaffLoginResult{SessionID: id, Staff: st, SecondFactor: step}, err
	}
	sid, sess, err := s.newStaffSession(ctx, st, epoch)
	if err != nil {
		return StaffLoginResult{}, err
	}
	who.StaffID, who.Role, who.UnitID = st.ID, st.Role, st.UnitID
	if err := s.tx(ctx, func(tx *gorm.DB) error { return s.recordLogin(tx, who, "staff.login", "") }); err != nil {
		_ = s.EndStaffSession(ctx, sid)
		return StaffLoginResult{}, err
	}
	return StaffLoginResult{SessionID: sid, Session: sess, Staff: st}, nil
}

// recordLogin notes the opened session on the account and in the audit log.
func (s *Service) recordLogin(tx *gorm.DB, who Actor, action, detail string) error {
	if err := tx.Model(&model.Staff{}).Where("id = ?", who.StaffID).Update("last_login_at", s.Now()).Error; err != nil {
		return fmt.Errorf("record login of staff %d: %w", who.StaffID, err)
	}
	return s.audit(tx, who, action, fmt.Sprintf("staff:%d", who.StaffID), detail)
}

// auditFailedLogin writes the audit row (action) of a refused login step.
// The username is recorded only when it names an account: what is typed
// into the username field of a failed login may be a password. While the
// address is blocked, one row per block window counts the attempts of
// either step instead of a row each.
func (s *Service) auditFailedLogin(ctx context.Context, who Actor, action, reason string) error {
	if reason != "ip_rate_limited" {
		target := "staff:unknown"
		var st model.Staff
		err := s.db.WithContext(ctx).Select("id", "unit_id").Where("username = ?", who.Name).Take(&st).Error
		switch {
		case err == nil:
			// The row is the account's unit's to read.
			target, who.UnitID = fmt.Sprintf("staff:%d", st.ID), st.UnitID
		case errors.Is(err, gorm.ErrRecordNotFound):
			who.Name = "?"
		default:
			return fmt.Errorf("audit failed login: %w", err)
		}
		return s.Audit(ctx, who, action, target, "reason="+reason)
	}
	who.Name = "?"
	key := "login:blocked:" + who.IP
	n, err := s.cache.Incr(ctx, key, LoginIPWindow)
	if err != nil {
		return unavailable(err)
	}
	summary := fmt.Sprintf("reason=ip_rate_limited attempts=%d", n)
	if n == 1 {
		row := model.AuditLog{ActorName: who.Name, Action: "staff.login_blocked", Target: "ip:" + who.IP, IP: who.IP, At: s.Now(), Detail: summary}
		if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("audit blocked login: %w", err)
		}
		if err := s.cache.Set(ctx, key+":row", strconv.FormatUint(row.ID, 10), LoginIPWindow); err != nil {
			return unavailable(err)
		}
		return nil
	}
	raw, err := s.cache.Get(ctx, key+":row")
	if err != nil { // the window's row is still being written: it counts this attempt later
		return nil
	}
	// Only a higher count replaces the row's count (concurrent attempts may
	// arrive out of order).
	err = s.db.WithContext(ctx).Model(&model.AuditLog{}).Where("id = ? AND action = ?", raw, "staff.login_blocked").
		Where("LENGTH(detail) < ? OR (LENGTH(detail) = ? AND detail < ?)", len(summary), len(summary), summary).
		Update("detail", summary).Error
	if err != nil {
		return fmt.Errorf("count blocked login: %w", err)
	}
	return nil
}

// staffLogin is StaffLogin without the audit and the session: the account
// whose password is right, and its session epoch. reason names why a login
// was refused ("" when it failed for a technical reason).
func (s *Service) staffLogin(ctx context.Context, username, password, ip string) (st model.Staff, epoch, reason string, err error) {
	attempts := passwordAttempts(username)
	attempt, reason, err := s.countAttempt(ctx, ip, attempts)
	if err != nil {
		return st, "", reason, err
	}
	found := false
	if usernamePattern.MatchString(username) {
		err = s.db.WithContext(ctx).Where("username = ?", username).Take(&st).Error
		found = err == nil
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return st, "", "", fmt.Errorf("load staff %q: %w", username, err)
		}
	}
	hash := dummyHash
	if found {
		hash = []byte(st.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !found {
		reason = "bad_password"
		if !found {
			reason = "unknown_user"
		}
		if err := s.lockAfterLastAttempt(ctx, attempts, attempt); err != nil {
			return st, "", "", err
		}
		return st, "", reason, ErrBadCredentials
	}
	// The epoch is read before the account is checked again: an account
	// disabled or reset after this read gets a new epoch, which ends the
	// session opened here; one disabled before it is refused below.
	epoch, err = s.staffEpoch(ctx, st.ID)
	if err != nil {
		return st, "", "", err
	}
	var current model.Staff
	if err := s.db.WithContext(ctx).Take(&current, st.ID).Error; err != nil {
		return st, "", "", fmt.Errorf("load staff %d: %w", st.ID, err)
	}
	if current.Disabled {
		return st, "", "disabled", ErrAccountDisabled
	}
	if current.PasswordHash != st.PasswordHash { // reset meanwhile
		return st, "", "bad_password", ErrBadCredentials
	}
	if err := s.attemptSucceeded(ctx, ip, attempts); err != nil {
		return st, "", "", err
	}
	return current, epoch, "", nil
}

// countAttempt counts an attempt from ip at one login factor before the
// factor is checked: guesses sent at once cannot all pass a check made
// before any of them counted. It answers the attempt's number for the
// account, or why the attempt is refused unchecked (reason, err).
func (s *Service) countAttempt(ctx context.Context, ip string, attempts loginAttempts) (attempt int64, reason string, err error) {
	if n, err := s.cache.Incr(ctx, loginIPKey(ip), LoginIPWindow); err != nil {
		return 0, "", unavailable(err)
	} else if n > LoginIPMaxFailures {
		return 0, "ip_rate_limited", model.ErrRateLimited
	}
	if locked, err := s.loginLocked(ctx, attempts); err != nil {
		return 0, "", err
	} else if locked {
		return 0, "locked", ErrAccountLocked
	}
	attempt, err = s.cache.Incr(ctx, attempts.fail, LoginLockout)
	if err != nil {
		return 0, "", unavailable(err)
	}
	if attempt > LoginMaxFailures {
		return 0, "locked", ErrAccountLocked
	}
	return attempt, "", nil
}

// attemptSucceeded clears the account's count of the factor and takes the
// attempt back from the address, which counts failures only.
func (s *Service) attemptSucceeded(ctx context.Context, ip string, attempts loginAttempts) error {
	if err := s.cache.Del(ctx, attempts.fail); err != nil {
		return unavailable(err)
	}
	if err := s.cache.Decr(ctx, loginIPKey(ip)); err != nil {
		return unavailable(err)
	}
	return nil
}

// loginLocked reports whether the account is locked out of the factor.
// The lock holds its end time, checked against the service clock.
func (s *Service) loginLocked(ctx context.Context, attempts loginAttempts) (bool, error) {
	raw, err := s.cache.Get(ctx, attempts.lock)
	if errors.Is(err, cache.ErrMiss) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	until, err := strconv.ParseInt(raw, 10, 64)
	if err == nil && s.Now().Unix() < until {
		return true, nil
	}
	// The lock is over: whoever removes it (once, across instances) also
	// clears the attempts counted while it held.
	if removed, err := s.cache.DelIfEqual(ctx, attempts.lock, raw); err != nil {
		return false, unavailable(err)
	} else if removed {
		if err := s.cache.Del(ctx, attempts.fail); err != nil {
			return false, unavailable(err)
		}
	}
	return false, nil
}

// lockAfterLastAttempt locks the account out of the factor when the failed
// attempt was the last one it had (the LoginMaxFailures-th counted).
func (s *Service) lockAfterLastAttempt(ctx context.Context, attempts loginAttempts, attempt int64) error {
	if attempt < LoginMaxFailures {
		return nil
	}
	until := s.Now().Add(LoginLockout).Unix()
	if err := s.cache.Set(ctx, attempts.lock, strconv.FormatInt(until, 10), LoginLockout); err != nil {
		return unavailable(err)
	}
	return nil
}

// StaffLogout ends the console session sid.
func (s *Service) StaffLogout(ctx context.Context, a Actor, sid string) error {
	if err := s.EndStaffSession(ctx, sid); err != nil {
		return unavailable(err)
	}
	return s.Audit(ctx, a, "staff.logout", fmt.Sprintf("staff:%d", a.StaffID), "")
}

// staffEpoch returns the account's current session epoch, starting one if
// it has none. A lost epoch key ends the account's sessions (the safe way).
func (s *Service) staffEpoch(ctx context.Context, staffID uint64) (string, error) {
	key := staffEpochKey(staffID)
	if _, err := s.cache.SetNX(ctx, key, secure.Token(12), staffEpochTTL); err != nil {
		return "", unavailable(err)
	}
	epoch, err := s.cache.Get(ctx, key)
	if err != nil {
		return "", unavailable(err)
	}
	// The epoch must outlive the session opened with it; extended only if
	// no one started a new epoch meanwhile (that would end this session).
	if _, err := s.cache.ExpireIfEqual(ctx, key, epoch, staffEpochTTL); err != nil {
		return "", unavailable(err)
	}
	return epoch, nil
}

// staffEpochTTL keeps an account's epoch past the longest session opened
// with it; an account nobody logs in to lets its epoch expire.
const staffEpochTTL = StaffSessionLifetime + time.Hour

// endStaffSessions starts a new epoch for the account, which ends every
// session opened before, on every instance.
func (s *Service) endStaffSessions(ctx context.Context, staffID uint64) error {
	if err := s.cache.Set(ctx, staffEpochKey(staffID), secure.Token(12), staffEpochTTL); err != nil {
		return fmt.Errorf("end sessions of staff %d: %w", staffID, unavailable(err))
	}
	return nil
}

// StaffView is a staff account as the API shows it, naming its unit.
type StaffView struct {
	model.Staff
	Unit *UnitRef `json:"unit"`
}

// StaffView names st's unit.
func (s *Service) StaffView(st model.Staff) StaffView {
	return StaffView{Staff: st, Unit: s.unitRef(st.UnitID)}
}

// StaffList lists the staff accounts in the actor's scope, by username.
func (s *Service) StaffList(ctx context.Context, a Actor, p Paging) (Page[StaffView], error) {
	q := a.Scope.where(s.db.WithContext(ctx).Model(&model.Staff{}), "unit_id")
	page, err := pageOf[model.Staff](q, p, "username, id", "staff")
	if err != nil {
		return Page[StaffView]{}, err
	}
	out := Page[StaffView]{Items: make([]StaffView, len(page.Items)), Page: page.Page, PageSize: page.PageSize, Total: page.Total}
	for i, st := range page.Items {
		out.Items[i] = s.StaffView(st)
	}
	return out, nil
}

// staffInScope loads staff account id, answering ErrNotFound when it is
// absent or outside the actor's scope.
func staffInScope(tx *gorm.DB, a Actor, id uint64) (model.Staff, error) {
	var st model.Staff
	if err := tx.Take(&st, id).Error; err != nil {
		return st, notFoundIf(err)
	}
	if !a.Scope.Contains(st.UnitID) {
		return st, model.ErrNotFound
	}
	return st, nil
}

// ErrDisableSelf keeps an administrator from locking themselves out.
var ErrDisableSelf = model.NewError(model.KindConflict, "cannot_disable_self", "不能停用自己的账号")

// SetStaffDisabled disables (ending every session of the account) or
// re-enables a staff account. It is a guarded transition: the UPDATE only
// applies from the opposite state, so of two admins clicking at once one
// gets the 409.
func (s *Service) SetStaffDisabled(ctx context.Context, a Actor, id uint64, disabled bool) (model.Staff, error) {
	if disabled && id == a.StaffID {
		return model.Staff{}, ErrDisableSelf
	}
	action, current := "staff.enable", "已启用"
	if disabled {
		action, current = "staff.disable", "已停用"
	}
	var st model.Staff
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := staffInScope(tx, a, id); err != nil {
			return err
		}
		res := tx.Model(&model.Staff{}).Where("id = ? AND disabled = ?", id, !disabled).
			Updates(map[string]any{"disabled": disabled, "updated_at": s.Now()})
		if res.Error != nil {
			return fmt.Errorf("%s %d: %w", action, id, res.Error)
		}
		if err := tx.Take(&st, id).Error; err != nil {
			return notFoundIf(err)
		}
		if res.RowsAffected == 0 {
			return model.NewError(model.KindConflict, "invalid_state", "该账号当前状态为「"+current+"」，不能执行该操作")
		}
		return s.audit(tx, a, action, fmt.Sprintf("staff:%d", id), "")
	})
	if err != nil {
		return model.Staff{}, err
	}
	if disabled {
		return st, s.endStaffSessions(ctx, id)
	}
	return st, nil
}

// ResetStaffPassword sets a new password chosen by an administrator, lifts
// a login lockout and ends every session of the account.
func (s *Service) ResetStaffPassword(ctx context.Context, a Actor, id uint64, password string) (model.Staff, error) {
	var current model.Staff
	if err := s.db.WithContext(ctx).Select("username").Take(&current, id).Error; err != nil {
		return model.Staff{}, notFoundIf(err)
	}
	if p := PasswordProblem(password, current.Username); p != "" {
		return model.Staff{}, model.Invalid(map[string]string{"password": p})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return model.Staff{}, fmt.Errorf("hash password: %w", err)
	}
	var st model.Staff
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if st, err = staffInScope(tx, a, id); err != nil {
			return err
		}
		if err := tx.Model(&st).Updates(map[string]any{"password_hash": string(hash), "updated_at": s.Now()}).Error; err != nil {
			return fmt.Errorf("reset password of staff %d: %w", id, err)
		}
		return s.audit(tx, a, "staff.reset_password", fmt.Sprintf("staff:%d", id), "")
	})
	if err != nil {
		return model.Staff{}, err
	}
	if err := s.cache.Del(ctx, passwordAttempts(st.Username).lock, passwordAttempts(st.Username).fail); err != nil {
		return model.Staff{}, unavailable(err)
	}
	return st, s.endStaffSessions(ctx, id)
}

// StaffAccount returns the staff account id.
func (s *Service) StaffAccount(ctx context.Context, id uint64) (model.Staff, error) {
	var st model.Staff
	if err := s.db.WithContext(ctx).Take(&st, id).Error; err != nil {
		return model.Staff{}, fmt.Errorf("load staff %d: %w", id, notFoundIf(err))
	}
	return st, nil
}
