package handler_test

import (
	"testing"
	"time"
)

// interleave runs each of runs for indexes 0..b.N-1 in alternating chunks,
// rotating who goes first, so that load from other processes hits them
// alike, and returns the time each spent.
func interleave(b *testing.B, runs ...func(i int)) []time.Duration {
	const chunk = 250
	spent := make([]time.Duration, len(runs))
	b.ResetTimer()
	for start, round := 0, 0; start < b.N; start, round = start+chunk, round+1 {
		end := min(start+chunk, b.N)
		for j := range runs {
			k := (j + round) % len(runs)
			t0 := time.Now()
			for i := start; i < end; i++ {
				runs[k](i)
			}
			spent[k] += time.Since(t0)
		}
	}
	return spent
}
