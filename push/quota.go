package push

import (
	"context"
	"time"

	"zsjc/model"
)

// quotaPauseKey holds, fleet-wide, the time (RFC 3339) until which nothing
// is sent because WeChat answered 45009: the account's daily quota of
// template messages is used up until the platform's day ends.
const quotaPauseKey = "push:quota_paused_until"

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
// push back in the queue for then, without counting the attempt: the
// push itself is fine.
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
	if w.release(ctx, c, map[string]any{
		"status": model.StatusQueued, "next_attempt_at": until, "last_error": errorText(cause),
		"attempts": c.row.Attempts - 1,
	}) {
		w.metrics.count(c.row.Kind, ResultRetry, "45009")
	}
}
