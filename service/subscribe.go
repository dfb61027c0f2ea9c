package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// SubscribeChange is one template of a subscribe-notice event: a popup
// answer or a change in WeChat's settings (Status "accept"/"reject"), or a
// notice's delivery report (MsgID, ErrorCode, ErrorStatus).
type SubscribeChange struct {
	TemplateID  string
	Status      string
	Scene       string
	MsgID       int64
	ErrorCode   int64
	ErrorStatus string
}

// The subscribe-notice events.
const (
	eventSubscribePopup  = "subscribe_msg_popup_event"
	eventSubscribeChange = "subscribe_msg_change_event"
	eventSubscribeSent   = "subscribe_msg_sent_event"
)

// subscribable: row is queued as a template message (the recipient can be
// reached on WeChat, reachability.go) and its kind may go as a subscribe
// notice.
func subscribable(row model.PushMessage, templates map[string]string) bool {
	_, ok := templates[row.Kind]
	return ok && row.Status == model.StatusQueued && row.Channel == model.ChannelWeChatTemplate
}

// routeWeChat picks each queued row's WeChat channel: a subscribe notice
// when its kind is configured for them and the recipient accepted that
// template, a template message otherwise. Read in tx, so the row is routed
// by the consent as it stands when the push is queued.
func (s *Service) routeWeChat(tx *gorm.DB, rows []model.PushMessage) error {
	var openids []string
	for _, r := range rows {
		if subscribable(r, s.opt.SubscribeTemplates) {
			openids = append(openids, r.OpenID)
		}
	}
	if len(openids) == 0 {
		return nil
	}
	var accepted []model.SubscribeConsent
	err := tx.Select("open_id", "template_id").
		Where("open_id IN ? AND template_id IN ? AND status = ?", slices.Compact(slices.Sorted(slices.Values(openids))),
			slices.Sorted(maps.Values(s.opt.SubscribeTemplates)), model.ConsentAccept).
		Find(&accepted).Error
	if err != nil {
		return fmt.Errorf("route pushes: %w", err)
	}
	yes := make(map[[2]string]bool, len(accepted))
	for _, c := range accepted {
		yes[[2]string{c.OpenID, c.TemplateID}] = true
	}
	for i := range rows {
		if id := s.opt.SubscribeTemplates[rows[i].Kind]; subscribable(rows[i], s.opt.SubscribeTemplates) && yes[[2]string{rows[i].OpenID, id}] {
			rows[i].Channel = model.ChannelWeChatSubscribe
		}
	}
	return nil
}

// recordConsents stores the user's answers of a popup or settings change.
// Each (user, template) row is upserted under a guard: an answer older
// than the one stored (WeChat's retries and events can arrive out of
// order) changes nothing.
func (s *Service) recordConsents(ctx context.Context, openid string, at time.Time, changes []SubscribeChange) error {
	now := s.Now()
	for _, c := range changes {
		if c.TemplateID == "" || len(c.TemplateID) > 128 || (c.Status != model.ConsentAccept && c.Status != model.ConsentReject) {
			continue // other answers ("ban", "filter") or malformed items: nothing to record
		}
		row := model.SubscribeConsent{OpenID: openid, TemplateID: c.TemplateID, Status: c.Status,
			Scene: truncateBytes(c.Scene, 16), ChangedAt: at, UpdatedAt: now}
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
			if res.Error != nil || res.RowsAffected == 1 {
				return res.Error
			}
			return tx.Model(&model.SubscribeConsent{}).
				Where("open_id = ? AND template_id = ? AND changed_at <= ?", openid, c.TemplateID, at).
				Updates(map[string]any{"status": c.Status, "scene": row.Scene, "changed_at": at, "updated_at": now}).Error
		})
		if err != nil {
			return fmt.Errorf("record subscribe consent: %w", err)
		}
	}
	return nil
}

// recordSubscribeDeliveries applies subscribe_msg_sent_event like
// TEMPLATESENDJOBFINISH: ErrorCode 0 marks the notice's push delivered, a
// failure marks it failed with the platform's status; 43101 (the user
// refused the template since) also records the refusal.
func (s *Service) recordSubscribeDeliveries(ctx context.Context, openid string, at time.Time, items []SubscribeChange) error {
	for _, it := range items {
		status := DeliverySuccess
		if it.ErrorCode != 0 || (it.ErrorStatus != "" && it.ErrorStatus != DeliverySuccess) {
			status = it.ErrorStatus
			if !strings.HasPrefix(status, deliveryFailedPrefix) {
				status = deliveryFailedPrefix + ":" + status
			}
		}
		if it.ErrorCode == subscribeRefusedCode {
			if err := s.recordConsents(ctx, openid, at, []SubscribeChange{{TemplateID: it.TemplateID, Status: model.ConsentReject}}); err != nil {
				return err
			}
		}
		var refused *model.Error
		if err := s.RecordPushDelivery(ctx, it.MsgID, status); errors.As(err, &refused) {
			s.log.Info("subscribe notice delivery not applied", "msgid", it.MsgID, "code", refused.Code)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// subscribeRefusedCode is the platform's errcode for a notice the user
// did not accept.
const subscribeRefusedCode = 43101

// SubscribeOffer is what the H5 pages offer to subscribe to: the
// subscribe-notice template ids of the configured kinds
// (wx-open-subscribe's template attribute).
type SubscribeOffer struct {
	TemplateIDs []string `json:"template_ids"`
	// Sandbox: the local WeChat sandbox plays the popup (no JS-SDK).
	Sandbox bool `json:"sandbox"`
}

// SubscribeOffer returns the templates the user may subscribe to.
func (s *Service) SubscribeOffer() SubscribeOffer {
	ids := slices.Compact(slices.Sorted(maps.Values(s.opt.SubscribeTemplates)))
	if ids == nil {
		ids = []string{}
	}
	return SubscribeOffer{TemplateIDs: ids, Sandbox: s.opt.SandboxWeChat}
}
