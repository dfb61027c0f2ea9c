package push

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"zsjc/cache"
	"zsjc/model"
)

// The account's daily quota of template messages (100,000 by default) is
// kept two ways. The worker counts its own sends per office day, fleet-wide
// (quotaCountKey), and as the day's remainder runs low keeps it for the
// pushes that matter most (KindPriority), holding the others to the next
// day. And when WeChat answers 45009 all the same (the count was lost, or
// another system of the account sends too), every instance pauses until
// the next day (quotaPauseKey).

// quotaPauseKey holds, fleet-wide, the time (RFC 3339) until which nothing
// is sent because WeChat answered 45009: the account's daily quota of
// template messages is used up until the platform's day ends.
const quotaPauseKey = "push:quota_paused_until"

// QuotaPlan is the day's budget of template sends.
type QuotaPlan struct {
	// Daily is the account's quota of template sends a day (default 100000).
	Daily int64
	// LowWater is the share of Daily from which the remainder is kept for
	// higher priorities (default 0.1): with 10% left, reminders wait for
	// the next day; with half of that left, case progress too; the results
	// of a user's own request go out until the quota is used up.
	LowWater float64
}

// DefaultQuotaPlan is the platform's default quota and a 10% reserve.
var DefaultQuotaPlan = QuotaPlan{Daily: 100000, LowWater: 0.1}

func (q *QuotaPlan) defaults() {
	if q.Daily <= 0 {
		q.Daily = DefaultQuotaPlan.Daily
	}
	if q.LowWater <= 0 || q.LowWater >= 1 {
		q.LowWater = DefaultQuotaPlan.LowWater
	}
}

// KindPriority ranks the push kinds for the end of the day's quota, 0
// first: the results of a user's own request, then case progress, then
// reminders. A kind not listed ranks with case progress.
var KindPriority = map[string]int{
	model.PushBindingResult: 0,
	model.PushReviewResult:  0,
	model.PushMeetingResult: 0,
	model.PushCaseEvent:     1,
	model.PushReminder:      2,
}

const (
	defaultPriority = 1
	lowestPriority  = 2
)

func priorityOf(kind string) int {
	if p, ok := KindPriority[kind]; ok {
		return p
	}
	return defaultPriority
}

// ceiling is the day's count of sends after which a push of priority p
// waits for the next day: the quota less a reserve that grows with p.
func (q QuotaPlan) ceiling(p int) int64 {
	reserve := float64(q.Daily) * q.LowWater * float64(p) / lowestPriority
	return q.Daily - int64(reserve)
}

// quotaChannels are the channels the template quota counts.
func quotaCounted(channel string) bool { return channel == model.ChannelWeChatTemplate }

// quotaCountKey counts the sends of an office day (its date in loc).
func quotaCountKey(day string) string { return "push:quota_sent:" + day }

// officeDay is the date of now in loc.
func officeDay(now time.Time, loc *time.Location) string { return now.In(loc).Format(time.DateOnly) }

// quotaCountTTL outlives the day it counts, in any time zone.
const quotaCountTTL = 48 * time.Hour

// errQuotaReserved is the last error of a push held for the next day.
var errQuotaReserved = errors.New(model.ReasonHeldForQuota)

// quotaHold counts a send about to be made against the day's quota and
// reports whether the push must wait for the next day instead (the count
// given back). A cache failure holds nothing: the platform's 45009 is the
// backstop.
func (w *Worker) quotaHold(ctx context.Context, c claimed) (time.Time, bool) {
	if !quotaCounted(c.row.Channel) {
		return time.Time{}, false
	}
	now := w.now()
	key := quotaCountKey(officeDay(now, w.opt.Location))
	n, err := w.cache.Incr(ctx, key, quotaCountTTL)
	if err != nil {
		w.log.Warn("count the day's template sends", "err", err)
		return time.Time{}, false
	}
	if n <= w.opt.Quota.ceiling(priorityOf(c.row.Kind)) {
		return time.Time{}, false
	}
	if err := w.cache.Decr(ctx, key); err != nil {
		w.log.Warn("give back a held push's count", "err", err)
	}
	return nextDay(now, w.opt.Location), true
}

// quotaPausedUntil reports whether sending is paused and until when. A
// cache failure does not pause: sends then meet 45009 again at worst.
func (w *Worker) quotaPausedUntil(ctx context.Context) (time.Time, bool) {
	v, err := w.cache.Get(ctx, quotaPauseKey)
	if err != nil {
		return time.Time{}, false
	}
	until, err := time.Parse(time.RFC3339, v)
	if err != nil || !w.now().Before(until) {
		return time.Time{}, false
	}
	return until, true
}

// nextDay is the next midnight in loc after now.
func nextDay(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()
}

// pauseForQuota pauses every instance until the next day and puts the
// push back in the queue for then.
func (w *Worker) pauseForQuota(ctx context.Context, c claimed, cause error) {
	now := w.now()
	until := nextDay(now, w.opt.Location)
	started, err := w.cache.SetNX(ctx, quotaPauseKey, until.Format(time.RFC3339), until.Sub(now))
	if err != nil {
		// Without the shared key each instance meets 45009 once per claim;
		// every such push is still put back until the next day.
		w.log.Error("share the push quota pause", "err", err)
	}
	w.metrics.paused.Set(1)
	if started {
		w.metrics.quotaPauses.Inc()
		w.log.Warn("WeChat template quota used up (errcode 45009): all instances pause sending until the next day",
			"paused_until", until, "push_id", c.row.ID)
	}
	w.holdToNextDay(ctx, c, until, "45009", cause)
}

// holdToNextDay puts the push back in the queue for until without counting
// the attempt: the push itself is fine.
func (w *Worker) holdToNextDay(ctx context.Context, c claimed, until time.Time, code string, cause error) {
	if w.release(ctx, c, map[string]any{
		"status": model.StatusQueued, "next_attempt_at": until, "last_error": errorText(cause),
		"attempts": c.row.Attempts - 1,
	}) {
		w.metrics.count(c.row.Channel, c.row.Kind, ResultRetry, code)
	}
}

// QuotaReport reads the day's count, the pushes due before midnight and
// the pushes held for the next day.
func (w *Worker) QuotaReport(ctx context.Context) (model.PushQuota, error) {
	now := w.now()
	plan := w.opt.Quota
	r := model.PushQuota{Day: officeDay(now, w.opt.Location), Daily: plan.Daily, LowWater: plan.LowWater,
		HeldByKind: map[string]int64{}, Holding: []string{}}
	v, err := w.cache.Get(ctx, quotaCountKey(r.Day))
	switch {
	case errors.Is(err, cache.ErrMiss):
	case err != nil:
		return model.PushQuota{}, fmt.Errorf("quota report: %w", err)
	default:
		if _, err := fmt.Sscan(v, &r.Sent); err != nil {
			return model.PushQuota{}, fmt.Errorf("quota report: count %q: %w", v, err)
		}
	}
	r.Remaining = max(plan.Daily-r.Sent, 0)
	db := w.db.WithContext(ctx).Model(&model.PushMessage{})
	var due int64
	if err := db.Where("status IN ? AND channel = ? AND next_attempt_at < ?",
		[]model.Status{model.StatusQueued, model.StatusSending}, model.ChannelWeChatTemplate, nextDay(now, w.opt.Location)).
		Count(&due).Error; err != nil {
		return model.PushQuota{}, fmt.Errorf("quota report: due pushes: %w", err)
	}
	r.Forecast = r.Sent + due
	var held []struct {
		Kind string
		N    int64
	}
	if err := w.db.WithContext(ctx).Model(&model.PushMessage{}).Select("kind, COUNT(*) AS n").
		Where("status = ? AND last_error = ?", model.StatusQueued, model.ReasonHeldForQuota).Group("kind").Scan(&held).Error; err != nil {
		return model.PushQuota{}, fmt.Errorf("quota report: held pushes: %w", err)
	}
	for _, h := range held {
		r.HeldByKind[h.Kind] = h.N
		r.Held += h.N
	}
	for kind := range w.opt.Templates {
		if r.Sent >= plan.ceiling(priorityOf(kind)) {
			r.Holding = append(r.Holding, kind)
		}
	}
	slices.Sort(r.Holding)
	if until, paused := w.quotaPausedUntil(ctx); paused {
		r.PausedUntil = &until
	}
	return r, nil
}
