package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/wechat"
)

// SubscribeSender sends one subscribe notice (订阅通知) and returns
// WeChat's msgid; *wechat.Client is one.
type SubscribeSender interface {
	SendSubscribe(ctx context.Context, m wechat.SubscribeMessage) (int64, error)
}

// ErrcodeSubscribeRefused: the user has not accepted (or has since
// refused) the notice's template.
const ErrcodeSubscribeRefused = wechat.ErrCodeSubscribeRefused

// subscribeSender is the wechat_subscribe channel: rows sent as subscribe
// notices through POST /cgi-bin/message/subscribe/bizsend. The platform
// has no idempotency key for these, so a notice whose send outlived its
// lease (the instance died between WeChat's answer and its commit) may be
// shown twice; the outbox still queues it once (dedup key) and retries it
// under the lease like a template message.
type subscribeSender struct {
	render renderer
	api    SubscribeSender
	db     *gorm.DB
	log    *slog.Logger
}

var errNoSubscribeSender = errors.New("this instance has no subscribe-notice sender")

// Send renders and sends one row. A user who refused the template (43101)
// since the push was routed — or a kind no longer configured for subscribe
// notices — has no recipient on this channel: the refusal is recorded, so
// later pushes go as template messages, and the worker routes this one
// again as a template message.
func (s subscribeSender) Send(ctx context.Context, row *model.PushMessage) (Receipt, error) {
	if s.api == nil {
		return Receipt{}, &SendError{Class: NoRecipient, Code: "subscribe", Err: errNoSubscribeSender, Next: model.ChannelWeChatTemplate}
	}
	msg, err := s.render.subscribeMessage(*row)
	if errors.Is(err, errNoSubscribeTemplate) {
		return Receipt{}, &SendError{Class: NoRecipient, Code: "subscribe", Err: err, Next: model.ChannelWeChatTemplate}
	}
	if err != nil {
		return Receipt{}, &SendError{Class: Final, Code: "render", Err: err}
	}
	msgID, err := s.api.SendSubscribe(ctx, msg)
	var coded interface{ ErrCode() int }
	if errors.As(err, &coded) && coded.ErrCode() == ErrcodeSubscribeRefused {
		s.recordRefusal(ctx, row, msg.TemplateID)
		return Receipt{}, &SendError{Class: NoRecipient, Code: fmt.Sprint(ErrcodeSubscribeRefused), Err: err, Next: model.ChannelWeChatTemplate}
	}
	if err != nil {
		return Receipt{}, classifyWeChat(err)
	}
	return Receipt{WeChatMsgID: msgID}, nil
}

// recordRefusal marks the user's consent to templateID refused.
func (s subscribeSender) recordRefusal(ctx context.Context, row *model.PushMessage, templateID string) {
	err := s.db.WithContext(ctx).Model(&model.SubscribeConsent{}).
		Where("open_id = ? AND template_id = ? AND status = ?", row.OpenID, templateID, model.ConsentAccept).
		Updates(map[string]any{"status": model.ConsentReject, "updated_at": time.Now()}).Error
	if err != nil {
		s.log.Warn("record refused subscribe notice", "push_id", row.ID, "err", err)
	}
}
