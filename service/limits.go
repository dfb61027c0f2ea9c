package service

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// Limits keep one user (or one address) from flooding the staff queues:
// caps on what may wait for staff at once, and a rate of new requests.
// A zero field takes its default (DefaultLimits).
type Limits struct {
	// PendingBindings caps a user's binding requests awaiting review.
	PendingBindings int
	// LiveMeetings caps a user's pending or confirmed meeting requests of one case.
	LiveMeetings int
	// LiveReviews caps a user's pending or confirmed file reviews, all cases together.
	LiveReviews int
	// LiveEfiles caps a user's pending or approved online file reviews, all cases together.
	LiveEfiles int
	// CreationsPerUser and CreationsPerIP cap new requests (bindings,
	// reviews, meetings, online file reviews) within CreationWindow.
	CreationsPerUser int
	CreationsPerIP   int
}

// DefaultLimits are the limits when configuration sets none.
var DefaultLimits = Limits{PendingBindings: 10, LiveMeetings: 3, LiveReviews: 5, LiveEfiles: 5, CreationsPerUser: 30, CreationsPerIP: 300}

// CreationWindow is the window of the creation rate limits.
const CreationWindow = 10 * time.Minute

func (l Limits) withDefaults() Limits {
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&l.PendingBindings, DefaultLimits.PendingBindings}, {&l.LiveMeetings, DefaultLimits.LiveMeetings},
		{&l.LiveReviews, DefaultLimits.LiveReviews}, {&l.LiveEfiles, DefaultLimits.LiveEfiles},
		{&l.CreationsPerUser, DefaultLimits.CreationsPerUser},
		{&l.CreationsPerIP, DefaultLimits.CreationsPerIP},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return l
}

var liveStatuses = []model.Status{model.StatusPending, model.StatusConfirmed}

// checkLiveCap refuses a new request of userID once max of its kind
// (rows of table matching where, whose first argument is the user) are
// live: 429 with message (%d: the cap). It locks the user's row first, so
// that concurrent requests of one user are counted one after the other;
// every use case calling it does so before taking any other lock.
func (s *Service) checkLiveCap(tx *gorm.DB, userID uint64, max int, message string, table any, where string, args ...any) error {
	if err := lockForUpdate(tx).Select("id").Take(&model.WeChatUser{}, userID).Error; err != nil {
		return fmt.Errorf("lock user %d: %w", userID, notFoundIf(err))
	}
	var live int64
	if err := tx.Model(table).Where(where, append([]any{userID}, args...)...).Count(&live).Error; err != nil {
		return fmt.Errorf("count live requests of user %d: %w", userID, err)
	}
	if live >= int64(max) {
		return model.NewError(model.KindTooMany, "too_many_live", fmt.Sprintf(message, max))
	}
	return nil
}

// checkPendingBindings is the cap on a user's bindings awaiting review.
func (s *Service) checkPendingBindings(tx *gorm.DB, userID uint64) error {
	return s.checkLiveCap(tx, userID, s.opt.Limits.PendingBindings, "您已有 %d 件绑定申请等待审核，请等审核后再提交",
		&model.Binding{}, "user_id = ? AND status = ?", model.StatusPending)
}

// checkLiveReviews is the cap on a user's live file reviews.
func (s *Service) checkLiveReviews(tx *gorm.DB, userID uint64) error {
	return s.checkLiveCap(tx, userID, s.opt.Limits.LiveReviews, "您已有 %d 个未完成的阅卷预约，请完成或取消后再预约",
		&model.ReviewBooking{}, "user_id = ? AND status IN ?", liveStatuses)
}

// checkLiveEfiles is the cap on a user's live online file reviews.
func (s *Service) checkLiveEfiles(tx *gorm.DB, userID uint64) error {
	return s.checkLiveCap(tx, userID, s.opt.Limits.LiveEfiles, "您已有 %d 个进行中的线上阅卷申请，请等待答复或阅卷期满后再申请",
		&model.EfileRequest{}, "user_id = ? AND status IN ?", []model.Status{model.StatusPending, model.StatusApproved})
}

// checkLiveMeetings is the cap on a user's live meeting requests of a case.
func (s *Service) checkLiveMeetings(tx *gorm.DB, userID, caseID uint64) error {
	return s.checkLiveCap(tx, userID, s.opt.Limits.LiveMeetings, "该案件您已有 %d 个未完成的会见申请，请等待答复或取消后再申请",
		&model.MeetingRequest{}, "user_id = ? AND case_id = ? AND status IN ?", caseID, liveStatuses)
}

// LimitCreation counts a new request of the user and of the address
// against the creation rate limits (shared by all instances through the
// cache) and refuses it (429, saying when to try again) once over either.
func (s *Service) LimitCreation(ctx context.Context, userID uint64, ip string) error {
	return s.rateLimit(ctx, CreationWindow, "too_many_requests", "提交过于频繁，请于 %s 后再试",
		rateKey{"create:uid:" + strconv.FormatUint(userID, 10), s.opt.Limits.CreationsPerUser},
		rateKey{"create:ip:" + ip, s.opt.Limits.CreationsPerIP})
}

// LoginStartsPerMinute caps WeChat logins started from one address (each
// keeps a pending state in the cache for OAuthStateTTL); offices behind
// one NAT address stay well below it.
const LoginStartsPerMinute = 120

// LimitLoginStart counts a WeChat login started from ip and refuses it
// (429) over LoginStartsPerMinute.
func (s *Service) LimitLoginStart(ctx context.Context, ip string) error {
	return s.rateLimit(ctx, time.Minute, "too_many_logins", "登录请求过于频繁，请于 %s 后再试",
		rateKey{"loginstart:ip:" + ip, LoginStartsPerMinute})
}

// rateKey is one counter of a rate limit and its maximum within the window.
type rateKey struct {
	key string
	max int
}

// rateLimit counts one event against every key and refuses it once a key
// is over its maximum: 429 with code and message (%s: when to retry, HH:MM
// office time, rounded up).
func (s *Service) rateLimit(ctx context.Context, window time.Duration, code, message string, keys ...rateKey) error {
	for _, k := range keys {
		n, err := s.cache.Incr(ctx, k.key, window)
		if err != nil {
			return fmt.Errorf("count %s: %w", k.key, unavailable(err))
		}
		if n <= int64(k.max) {
			continue
		}
		ttl, err := s.cache.TTL(ctx, k.key)
		if err != nil || ttl < 0 {
			ttl = window
		}
		until := s.Now().Add(ttl + time.Minute - 1).Truncate(time.Minute).In(s.opt.Location)
		return model.NewError(model.KindTooMany, code, fmt.Sprintf(message, until.Format("15:04")))
	}
	return nil
}
