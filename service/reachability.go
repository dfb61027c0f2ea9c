package service

import (
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// A follower whose last known state is unfollowed — an unsubscribe event,
// or the platform answering a push with 43004 (the push worker marks it) —
// cannot receive template messages. Their pushes are recorded as failed
// with this reason instead of queued, so staff see who was not reached
// (and a later fallback channel can pick them up). A follower whose state
// is unknown (never seen following or leaving) is still pushed.
const reasonUnfollowed = "用户已取消关注公众号，未发送"

// unfollowed returns which of openids are known to have unfollowed.
func unfollowed(tx *gorm.DB, openids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(openids) == 0 {
		return out, nil
	}
	var gone []string
	err := tx.Model(&model.WeChatUser{}).
		Where("open_id IN ? AND subscribed = ? AND unsubscribed_at IS NOT NULL", openids, false).
		Pluck("open_id", &gone).Error
	if err != nil {
		return nil, fmt.Errorf("follow state of %d recipients: %w", len(openids), err)
	}
	for _, oid := range gone {
		out[oid] = true
	}
	return out, nil
}

// markUnreachable flags the push items whose recipient is known to have
// unfollowed.
func markUnreachable(db *gorm.DB, items []PushItem) error {
	openids := make([]string, len(items))
	for i, it := range items {
		openids[i] = it.OpenID
	}
	gone, err := unfollowed(db, openids)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].RecipientUnreachable = gone[items[i].OpenID]
	}
	return nil
}
