package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"zsjc/model"
)

// Party binding limits, per BindWindow. Only mismatches count: people who
// bind successfully are never slowed down, however many share an address.
// Guessing is limited per user, per case number and IP (a guesser with many
// accounts behind one address), and per IP with a ceiling high enough for
// carrier NAT and office Wi-Fi.
const (
	BindAttempts  = 5   // mismatches per user, and per case number and IP
	BindIPCeiling = 200 // mismatches per IP, whatever the case
	BindWindow    = time.Hour
)

// bindAttemptHold bounds how long one user's attempt holds the user's
// turn (see bindGuard); an attempt is one database query. A second attempt
// of the same user (a double tap) waits for the turn up to bindTurnWait,
// looking again every bindTurnPoll.
const (
	bindAttemptHold = 10 * time.Second
	bindTurnWait    = 3 * time.Second
	bindTurnPoll    = 20 * time.Millisecond
)

var errBindBusy = model.NewError(model.KindTooMany, "attempt_in_progress", "上一次提交正在处理，请稍候再试")

// bindCounter is one mismatch counter and its limit.
type bindCounter struct {
	key   string
	limit int64
}

// bindGuard is one party binding attempt's hold on the limits.
type bindGuard struct {
	s        *Service
	counters []bindCounter
	turn     string // the user's turn key and the token holding it
	token    string
}

// guardBindAttempt refuses the attempt when a mismatch limit is reached
// and otherwise takes the user's turn: one attempt per user at a time, so
// a user cannot race past the per-user limit with parallel requests.
// The caller counts a mismatch and releases the turn.
func (s *Service) guardBindAttempt(ctx context.Context, openid, caseNo, ip string) (*bindGuard, error) {
	sum := sha256.Sum256([]byte(caseNo))
	g := &bindGuard{s: s, turn: "bind:turn:" + openid, counters: []bindCounter{
		{"bind:oid:" + openid, BindAttempts},
		{"bind:cip:" + hex.EncodeToString(sum[:8]) + ":" + ip, BindAttempts},
		{"bind:ip:" + ip, BindIPCeiling},
	}}
	var b [12]byte
	_, _ = rand.Read(b[:])
	g.token = hex.EncodeToString(b[:])
	if err := g.takeTurn(ctx); err != nil {
		return nil, err
	}
	keys := make([]string, len(g.counters))
	for i, c := range g.counters {
		keys[i] = c.key
	}
	counts, err := s.cache.GetMulti(ctx, keys...)
	if err != nil {
		g.release(ctx)
		return nil, fmt.Errorf("read binding attempts: %w", unavailable(err))
	}
	for _, c := range g.counters {
		if n, _ := strconv.ParseInt(counts[c.key], 10, 64); n >= c.limit {
			g.release(ctx)
			return nil, s.errTooManyAttempts(ctx, c.key)
		}
	}
	return g, nil
}

// takeTurn waits for the user's turn.
func (g *bindGuard) takeTurn(ctx context.Context) error {
	deadline := time.Now().Add(bindTurnWait)
	for {
		won, err := g.s.cache.SetNX(ctx, g.turn, g.token, bindAttemptHold)
		if err != nil {
			return fmt.Errorf("take binding turn: %w", unavailable(err))
		}
		if won {
			return nil
		}
		if time.Now().After(deadline) {
			return errBindBusy
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(bindTurnPoll):
		}
	}
}

// mismatch counts a failed match against every counter.
func (g *bindGuard) mismatch(ctx context.Context) error {
	for _, c := range g.counters {
		if _, err := g.s.cache.Incr(ctx, c.key, BindWindow); err != nil {
			return fmt.Errorf("count binding mismatch: %w", unavailable(err))
		}
	}
	return nil
}

// release gives the user's turn back.
func (g *bindGuard) release(ctx context.Context) {
	if _, err := g.s.cache.DelIfEqual(context.WithoutCancel(ctx), g.turn, g.token); err != nil {
		g.s.log.Warn("binding turn not released; it expires by itself", "err", err)
	}
}

// errTooManyAttempts says when the counter at key lets attempts in again.
func (s *Service) errTooManyAttempts(ctx context.Context, key string) error {
	ttl, err := s.cache.TTL(ctx, key)
	if err != nil || ttl < 0 {
		ttl = BindWindow
	}
	// Round up so that "after HH:MM" is never too early.
	until := s.Now().Add(ttl + time.Minute - 1).Truncate(time.Minute).In(s.opt.Location)
	return model.NewError(model.KindTooMany, "too_many_attempts",
		fmt.Sprintf("尝试次数过多，请于 %s 后再试", until.Format("15:04")))
}
