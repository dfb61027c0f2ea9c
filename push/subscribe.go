package push

import (
	"context"
	"fmt"

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

// renderError is a row that cannot be shown: the push fails at once.
type renderError struct{ err error }

func (e *renderError) Error() string { return "render: " + e.err.Error() }
func (e *renderError) Unwrap() error { return e.err }

// sendTemplate sends row as a template message (channel wechat_template).
func (w *Worker) sendTemplate(ctx context.Context, row model.PushMessage) (int64, error) {
	msg, err := w.render.render(row)
	if err != nil {
		return 0, &renderError{err}
	}
	return w.sender.SendTemplate(ctx, msg)
}

// subscribeSender sends rows of the channel wechat_subscribe as subscribe
// notices through POST /cgi-bin/message/subscribe/bizsend. The platform
// has no idempotency key for these, so a notice whose send outlived its
// lease (the instance died between WeChat's answer and its commit) may be
// shown twice; the outbox still queues it once (dedup key) and retries it
// under the lease like a template message.
type subscribeSender struct {
	render renderer
	api    SubscribeSender
}

var errNoSubscribeSender = fmt.Errorf("this instance has no subscribe-notice sender")

// Send renders and sends one row.
func (s subscribeSender) Send(ctx context.Context, row model.PushMessage) (int64, error) {
	if s.api == nil {
		return 0, &renderError{errNoSubscribeSender}
	}
	msg, err := s.render.subscribeMessage(row)
	if err != nil {
		return 0, &renderError{err}
	}
	return s.api.SendSubscribe(ctx, msg)
}

// subscribeRefused handles 43101: the user refused the template (or its
// consent lapsed) since the push was routed. The consent is recorded as
// refused, so later pushes go as template messages, and this push is put
// back at once as a template message: the user still follows the account.
// So is a notice whose kind is no longer configured for subscribe notices.
func (w *Worker) subscribeRefused(ctx context.Context, c claimed, cause error) {
	now := w.now()
	if t, ok := w.render.templates[c.row.Kind]; ok && t.Subscribe != nil {
		err := w.db.WithContext(ctx).Model(&model.SubscribeConsent{}).
			Where("open_id = ? AND template_id = ? AND status = ?", c.row.OpenID, t.Subscribe.ID, model.ConsentAccept).
			Updates(map[string]any{"status": model.ConsentReject, "updated_at": now}).Error
		if err != nil {
			w.log.Warn("record refused subscribe notice", "err", err)
		}
	}
	if w.release(ctx, c, map[string]any{
		"status": model.StatusQueued, "channel": model.ChannelWeChatTemplate, "next_attempt_at": now,
		"last_error": errorText(cause),
	}) {
		w.metrics.count(c.row.Kind, ResultRetry, fmt.Sprint(ErrcodeSubscribeRefused))
	}
}
