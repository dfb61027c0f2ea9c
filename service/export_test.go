package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"gorm.io/gorm"
)

// SetCallbackApplyHold shortens how long a claim of an unapplied change
// blocks other deliveries.
func (s *Service) SetCallbackApplyHold(d time.Duration) { s.callbackHold = d }

// ClaimWeChatEventAndDie claims e's dedup key as HandleWeChatEvent does
// and stops
// there, as an instance killed right after claiming. It reports whether
// the claim was won.
func (s *Service) ClaimWeChatEventAndDie(ctx context.Context, e WeChatEvent) bool {
	sum := sha256.Sum256([]byte(e.DedupKey()))
	key := hex.EncodeToString(sum[:])
	changes := s.weChatChange(e) != nil
	claim, err := s.claimCallback(ctx, key, "", changes)
	return err == nil && claim.won
}

// Enqueue queues pushes in one transaction, as a use case does.
func (s *Service) Enqueue(ctx context.Context, pushes ...Push) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return s.enqueue(tx, pushes...) })
}
