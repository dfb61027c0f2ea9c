package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"zsjc/model"
)

// MinPasswordScore is the zxcvbn strength score (0–4) a staff password
// needs: 2 keeps out the common and easily guessed passwords
// ("Password1", "P@ssw0rd123"), which the character-class rule lets by.
const MinPasswordScore = 2

// PasswordProblem explains why a password is not acceptable for the
// account username, or returns "". Policy: 8–72 bytes, no control
// characters, at least 3 of lower case, upper case, digits and other
// characters, not containing the username, and not easily guessed
// (zxcvbn score ≥ MinPasswordScore).
func PasswordProblem(pw, username string) string {
	if len([]rune(pw)) < 8 {
		return "密码至少 8 位"
	}
	if len(pw) > 72 { // bcrypt ignores bytes past 72
		return "密码不能超过 72 个字节"
	}
	if strings.ContainsFunc(pw, unicode.IsControl) {
		return "密码不能包含控制字符"
	}
	if username != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(username)) {
		return "密码不能包含用户名"
	}
	classes := 0
	for _, class := range []func(rune) bool{unicode.IsLower, unicode.IsUpper, unicode.IsDigit,
		func(r rune) bool { return !unicode.IsLower(r) && !unicode.IsUpper(r) && !unicode.IsDigit(r) }} {
		if strings.ContainsFunc(pw, class) {
			classes++
		}
	}
	if classes < 3 {
		return "密码须包含大写字母、小写字母、数字、符号中的至少三类"
	}
	if zxcvbn.PasswordStrength(pw, []string{username, "zsjc"}).Score < MinPasswordScore {
		return "密码过于常见或容易猜到，请换一个"
	}
	return ""
}

// Errors of a password change.
var ErrCurrentPassword = model.Invalid(map[string]string{"current": "当前密码不正确"})

// passwordChangeAttempts wrong current passwords per LoginLockout are
// allowed, so a session left open cannot be used to guess the password.
const passwordChangeAttempts = 5

// ChangeOwnPassword is a staff member replacing their own password: the
// current one must be right, the new one pass PasswordProblem. Every other
// session of the account ends; the caller's session is replaced by the
// returned one.
func (s *Service) ChangeOwnPassword(ctx context.Context, a Actor, oldSession, current, next string) (string, StaffSession, error) {
	key := "pwchange:" + strconv.FormatUint(a.StaffID, 10)
	if err := s.rateLimit(ctx, LoginLockout, "too_many_attempts", "尝试次数过多，请于 %s 后再试",
		rateKey{key, passwordChangeAttempts}); err != nil {
		return "", StaffSession{}, err
	}
	st, err := s.StaffAccount(ctx, a.StaffID)
	if err != nil {
		return "", StaffSession{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(st.PasswordHash), []byte(current)) != nil {
		return "", StaffSession{}, ErrCurrentPassword
	}
	if p := PasswordProblem(next, st.Username); p != "" {
		return "", StaffSession{}, model.Invalid(map[string]string{"new": p})
	}
	if next == current {
		return "", StaffSession{}, model.Invalid(map[string]string{"new": "新密码不能与当前密码相同"})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), bcrypt.DefaultCost)
	if err != nil {
		return "", StaffSession{}, fmt.Errorf("hash password: %w", err)
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&model.Staff{}).Where("id = ? AND password_hash = ?", st.ID, st.PasswordHash).
			Updates(map[string]any{"password_hash": string(hash), "updated_at": s.Now()})
		if res.Error != nil {
			return fmt.Errorf("change password of staff %d: %w", st.ID, res.Error)
		}
		if res.RowsAffected == 0 { // reset or changed meanwhile
			return ErrCurrentPassword
		}
		return s.audit(tx, a, "staff.change_password", fmt.Sprintf("staff:%d", st.ID), "")
	})
	if err != nil {
		return "", StaffSession{}, err
	}
	if err := s.cache.Del(ctx, key); err != nil {
		return "", StaffSession{}, unavailable(err)
	}
	if err := s.endStaffSessions(ctx, st.ID); err != nil {
		return "", StaffSession{}, err
	}
	_ = s.EndStaffSession(ctx, oldSession) // ended by the new epoch anyway
	epoch, err := s.staffEpoch(ctx, st.ID)
	if err != nil {
		return "", StaffSession{}, err
	}
	return s.newStaffSession(ctx, st, epoch)
}
