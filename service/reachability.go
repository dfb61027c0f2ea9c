package service

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// Routing (docs/design.md §3, PushMessage): a push goes on WeChat unless
// its recipient is known to have unfollowed the account — an unsubscribe
// event, or the platform answering a push with 43004 (the push worker marks
// it). Such a recipient gets an SMS when they gave a phone number and
// agreed to SMS notices (a lawyer's profile phone counts only with that
// agreement too) and SMS is configured for the push's kind; otherwise the
// push is recorded unreachable with this reason, so staff see who was not
// reached. A recipient whose follow state is unknown is pushed on WeChat.
const reasonUnreachable = "用户已取消关注公众号，且未留可接收短信的手机号，未发送"

// reach is what routing knows of a recipient.
type reach struct {
	// unfollowed: their last known state is unfollowed.
	unfollowed bool
	// sms: they gave a phone number and agreed to SMS notices.
	sms bool
}

// routeOf is the channel of a push of kind to a recipient, "" for none.
func routeOf(r reach, kind string, smsKinds map[string]bool) string {
	switch {
	case !r.unfollowed:
		return model.ChannelWeChatTemplate
	case r.sms && smsKinds[kind]:
		return model.ChannelSMS
	}
	return ""
}

// reachOf reads what routing needs of the recipients with openids. Only
// recipients known to have unfollowed are asked about SMS, and only when
// SMS is configured: the usual push costs one indexed read.
func (s *Service) reachOf(tx *gorm.DB, openids []string) (map[string]reach, error) {
	out := map[string]reach{}
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
		out[oid] = reach{unfollowed: true}
	}
	if len(gone) == 0 || len(s.opt.SMSKinds) == 0 {
		return out, nil
	}
	var texted []string
	err = tx.Table("we_chat_users").Select("we_chat_users.open_id").
		Joins("LEFT JOIN lawyer_profiles ON lawyer_profiles.user_id = we_chat_users.id").
		Where("we_chat_users.open_id IN ? AND we_chat_users.sms_consent = ?", gone, true).
		Where("we_chat_users.phone_enc IS NOT NULL OR lawyer_profiles.phone_enc IS NOT NULL").
		Pluck("we_chat_users.open_id", &texted).Error
	if err != nil {
		return nil, fmt.Errorf("SMS reach of %d recipients: %w", len(gone), err)
	}
	for _, oid := range texted {
		out[oid] = reach{unfollowed: true, sms: true}
	}
	return out, nil
}

// FallbackChannel routes a push again whose recipient turned out not to
// be reachable on its channel (the worker has just recorded a 43004, or the
// SMS sender found no phone): the channel it should go on now, or "" for
// none. The push worker calls it.
func (s *Service) FallbackChannel(ctx context.Context, row model.PushMessage) (string, error) {
	r, err := s.reachOf(s.db.WithContext(ctx), []string{row.OpenID})
	if err != nil {
		return "", fmt.Errorf("fallback channel of push %d: %w", row.ID, err)
	}
	return routeOf(r[row.OpenID], row.Kind, s.opt.SMSKinds), nil
}

// markUnreachable flags the push items whose recipient is known to have
// unfollowed.
func (s *Service) markUnreachable(db *gorm.DB, items []PushItem) error {
	openids := make([]string, len(items))
	for i, it := range items {
		openids[i] = it.OpenID
	}
	r, err := s.reachOf(db, openids)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].RecipientUnreachable = r[items[i].OpenID].unfollowed
	}
	return nil
}
