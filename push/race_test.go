//go:build race

package push

// raceScale divides the size of the drain runs under the race detector.
const raceScale = 10
