package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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
}

// Me returns the user's account and lawyer profile (nil when none).
func (s *Service) Me(ctx context.Context, userID uint64) (Me, error) {
	var u model.WeChatUser
	if err := s.db.WithContext(ctx).Take(&u, userID).Error; err != nil {
		return Me{}, fmt.Errorf("load user %d: %w", userID, notFoundIf(err))
	}
	me := Me{ID: u.ID, Subscribed: u.Subscribed}
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

// SaveLawyerProfile registers or updates the user's lawyer profile. The
// phone number is stored encrypted and shown only masked.
func (s *Service) SaveLawyerProfile(ctx context.Context, userID uint64, in LawyerInput) (model.LawyerProfile, error) {
	if err := in.validate(); err != nil {
		return model.LawyerProfile{}, err
	}
	phone, err := s.sealer.Seal(in.Phone)
	if err != nil {
		return model.LawyerProfile{}, err
	}
	p := model.LawyerProfile{UserID: userID, Name: in.Name, LicenseNo: in.LicenseNo, Firm: in.Firm,
		PhoneEnc: phone, PhoneMasked: secure.MaskMobile(in.Phone)}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// One profile per user (unique user_id): a second save updates it.
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "license_no", "firm", "phone_enc", "phone_masked", "updated_at"}),
		}).Create(&p).Error
		if err != nil {
			return fmt.Errorf("save lawyer profile of user %d: %w", userID, err)
		}
		return tx.Where("user_id = ?", userID).Take(&p).Error
	})
	return p, err
}
