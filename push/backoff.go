package push

import "time"

// Backoff is the retry schedule of a push that failed for a reason that may
// pass (network, platform busy): attempt n waits Base·2^(n-1), capped at
// Max. The upper half of each wait is random, so the pushes that failed
// together during an outage do not all come back at the same moment.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff waits about 30s, 1m, 2m, 4m … up to an hour.
var DefaultBackoff = Backoff{Base: 30 * time.Second, Max: time.Hour}

// Delay is the wait after the attempt-th failed attempt (1-based); jitter
// in [0,1) picks the point in the upper half of the window.
func (b Backoff) Delay(attempt int, jitter float64) time.Duration {
	d := b.Max
	if attempt < 1 {
		attempt = 1
	}
	// Doubling past 2^30 overflows long before any sane Max; stop early.
	if attempt <= 31 {
		if exp := b.Base << (attempt - 1); exp > 0 && exp < b.Max {
			d = exp
		}
	}
	half := d / 2
	return d - half + time.Duration(jitter*float64(half))
}
