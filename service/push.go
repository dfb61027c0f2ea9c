package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
)

// Delivery reports of TEMPLATESENDJOBFINISH: "success", or "failed:user
// block" / "failed: system failed" (the platform's own spelling varies).
const (
	DeliverySuccess      = "success"
	deliveryFailedPrefix = "failed"
)

var errUnknownDelivery = model.NewError(model.KindInvalid, "unknown_delivery_status", "无法识别的送达状态")

// lastErrorSize is the width of model.PushMessage.LastError.
const lastErrorSize = 512

// RecordPushDelivery applies WeChat's delivery report (TEMPLATESENDJOBFINISH)
// for the template message with msgid wechatMsgID: "success" marks the push
// delivered, a "failed…" status marks it failed with that text. A repeated
// report of the same outcome is accepted silently (WeChat resends callbacks);
// a msgid we never recorded is model.ErrNotFound.
func (s *Service) RecordPushDelivery(ctx context.Context, wechatMsgID int64, status string) error {
	status = strings.TrimSpace(status)
	updates := map[string]any{"updated_at": s.Now()}
	var to model.Status
	switch {
	case status == DeliverySuccess:
		to = model.StatusDelivered
		updates["delivered_at"] = s.Now()
	case strings.HasPrefix(status, deliveryFailedPrefix):
		to = model.StatusFailed
		updates["last_error"] = truncateBytes(status, lastErrorSize)
	default:
		return fmt.Errorf("push delivery of msgid %d: %q: %w", wechatMsgID, status, errUnknownDelivery)
	}
	if wechatMsgID == 0 {
		return fmt.Errorf("push delivery of msgid 0: %w", model.ErrNotFound)
	}
	updates["status"] = to
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&model.PushMessage{}).
			Where("we_chat_msg_id = ? AND status = ?", wechatMsgID, model.StatusSent).
			Updates(updates)
		if res.Error != nil {
			return fmt.Errorf("push delivery of msgid %d: %w", wechatMsgID, res.Error)
		}
		if res.RowsAffected > 0 {
			return nil
		}
		var row model.PushMessage
		if err := tx.Select("id", "status").Where("we_chat_msg_id = ?", wechatMsgID).Take(&row).Error; err != nil {
			return fmt.Errorf("push delivery of msgid %d: %w", wechatMsgID, notFoundIf(err))
		}
		if row.Status == to {
			return nil
		}
		return fmt.Errorf("push delivery of msgid %d: %w", wechatMsgID, model.StateConflict("推送消息", row.Status))
	})
	if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	// WeChat can report a delivery before the worker has committed the
	// msgid it was answered with. Keep the report for the worker, which
	// applies it right after recording the send (ApplyEarlyDelivery).
	if cerr := s.cache.Set(ctx, earlyDeliveryKey(wechatMsgID), status, earlyDeliveryTTL); cerr != nil {
		return fmt.Errorf("keep early delivery report of msgid %d: %w", wechatMsgID, unavailable(cerr))
	}
	return err
}

// earlyDeliveryTTL is how long a report that arrived before its push was
// recorded waits for it.
const earlyDeliveryTTL = 10 * time.Minute

func earlyDeliveryKey(msgID int64) string { return "push:early:" + strconv.FormatInt(msgID, 10) }

// ApplyEarlyDelivery records a delivery report that arrived before the
// push with this msgid was marked sent; the push worker calls it after
// marking a push sent. Nothing waiting is the usual case.
func (s *Service) ApplyEarlyDelivery(ctx context.Context, wechatMsgID int64) error {
	status, err := s.cache.Get(ctx, earlyDeliveryKey(wechatMsgID))
	if errors.Is(err, cache.ErrMiss) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("early delivery report of msgid %d: %w", wechatMsgID, err)
	}
	if err := s.RecordPushDelivery(ctx, wechatMsgID, status); err != nil {
		return err
	}
	return s.cache.Del(ctx, earlyDeliveryKey(wechatMsgID))
}

// truncateBytes cuts s to at most n bytes without splitting a character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if i > n {
			break
		}
		cut = i
	}
	return s[:cut]
}

// PushItem is an outbox row as the staff console shows it: the values as
// an object and the status in words.
type PushItem struct {
	model.PushMessage
	Data        map[string]string `json:"data"`
	StatusLabel string            `json:"status_label"`
	// Cause is the event the push tells of ("event:42", "binding:7:approved");
	// CauseLabel, KindLabel and ErrorLabel put it, the kind and the last
	// error in words.
	Cause      string `json:"cause"`
	CauseLabel string `json:"cause_label"`
	KindLabel  string `json:"kind_label"`
	ErrorLabel string `json:"error_label,omitempty"`
	// Recipient is who the push goes to, masked with role ("律师 王**").
	Recipient string `json:"recipient,omitempty"`
	// DedupKey shadows the row's and stays empty: it ends in the
	// recipient's openid, which the console does not show.
	DedupKey string `json:"dedup_key,omitempty"`
	// RecipientUnreachable: the recipient's last known state is
	// unfollowed, so WeChat cannot deliver to them.
	RecipientUnreachable bool `json:"recipient_unreachable"`
}

func pushItem(row model.PushMessage) PushItem {
	cause := strings.TrimSuffix(row.DedupKey, ":"+row.OpenID)
	item := PushItem{PushMessage: row, StatusLabel: row.Status.Label(), Cause: cause, CauseLabel: causeLabel(cause),
		KindLabel: PushKindLabels[row.Kind], ErrorLabel: failureLabel(row.LastError)}
	// Rows are written by enqueue from a map of strings; anything else
	// shows as no values rather than failing the whole list.
	_ = json.Unmarshal([]byte(row.Data), &item.Data)
	return item
}

// ListPushes returns the outbox rows of the actor's scope, newest first,
// all of them or those in status.
func (s *Service) ListPushes(ctx context.Context, a Actor, status string, p Paging) (Page[PushItem], error) {
	q := a.Scope.where(s.db.WithContext(ctx).Model(&model.PushMessage{}), "unit_id")
	if status != "" {
		st := model.Status(status)
		if _, known := model.PushMachine[st]; !known && st != model.StatusDelivered {
			return Page[PushItem]{}, model.Invalid(map[string]string{"status": "状态须为 queued、sending、sent、delivered、failed 或 unreachable"})
		}
		q = q.Where("status = ?", st)
	}
	page, err := pageOf[model.PushMessage](q, p, "id DESC", "pushes")
	if err != nil {
		return Page[PushItem]{}, err
	}
	recipients, err := s.pushRecipients(ctx, page.Items)
	if err != nil {
		return Page[PushItem]{}, err
	}
	items := make([]PushItem, len(page.Items))
	for i, r := range page.Items {
		items[i] = pushItem(r)
		items[i].Recipient = recipients[r.OpenID]
	}
	if err := s.markUnreachable(s.db.WithContext(ctx), items); err != nil {
		return Page[PushItem]{}, err
	}
	return Page[PushItem]{Items: items, Page: page.Page, PageSize: page.PageSize, Total: page.Total}, nil
}

// retryable are the states staff may send a push again from.
var retryable = []model.Status{model.StatusFailed, model.StatusUnreachable}

// RetryPush puts a failed or unreachable push back in the queue for an
// immediate send with a fresh attempt budget. Its client_msg_id is
// unchanged, so a message WeChat did show after all is not shown twice; an
// unreachable push goes to WeChat and, if WeChat still cannot reach the
// user, is routed again (an SMS if they have since given a phone number).
func (s *Service) RetryPush(ctx context.Context, a Actor, id uint64) (PushItem, error) {
	var row model.PushMessage
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.PushMessage{}, id, a); err != nil {
			return err
		}
		if err := tx.Take(&row, id).Error; err != nil {
			return notFoundIf(err)
		}
		channel := row.Channel
		if row.Status == model.StatusUnreachable {
			reaches, err := s.reachOf(tx, []string{row.OpenID})
			if err != nil {
				return err
			}
			if ch := routeOf(reaches[row.OpenID], row.Kind, s.opt.SMSKinds); ch != "" {
				channel = ch
			}
		}
		now := s.Now()
		res := tx.Model(&model.PushMessage{}).
			Where("id = ? AND status IN ?", id, retryable).
			Updates(map[string]any{
				"status": model.StatusQueued, "channel": channel, "attempts": 0, "next_attempt_at": now,
				"lease_owner": "", "lease_until": nil, "last_error": "", "updated_at": now,
			})
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Take(&row, id).Error; err != nil {
			return notFoundIf(err)
		}
		if res.RowsAffected == 0 {
			return model.StateConflict("推送消息", row.Status)
		}
		return s.audit(tx, a, "push.retry", fmt.Sprintf("push:%d", id), row.Kind)
	})
	if err != nil {
		return PushItem{}, fmt.Errorf("retry push %d: %w", id, err)
	}
	return pushItem(row), nil
}
