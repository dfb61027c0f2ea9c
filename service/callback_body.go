package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// BindPlaintextBody ties a plaintext-mode callback's (timestamp, nonce) to
// the first body seen with them, across instances, for window (the
// callback replay window and a minute more). In plaintext mode WeChat's
// signature covers only token, timestamp and nonce, so a captured query
// string would otherwise carry any body: the same body again is WeChat's
// retry (ok, and answered as a duplicate by the event dedup), another
// body is a forgery (not ok).
func (s *Service) BindPlaintextBody(ctx context.Context, timestamp, nonce string, body []byte, window time.Duration) (bool, error) {
	query := sha256.Sum256([]byte(timestamp + "\n" + nonce))
	sum := sha256.Sum256(body)
	key, digest := "wx:plain:"+hex.EncodeToString(query[:16]), hex.EncodeToString(sum[:])
	won, err := s.cache.SetNX(ctx, key, digest, window+time.Minute)
	if err != nil {
		return false, fmt.Errorf("bind callback body: %w", unavailable(err))
	}
	if won {
		return true, nil
	}
	first, err := s.cache.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("bind callback body: %w", unavailable(err))
	}
	return first == digest, nil
}
