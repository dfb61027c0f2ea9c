package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
)

// LawyerInput is the lawyer registration form.
type LawyerInput struct {
	Name      string `json:"name"`
	LicenseNo string `json:"license_no"` // 执业证号, 17 digits
	Firm      string `json:"firm"`
	Phone     string `json:"phone"`
}

// Me is what a WeChat user sees of their own account.
type Me struct {
	ID         uint64               `json:"id"`
	Subscribed bool                 `json:"subscribed"`
	Lawyer     *model.LawyerProfile `json:"lawyer"`
	// Phone is the number given for SMS notices, masked ("" for none).
	Phone      string `json:"phone"`
	SMSConsent bool   `json:"sms_consent"`
}

// Me returns the user's account and lawyer profile (nil when none).
func (s *Service) Me(ctx context.Context, userID uint64) (Me, error) {
	var u model.WeChatUser
	if err := s.db.WithContext(ctx).Take(&u, userID).Error; err != nil {
		return Me{}, fmt.Errorf("load user %d: %w", userID, notFoundIf(err))
	}
	me := Me{ID: u.ID, Subscribed: u.Subscribed, Phone: u.PhoneMasked, SMSConsent: u.SMSConsent}
	var p model.LawyerProfile
	err := s.db.WithContext(ctx).Where("user_id = ?", userID).Take(&p).Error
	switch {
	case err == nil:
		me.Lawyer = &p
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return Me{}, fmt.Errorf("load lawyer profile of user %d: %w", userID, err)
	}
	return me, nil
}

// validate normalises the form and returns the field errors, in Chinese.
func (in *LawyerInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.LicenseNo = strings.TrimSpace(in.LicenseNo)
	in.Firm = strings.TrimSpace(in.Firm)
	in.Phone = strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
	fe := model.FieldErrors{}
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		fe.Add("name", "请填写姓名")
	case n > 32 || !printable(in.Name):
		fe.Add("name", "姓名须为 32 个字以内的文字")
	}
	if !allDigits(in.LicenseNo, 17) {
		fe.Add("license_no", "执业证号须为 17 位数字")
	}
	switch n := utf8.RuneCountInString(in.Firm); {
	case n == 0:
		fe.Add("firm", "请填写律师事务所")
	case n > 100 || !printable(in.Firm):
		fe.Add("firm", "律师事务所名称须为 100 个字以内的文字")
	}
	if !secure.ValidMobile(in.Phone) {
		fe.Add("phone", "手机号须为 11 位中国大陆手机号码")
	}
	return fe.Err()
}

func allDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// printable refuses control characters and invalid UTF-8 in names.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// ErrLicenseTaken refuses a licence number another user registered.
var ErrLicenseTaken = model.Invalid(map[string]string{"license_no": "该执业证号已由其他用户登记，如有疑问请联系案件管理部门"})

// SaveLawyerProfile registers or updates the user's lawyer profile. The
// phone number is stored encrypted and shown only masked. A licence number
// belongs to one user. Changing the name, licence number or firm sends the
// lawyer's approved bindings back to staff review, with what changed as
// the binding's note (and in the audit log).
func (s *Service) SaveLawyerProfile(ctx context.Context, userID uint64, in LawyerInput) (model.LawyerProfile, error) {
	if err := in.validate(); err != nil {
		return model.LawyerProfile{}, err
	}
	phone, err := s.sealer.Seal(in.Phone)
	if err != nil {
		return model.LawyerProfile{}, err
	}
	var p model.LawyerProfile
	err = s.txRetryRaced(ctx, func(tx *gorm.DB) error {
		if err := s.requireConsent(tx, userID, PurposePhone); err != nil {
			return err
		}
		p = model.LawyerProfile{UserID: userID, Name: in.Name, LicenseNo: in.LicenseNo, Firm: in.Firm,
			PhoneEnc: phone, PhoneMasked: secure.MaskMobile(in.Phone)}
		var taken int64
		if err := tx.Model(&model.LawyerProfile{}).Where("license_no = ? AND user_id <> ?", in.LicenseNo, userID).
			Count(&taken).Error; err != nil {
			return fmt.Errorf("check licence of user %d: %w", userID, err)
		}
		if taken > 0 {
			return ErrLicenseTaken
		}
		var old []model.LawyerProfile
		if err := lockForUpdate(tx).Where("user_id = ?", userID).Limit(1).Find(&old).Error; err != nil {
			return fmt.Errorf("load lawyer profile of user %d: %w", userID, err)
		}
		if len(old) == 0 {
			if err := tx.Create(&p).Error; err != nil {
				if model.IsDuplicate(err) { // a concurrent save of this user, or of the licence
					return errRaced
				}
				return fmt.Errorf("create lawyer profile of user %d: %w", userID, err)
			}
			return nil
		}
		p.ID, p.CreatedAt = old[0].ID, old[0].CreatedAt
		if err := tx.Save(&p).Error; err != nil {
			if model.IsDuplicate(err) {
				return ErrLicenseTaken
			}
			return fmt.Errorf("update lawyer profile of user %d: %w", userID, err)
		}
		return s.reviewAgainAfterIdentityChange(tx, old[0], p)
	})
	if errors.Is(err, errRaced) {
		err = ErrLicenseTaken
	}
	return p, err
}

// reviewAgainAfterIdentityChange sends a lawyer's approved bindings back
// to review when the profile's name, licence number or firm changed.
func (s *Service) reviewAgainAfterIdentityChange(tx *gorm.DB, old, now model.LawyerProfile) error {
	var changes []string
	for _, f := range []struct{ label, before, after string }{
		{"姓名", old.Name, now.Name}, {"执业证号", old.LicenseNo, now.LicenseNo}, {"律师事务所", old.Firm, now.Firm},
	} {
		if f.before != f.after {
			changes = append(changes, f.label+"：「"+f.before+"」→「"+f.after+"」")
		}
	}
	if len(changes) == 0 {
		return nil
	}
	note := "律师信息已变更，须重新审核：" + strings.Join(changes, "；")
	var ids []uint64
	if err := tx.Model(&model.Binding{}).Where("user_id = ? AND role = ? AND status = ?", now.UserID, model.RoleLawyer, model.StatusApproved).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("approved bindings of user %d: %w", now.UserID, err)
	}
	for _, id := range ids {
		res := tx.Model(&model.Binding{}).Where("id = ? AND status = ?", id, model.StatusApproved).
			Updates(map[string]any{"status": model.StatusPending, "reason": note, "decided_by": nil, "decided_at": nil, "updated_at": s.Now()})
		if res.Error != nil {
			return fmt.Errorf("send binding %d back to review: %w", id, res.Error)
		}
		if res.RowsAffected == 1 {
			if err := s.audit(tx, Actor{Name: fmt.Sprintf("user:%d", now.UserID)}, "binding.review_again", bindingTarget(id), note); err != nil {
				return err
			}
		}
	}
	return nil
}
