package model

import "time"

// The account's daily quota of template messages (100,000 by default) is
// planned fleet-wide: the push worker counts the sends of each office day
// under PushQuotaCountKey and, as the day's remainder runs low, keeps it
// for the pushes that matter most (PushKindPriority), holding the others
// to the next day with ReasonHeldForQuota. When WeChat answers 45009 all
// the same, every instance pauses until the next day (PushQuotaPauseKey).
// docs/design.md §5.

// QuotaPlan is the day's budget of template sends.
type QuotaPlan struct {
	// Daily is the account's quota of template sends a day.
	Daily int64 `json:"daily"`
	// LowWater is the share of Daily from which the rest is kept for
	// higher priorities: with LowWater left, reminders wait for the next
	// day; with half of it left, case progress too; the results of a
	// user's own request go out until the quota is used up.
	LowWater float64 `json:"low_water"`
}

// DefaultQuotaPlan is the platform's default quota and a 10% reserve.
var DefaultQuotaPlan = QuotaPlan{Daily: 100000, LowWater: 0.1}

// WithDefaults fills what is unset or out of range.
func (q QuotaPlan) WithDefaults() QuotaPlan {
	if q.Daily <= 0 {
		q.Daily = DefaultQuotaPlan.Daily
	}
	if q.LowWater <= 0 || q.LowWater >= 1 {
		q.LowWater = DefaultQuotaPlan.LowWater
	}
	return q
}

// PushKindPriority ranks the push kinds for the end of the day's quota, 0
// first: the results of a user's own request, then case progress, then
// reminders. A kind not listed ranks with case progress.
var PushKindPriority = map[string]int{
	PushBindingResult: 0,
	PushReviewResult:  0,
	PushMeetingResult: 0,
	PushEfileResult:   0,
	PushComplaintStep: 0,
	PushCaseEvent:     1,
	PushReminder:      2,
	PushEfileExpiring: 2,
	PushRatingInvite:  2,
}

const (
	defaultPushPriority = 1
	lowestPushPriority  = 2
)

// PushPriority is the rank of kind in PushKindPriority.
func PushPriority(kind string) int {
	if p, ok := PushKindPriority[kind]; ok {
		return p
	}
	return defaultPushPriority
}

// Ceiling is the day's count of sends after which a push of kind waits for
// the next day: the quota less a reserve that grows with the kind's rank.
func (q QuotaPlan) Ceiling(kind string) int64 {
	reserve := float64(q.Daily) * q.LowWater * float64(PushPriority(kind)) / lowestPushPriority
	return q.Daily - int64(reserve)
}

// QuotaCounted reports whether sends on channel count against the template
// quota.
func QuotaCounted(channel string) bool { return channel == ChannelWeChatTemplate }

// PushQuotaCountKey is the cache key counting the template sends of an
// office day ("2026-12-02").
func PushQuotaCountKey(day string) string { return "push:quota_sent:" + day }

// PushQuotaPauseKey holds, fleet-wide, the time (RFC 3339) until which
// nothing is sent because WeChat answered 45009.
const PushQuotaPauseKey = "push:quota_paused_until"

// OfficeDay is the date of t in loc.
func OfficeDay(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// NextOfficeDay is the next midnight in loc after t.
func NextOfficeDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()
}

// ReasonHeldForQuota is the last error of a push the worker holds for the
// next day to keep the rest of the day's template quota for pushes of a
// higher priority.
const ReasonHeldForQuota = "held for the next day: the rest of today's template quota is kept for higher-priority pushes"
