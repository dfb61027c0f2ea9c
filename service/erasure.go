package service

import (
	"context"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"zsjc/model"
)

// pushErrRecipientErased is the last error of a push that was still queued
// when its recipient deleted their account.
const pushErrRecipientErased = "recipient deleted the account"

// DeleteAccount deletes the user's account (注销账号, docs/design.md §13):
// consents end (their records stay, pseudonymous), pending requests are
// withdrawn and approved bindings revoked as the user's own unbind does
// (live reviews and meetings cancelled, places given back), the lawyer
// profile goes, queued pushes fail and every push row loses the openid,
// the user's row loses the openid and all else of the person, uploads no
// binding needs go (files first), and every session ends. Audit rows stay,
// naming the user by the row id that now names no one.
//
// Guarded and idempotent: the user's row is locked first (a binding,
// upload or profile being submitted at the same moment either commits
// before and is ended here, or waits and is refused), and running it again
// after a failure finishes the steps after the transaction.
func (s *Service) DeleteAccount(ctx context.Context, u UserSession, ip string) error {
	now := s.Now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var user model.WeChatUser
		if err := lockForUpdate(tx).Take(&user, u.UserID).Error; err != nil {
			return fmt.Errorf("lock user %d: %w", u.UserID, notFoundIf(err))
		}
		if user.ErasedAt != nil {
			return nil // deleted before: only the steps below are left
		}
		if err := endConsents(tx, s.consentSubjects(u.UserID), "", now, model.ConsentAccountDeleted); err != nil {
			return err
		}
		if err := s.endUserBindings(tx, u, ip, []model.Status{model.StatusPending, model.StatusApproved}, reasonAccountDeleted); err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.UserID).Delete(&model.LawyerProfile{}).Error; err != nil {
			return fmt.Errorf("erase lawyer profile of user %d: %w", u.UserID, err)
		}
		if err := tx.Where("open_id = ?", user.OpenID).Delete(&model.SubscribeConsent{}).Error; err != nil {
			return fmt.Errorf("erase subscribe-notice consents of user %d: %w", u.UserID, err)
		}
		erased := model.ErasedOpenID(u.UserID)
		if err := tx.Model(&model.PushMessage{}).Where("open_id = ? AND status = ?", user.OpenID, model.StatusQueued).
			Updates(map[string]any{"status": model.StatusFailed, "last_error": pushErrRecipientErased, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("fail queued pushes of user %d: %w", u.UserID, err)
		}
		// The dedup key is "cause:openid": the openid part goes too.
		if err := tx.Model(&model.PushMessage{}).Where("open_id = ?", user.OpenID).
			Updates(map[string]any{"open_id": erased, "dedup_key": gorm.Expr("REPLACE(dedup_key, ?, ?)", user.OpenID, erased)}).Error; err != nil {
			return fmt.Errorf("unlink pushes of user %d: %w", u.UserID, err)
		}
		res := tx.Model(&model.WeChatUser{}).Where("id = ? AND erased_at IS NULL", u.UserID).Updates(map[string]any{
			"open_id": erased, "union_id": "", "scene": "", "subscribed": false,
			"phone_enc": nil, "phone_masked": "", "sms_consent": false,
			"subscribed_at": nil, "unsubscribed_at": nil, "erased_at": now, "updated_at": now})
		if res.Error != nil || res.RowsAffected != 1 {
			return fmt.Errorf("anonymise user %d: %d rows: %w", u.UserID, res.RowsAffected, res.Error)
		}
		return s.audit(tx, userActor(u, ip), "account.delete", userTarget(u.UserID), "")
	})
	if err != nil {
		return err
	}
	if err := s.eraseUnneededUploads(ctx, u.UserID, now); err != nil {
		return err
	}
	return s.endUserSessions(ctx, u.UserID)
}

func userTarget(id uint64) string { return "user:" + strconv.FormatUint(id, 10) }

// A user's sessions are indexed in the cache so that an account deletion
// can end them all: a counter per user and one key per session holding its
// id, each living as long as a session can.
func userSessionCountKey(userID uint64) string { return "sess:un:" + strconv.FormatUint(userID, 10) }
func userSessionIndexKey(userID uint64, n int64) string {
	return "sess:ui:" + strconv.FormatUint(userID, 10) + ":" + strconv.FormatInt(n, 10)
}

// indexUserSession records session id among the user's sessions.
func (s *Service) indexUserSession(ctx context.Context, userID uint64, id string) error {
	counter := userSessionCountKey(userID)
	n, err := s.cache.Incr(ctx, counter, UserSessionLifetime)
	if err != nil {
		return fmt.Errorf("index session: %w", unavailable(err))
	}
	// The counter lives as long as its newest session could.
	if _, err := s.cache.ExpireIfEqual(ctx, counter, strconv.FormatInt(n, 10), UserSessionLifetime); err != nil {
		return fmt.Errorf("index session: %w", unavailable(err))
	}
	if err := s.cache.Set(ctx, userSessionIndexKey(userID, n), id, UserSessionLifetime); err != nil {
		return fmt.Errorf("index session: %w", unavailable(err))
	}
	return nil
}

// endUserSessions deletes every session of the user and the index.
func (s *Service) endUserSessions(ctx context.Context, userID uint64) error {
	counter := userSessionCountKey(userID)
	raw, err := s.cache.GetMulti(ctx, counter)
	if err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, unavailable(err))
	}
	n, _ := strconv.ParseInt(raw[counter], 10, 64)
	index := make([]string, 0, n+1)
	for i := int64(1); i <= n; i++ {
		index = append(index, userSessionIndexKey(userID, i))
	}
	ids, err := s.cache.GetMulti(ctx, index...)
	if err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, unavailable(err))
	}
	keys := make([]string, 0, len(ids)+len(index)+1)
	for _, id := range ids {
		keys = append(keys, userSessionKey(id))
	}
	if err := s.cache.Del(ctx, append(append(keys, index...), counter)...); err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, unavailable(err))
	}
	return nil
}
