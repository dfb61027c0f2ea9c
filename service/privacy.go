package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/config"
	"zsjc/model"
)

// Purposes of processing that need the user's consent (docs/design.md §13).
const (
	PurposeIDNumber = config.PurposeIDNumber
	PurposePhone    = config.PurposePhone
	PurposeUploads  = config.PurposeUploads
)

// PrivacyNotice is the notice in force (GET /api/public/privacy).
func (s *Service) PrivacyNotice() config.PrivacyNotice { return s.opt.Privacy }

// consentRequired is the answer to a request that gives personal data of a
// purpose the user has not consented to under the current notice: 403
// naming each missing purpose in fields.
func (s *Service) consentRequired(missing []string) error {
	fields := make(map[string]string, len(missing))
	for _, code := range missing {
		p, _ := s.opt.Privacy.Purpose(code)
		fields[code] = "请先阅读隐私政策并同意处理您的" + p.Name
	}
	return &model.Error{Kind: model.KindForbidden, Code: "consent_required",
		Message: "请先阅读隐私政策，并同意处理所需的个人信息", Fields: fields}
}

// consentSubject is the pseudonymous reference consent records are kept
// under: the keyed hash (the sealer's suite) of the user id, under every
// configured key so records made before a key change are found.
func (s *Service) consentSubjects(userID uint64) []string {
	return s.sealer.Hashes("consent-subject:" + strconv.FormatUint(userID, 10))
}

// lockLiveUser locks the user's row (every use case of a user that gives
// or erases personal data takes it first) and refuses a deleted account.
func lockLiveUser(tx *gorm.DB, userID uint64) (model.WeChatUser, error) {
	var u model.WeChatUser
	err := lockForUpdate(tx).Take(&u, userID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && u.ErasedAt != nil) {
		return u, model.ErrUnauthorized
	}
	if err != nil {
		return u, fmt.Errorf("lock user %d: %w", userID, err)
	}
	return u, nil
}

// requireConsent refuses (403 consent_required, naming what is missing)
// unless the user has consented to every purpose under the current
// notice. Called inside the transaction that takes the data, it locks the
// user's row, so a withdrawal or an account deletion either comes first
// (and the data is refused) or waits for the data to be taken (and then
// erases it).
func (s *Service) requireConsent(tx *gorm.DB, userID uint64, purposes ...string) error {
	if _, err := lockLiveUser(tx, userID); err != nil {
		return err
	}
	var given []string
	if err := tx.Model(&model.Consent{}).
		Where("subject IN ? AND purpose IN ? AND version = ? AND ended_at IS NULL", s.consentSubjects(userID), purposes, s.opt.Privacy.Version).
		Pluck("purpose", &given).Error; err != nil {
		return fmt.Errorf("consents of user %d: %w", userID, err)
	}
	var missing []string
	for _, p := range purposes {
		if !slices.Contains(given, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return s.consentRequired(missing)
	}
	return nil
}

// ConsentInput is POST /api/h5/consents.
type ConsentInput struct {
	Version  string   `json:"version"`
	Purposes []string `json:"purposes"`
}

// ConsentView is a consent in force, as its user sees it.
type ConsentView struct {
	Purpose   string    `json:"purpose"`
	Name      string    `json:"name"`
	Sensitive bool      `json:"sensitive"`
	Version   string    `json:"version"`
	GivenAt   time.Time `json:"given_at"`
	// Current: given to the notice in force (else it is asked again).
	Current bool `json:"current"`
}

// GiveConsent records the user's consent to purposes under the current
// notice (given again, it changes nothing; a consent to an older notice
// ends as renewed). It answers the consents in force.
func (s *Service) GiveConsent(ctx context.Context, u UserSession, ip string, in ConsentInput) ([]ConsentView, error) {
	fe := model.FieldErrors{}
	if strings.TrimSpace(in.Version) != s.opt.Privacy.Version {
		fe.Add("version", "隐私政策已更新，请阅读当前版本（"+s.opt.Privacy.Version+"）后再同意")
	}
	purposes := slices.Compact(slices.Sorted(slices.Values(in.Purposes)))
	if len(purposes) == 0 {
		fe.Add("purposes", "请选择同意的事项")
	}
	for _, p := range purposes {
		if _, ok := s.opt.Privacy.Purpose(p); !ok {
			fe.Add("purposes", "没有这项处理目的："+p)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	subjects := s.consentSubjects(u.UserID)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockLiveUser(tx, u.UserID); err != nil {
			return err
		}
		now := s.Now()
		for _, p := range purposes {
			var live []model.Consent
			if err := tx.Where("subject IN ? AND purpose = ? AND ended_at IS NULL", subjects, p).Find(&live).Error; err != nil {
				return fmt.Errorf("consents of user %d: %w", u.UserID, err)
			}
			if slices.ContainsFunc(live, func(c model.Consent) bool { return c.Version == s.opt.Privacy.Version }) {
				continue
			}
			if err := endConsents(tx, subjects, p, now, model.ConsentRenewed); err != nil {
				return err
			}
			row := model.Consent{Subject: subjects[0], Purpose: p, Version: s.opt.Privacy.Version, GivenAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("record consent of user %d to %s: %w", u.UserID, p, err)
			}
			if err := s.audit(tx, userActor(u, ip), "consent.give", "consent:"+p, "version="+row.Version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Consents(ctx, u.UserID)
}

// endConsents ends the consents in force of subjects to purpose ("" for
// every purpose) for reason. The caller holds the user's lock, so the rows
// are found by a plain read and updated by key: an UPDATE by condition
// would lock index ranges and deadlock with other users' new consents.
func endConsents(tx *gorm.DB, subjects []string, purpose string, now time.Time, reason string) error {
	q := tx.Model(&model.Consent{}).Where("subject IN ? AND ended_at IS NULL", subjects)
	if purpose != "" {
		q = q.Where("purpose = ?", purpose)
	}
	var ids []uint64
	if err := q.Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("consents to end (%s): %w", reason, err)
	}
	if len(ids) == 0 {
		return nil
	}
	if err := tx.Model(&model.Consent{}).Where("id IN ? AND ended_at IS NULL", ids).
		Updates(map[string]any{"ended_at": now, "end_reason": reason}).Error; err != nil {
		return fmt.Errorf("end consents (%s): %w", reason, err)
	}
	return nil
}

// Consents lists the user's consents in force, in the notice's order.
func (s *Service) Consents(ctx context.Context, userID uint64) ([]ConsentView, error) {
	var rows []model.Consent
	if err := s.db.WithContext(ctx).Where("subject IN ? AND ended_at IS NULL", s.consentSubjects(userID)).
		Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("consents of user %d: %w", userID, err)
	}
	out := []ConsentView{}
	for _, p := range s.opt.Privacy.Purposes {
		for _, c := range rows {
			if c.Purpose == p.Code {
				out = append(out, ConsentView{Purpose: p.Code, Name: p.Name, Sensitive: p.Sensitive, Version: c.Version,
					GivenAt: c.GivenAt, Current: c.Version == s.opt.Privacy.Version})
			}
		}
	}
	return out, nil
}

// Reasons recorded on what a withdrawal or an account deletion ends.
const (
	reasonConsentWithdrawn = "用户撤回同意（上传材料）"
	reasonAccountDeleted   = "用户注销账号"
)

// WithdrawConsent ends the user's consent to purpose and erases what was
// given under it that is no longer needed (docs/design.md §13):
//   - phone: the lawyer profile's phone number and the SMS phone;
//   - uploads: pending binding requests are withdrawn (their materials are
//     no longer needed), then every upload that is not material of a binding
//     staff decided (those are case records, kept by retention);
//   - id_number: nothing is stored under it (an id number is only matched
//     against the case's party list); bindings already made stay.
//
// Processing done before stays lawful (PIPL art. 15); withdrawing what was
// not given changes nothing. An unknown purpose is 404.
func (s *Service) WithdrawConsent(ctx context.Context, u UserSession, ip, purpose string) error {
	if _, ok := s.opt.Privacy.Purpose(purpose); !ok {
		return model.ErrNotFound
	}
	now := s.Now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockLiveUser(tx, u.UserID); err != nil {
			return err
		}
		if err := endConsents(tx, s.consentSubjects(u.UserID), purpose, now, model.ConsentWithdrawn); err != nil {
			return err
		}
		switch purpose {
		case PurposePhone:
			if err := tx.Model(&model.LawyerProfile{}).Where("user_id = ?", u.UserID).
				Updates(map[string]any{"phone_enc": nil, "phone_masked": "", "updated_at": now}).Error; err != nil {
				return fmt.Errorf("erase phone of user %d: %w", u.UserID, err)
			}
			if err := tx.Model(&model.WeChatUser{}).Where("id = ?", u.UserID).
				Updates(map[string]any{"phone_enc": nil, "phone_masked": "", "sms_consent": false, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("erase SMS phone of user %d: %w", u.UserID, err)
			}
		case PurposeUploads:
			if err := s.endUserBindings(tx, u, ip, []model.Status{model.StatusPending}, reasonConsentWithdrawn); err != nil {
				return err
			}
		}
		return s.audit(tx, userActor(u, ip), "consent.withdraw", "consent:"+purpose, "")
	})
	if err != nil || purpose != PurposeUploads {
		return err
	}
	return s.eraseUnneededUploads(ctx, u.UserID, now)
}

// endUserBindings ends the user's bindings in statuses the way the user
// ending them would (Unbind: a pending request is withdrawn, an approved
// binding revoked with its live reviews and meetings cancelled, places
// given back), one guarded transition each, in id order.
func (s *Service) endUserBindings(tx *gorm.DB, u UserSession, ip string, statuses []model.Status, reason string) error {
	var ids []uint64
	if err := tx.Model(&model.Binding{}).Where("user_id = ? AND status IN ?", u.UserID, statuses).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("bindings of user %d: %w", u.UserID, err)
	}
	for _, id := range ids {
		if _, err := s.endOwnBinding(tx, u, ip, id, reason); err != nil {
			return err
		}
	}
	return nil
}

// eraseUnneededUploads removes (file first, then row) the user's uploads
// made up to until that no binding still needs: not material of a pending
// binding, nor of one staff decided (approved, rejected, revoked: case
// records, removed by retention), nor attached to a complaint (part of its
// record, likewise). Uploads made after until (the user gave
// consent again meanwhile) are left alone.
func (s *Service) eraseUnneededUploads(ctx context.Context, userID uint64, until time.Time) error {
	_, err := s.deleteInBatches(ctx, uploadRetention(), func(db *gorm.DB) *gorm.DB {
		needed := db.Table("binding_materials").Select("binding_materials.upload_id").
			Joins("JOIN bindings ON bindings.id = binding_materials.binding_id").
			Where("bindings.status <> ?", model.StatusCancelled)
		// A complaint's attachments are part of its record (retention.go).
		attached := db.Table("complaint_attachments").Select("upload_id")
		return db.Model(&model.Upload{}).Where("user_id = ? AND created_at <= ? AND id NOT IN (?) AND id NOT IN (?)", userID, until, needed, attached)
	})
	if err != nil {
		return fmt.Errorf("erase uploads of user %d: %w", userID, err)
	}
	return nil
}
