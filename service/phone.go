package service

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
)

// PhoneInput is a user's phone number for SMS notices and their consent.
type PhoneInput struct {
	Phone      string `json:"phone"`
	SMSConsent bool   `json:"sms_consent"`
}

// PhoneView is the user's SMS phone as they see it: masked.
type PhoneView struct {
	Phone      string `json:"phone"`
	SMSConsent bool   `json:"sms_consent"`
}

// SavePhone stores the user's mobile number, sealed, and whether they agree
// to SMS notices when WeChat cannot reach them (reachability.go). Without
// consent the number is kept but never texted, a lawyer's profile phone
// neither.
func (s *Service) SavePhone(ctx context.Context, userID uint64, in PhoneInput) (PhoneView, error) {
	phone := strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
	if !secure.ValidMobile(phone) {
		return PhoneView{}, model.Invalid(map[string]string{"phone": "手机号须为 11 位中国大陆手机号码（1 开头，第二位 3-9）"})
	}
	sealed, err := s.sealer.Seal(phone)
	if err != nil {
		return PhoneView{}, fmt.Errorf("save phone of user %d: %w", userID, err)
	}
	view := PhoneView{Phone: secure.MaskMobile(phone), SMSConsent: in.SMSConsent}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.requireConsent(tx, userID, PurposePhone); err != nil {
			return err
		}
		res := tx.Model(&model.WeChatUser{}).Where("id = ?", userID).Updates(map[string]any{
			"phone_enc": sealed, "phone_masked": view.Phone, "sms_consent": in.SMSConsent, "updated_at": s.Now(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return model.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return PhoneView{}, fmt.Errorf("save phone of user %d: %w", userID, err)
	}
	return view, nil
}
