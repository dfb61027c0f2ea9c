package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"zsjc/model"
)

// PushQuota is the day's template quota as staff see it: the count so
// far, the forecast and what is held (GET /api/staff/pushes/quota).
type PushQuota struct {
	Day string `json:"day"`
	model.QuotaPlan
	Sent      int64 `json:"sent"`
	Remaining int64 `json:"remaining"`
	// Forecast is the day's count if every push due before midnight goes
	// out: sent plus those waiting.
	Forecast int64 `json:"forecast"`
	// Held are the pushes waiting for the next day because of the plan,
	// by kind.
	Held       int64            `json:"held"`
	HeldByKind map[string]int64 `json:"held_by_kind"`
	// Holding are the kinds held from now on today (their reserve is
	// reached); PausedUntil is set while a 45009 pause lasts.
	Holding     []string   `json:"holding"`
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}

// PushQuota reads the account's day: the fleet's count of template sends,
// the pushes due before midnight and those held for the next day. The
// quota is the account's, so the figures are not scoped by unit: admins
// only.
func (s *Service) PushQuota(ctx context.Context) (PushQuota, error) {
	now := s.Now()
	plan := s.opt.PushQuota
	q := PushQuota{Day: model.OfficeDay(now, s.opt.Location), QuotaPlan: plan, HeldByKind: map[string]int64{}, Holding: []string{}}
	vals, err := s.cache.GetMulti(ctx, model.PushQuotaCountKey(q.Day), model.PushQuotaPauseKey)
	if err != nil {
		return PushQuota{}, fmt.Errorf("push quota: %w", unavailable(err))
	}
	if v, ok := vals[model.PushQuotaCountKey(q.Day)]; ok {
		if q.Sent, err = strconv.ParseInt(v, 10, 64); err != nil {
			return PushQuota{}, fmt.Errorf("push quota: count %q: %w", v, err)
		}
	}
	if until, err := time.Parse(time.RFC3339, vals[model.PushQuotaPauseKey]); err == nil && now.Before(until) {
		q.PausedUntil = &until
	}
	q.Remaining = max(plan.Daily-q.Sent, 0)
	db := s.db.WithContext(ctx).Model(&model.PushMessage{})
	var due int64
	if err := db.Where("status IN ? AND channel = ? AND next_attempt_at < ?",
		[]model.Status{model.StatusQueued, model.StatusSending}, model.ChannelWeChatTemplate, model.NextOfficeDay(now, s.opt.Location)).
		Count(&due).Error; err != nil {
		return PushQuota{}, fmt.Errorf("push quota: due pushes: %w", err)
	}
	q.Forecast = q.Sent + due
	var held []struct {
		Kind string
		N    int64
	}
	if err := s.db.WithContext(ctx).Model(&model.PushMessage{}).Select("kind, COUNT(*) AS n").
		Where("status = ? AND last_error = ?", model.StatusQueued, model.ReasonHeldForQuota).Group("kind").Scan(&held).Error; err != nil {
		return PushQuota{}, fmt.Errorf("push quota: held pushes: %w", err)
	}
	for _, h := range held {
		q.HeldByKind[h.Kind] = h.N
		q.Held += h.N
	}
	for _, kind := range slices.Sorted(maps.Keys(PushKindLabels)) {
		if q.Sent >= plan.Ceiling(kind) {
			q.Holding = append(q.Holding, kind)
		}
	}
	return q, nil
}
