package push

import (
	"context"
	"errors"
	"time"

	"zsjc/model"
)

// Quota planning and the 45009 pause (model/pushquota.go tells the plan).

// errQuotaReserved is the last error of a push held for the next day.
var errQuotaReserved = errors.New(model.ReasonHeldForQuota)

// quotaCountTTL outlives the day it counts, in any time zone.
const quotaCountTTL = 48 * time.Hour

// quotaHold counts a send about to be made against the day's quota and
// reports whether the push must wait for the next day instead (the count
// given back). A cache failure holds nothing: the platform's 45009 is the
// backstop.
func (w *Worker) quotaHold(ctx context.Context, c claimed) (time.Time, bool) {
	if !model.QuotaCounted(c.row.Channel) {
		return time.Time{}, false
	}
	now := w.now()
	key := model.PushQuotaCountKey(model.OfficeDay(now, w.opt.Location))
	n, err := w.cache.Incr(ctx, key, quotaCountTTL)
	if err != nil {
		w.log.Warn("count the day's template sends", "err", err)
		return time.Time{}, false
	}
	if n <= w.opt.Quota.Ceiling(c.row.Kind) {
		return time.Time{}, false
	}
	if err := w.cache.Decr(ctx, key); err != nil {
		w.log.Warn("give back a held push's count", "err", err)
	}
	return model.NextOfficeDay(now, w.opt.Location), true
}

// quotaPausedUntil reports whether sending is paused and until when. A
// cache failure does not pause: sends then meet 45009 again at worst.
func (w *Worker) quotaPausedUntil(ctx context.Context) (time.Time, bool) {
	v, err := w.cache.Get(ctx, model.PushQuotaPauseKey)
	if err != nil {
		return time.Time{}, false
	}
	until, err := time.Parse(time.RFC3339, v)
	if err != nil || !w.now().Before(until) {
		return time.Time{}, false
	}
	return until, true
}

// pauseForQuota pauses every instance until the next day and puts the
// push back in the queue for then.
func (w *Worker) pauseForQuota(ctx context.Context, c claimed, cause error) {
	now := w.now()
	until := model.NextOfficeDay(now, w.opt.Location)
	started, err := w.cache.SetNX(ctx, model.PushQuotaPauseKey, until.Format(time.RFC3339), until.Sub(now))
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
