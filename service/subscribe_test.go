package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

func subscribeEvent(openid, event string, at time.Time, items ...service.SubscribeChange) service.WeChatEvent {
	return service.WeChatEvent{OpenID: openid, CreateTime: at.Unix(), MsgType: "event", Event: event, Subscriptions: items}
}

// TestSubscribeConsentKeepsTheNewestAnswer: popups and settings changes
// for one user and template arriving concurrently and out of order leave
// the answer of the newest event; an older event delivered last changes
// nothing.
func TestSubscribeConsentKeepsTheNewestAnswer(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(t)}, service.Options{})
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			answer, event := model.ConsentAccept, "subscribe_msg_popup_event"
			if i%2 == 1 {
				answer, event = model.ConsentReject, "subscribe_msg_change_event"
			}
			e := subscribeEvent("o-c", event, t0.Add(time.Duration(i)*time.Second),
				service.SubscribeChange{TemplateID: "SUB1", Status: answer, Scene: "2"})
			if _, err := svc.HandleWeChatEvent(ctx, e); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	status := func() string {
		var rows []model.SubscribeConsent
		if err := db.Where("open_id = ?", "o-c").Find(&rows).Error; err != nil || len(rows) != 1 {
			t.Fatalf("consents %+v, %v", rows, err)
		}
		return rows[0].Status
	}
	if got := status(); got != model.ConsentReject { // event 7, the newest, refused
		t.Fatalf("after concurrent answers: %s, want the newest (reject)", got)
	}
	late := subscribeEvent("o-c", "subscribe_msg_popup_event", t0.Add(-time.Minute),
		service.SubscribeChange{TemplateID: "SUB1", Status: model.ConsentAccept})
	if _, err := svc.HandleWeChatEvent(ctx, late); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != model.ConsentReject {
		t.Fatalf("an older popup delivered late changed the answer to %s", got)
	}
	newer := subscribeEvent("o-c", "subscribe_msg_popup_event", t0.Add(time.Minute),
		service.SubscribeChange{TemplateID: "SUB1", Status: model.ConsentAccept}, service.SubscribeChange{TemplateID: "SUB2", Status: "ban"})
	if _, err := svc.HandleWeChatEvent(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != model.ConsentAccept {
		t.Fatalf("a newer accept left %s", got)
	}
}

// TestPushesGoAsSubscribeNoticesOnlyToUsersWhoAccepted: a kind configured
// for subscribe notices goes as one to a user who accepted its template;
// to anyone else, and for other kinds, as a template message.
func TestPushesGoAsSubscribeNoticesOnlyToUsersWhoAccepted(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(t)},
		service.Options{SubscribeTemplates: map[string]string{model.PushCaseEvent: "SUB1"}})
	at := time.Now()
	for openid, answer := range map[string]string{"o-yes": model.ConsentAccept, "o-no": model.ConsentReject} {
		e := subscribeEvent(openid, "subscribe_msg_popup_event", at, service.SubscribeChange{TemplateID: "SUB1", Status: answer})
		if _, err := svc.HandleWeChatEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var pushes []service.Push
	for _, openid := range []string{"o-yes", "o-no", "o-never"} {
		pushes = append(pushes,
			service.Push{OpenID: openid, Kind: model.PushCaseEvent, Cause: "event:1"},
			service.Push{OpenID: openid, Kind: model.PushBindingResult, Cause: "binding:1"})
	}
	if err := svc.Enqueue(ctx, pushes...); err != nil {
		t.Fatal(err)
	}
	var rows []model.PushMessage
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.OpenID+" "+r.Kind] = r.Channel
	}
	want := map[string]string{
		"o-yes " + model.PushCaseEvent: model.ChannelWeChatSubscribe, "o-yes " + model.PushBindingResult: model.ChannelWeChatTemplate,
		"o-no " + model.PushCaseEvent: model.ChannelWeChatTemplate, "o-never " + model.PushCaseEvent: model.ChannelWeChatTemplate,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: channel %q, want %q", k, got[k], v)
		}
	}
}

// TestSubscribeSentEventRecordsDelivery: subscribe_msg_sent_event marks
// the notice's push delivered like TEMPLATESENDJOBFINISH; a failure marks
// it failed, and 43101 also records that the user refused the template.
func TestSubscribeSentEventRecordsDelivery(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(t)}, service.Options{})
	now := time.Now()
	for i, msgID := range []int64{7001, 7002} {
		row := model.PushMessage{OpenID: "o-s", Kind: model.PushCaseEvent, Channel: model.ChannelWeChatSubscribe,
			DedupKey: fmt.Sprintf("event:%d:o-s", i), ClientMsgID: fmt.Sprintf("c%d", i), Status: model.StatusSent,
			NextAttemptAt: now, WeChatMsgID: msgID, SentAt: &now}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.HandleWeChatEvent(ctx, subscribeEvent("o-s", "subscribe_msg_popup_event", now.Add(-time.Hour),
		service.SubscribeChange{TemplateID: "SUB1", Status: model.ConsentAccept})); err != nil {
		t.Fatal(err)
	}
	for _, e := range []service.WeChatEvent{
		subscribeEvent("o-s", "subscribe_msg_sent_event", now, service.SubscribeChange{TemplateID: "SUB1", MsgID: 7001, ErrorStatus: "success"}),
		subscribeEvent("o-s", "subscribe_msg_sent_event", now, service.SubscribeChange{TemplateID: "SUB1", MsgID: 7002, ErrorCode: 43101, ErrorStatus: "failed:user refuse to accept the msg"}),
	} {
		if _, err := svc.HandleWeChatEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var rows []model.PushMessage
	if err := db.Order("we_chat_msg_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if rows[0].Status != model.StatusDelivered || rows[0].DeliveredAt == nil || rows[1].Status != model.StatusFailed ||
		rows[1].LastError != "failed:user refuse to accept the msg" {
		t.Fatalf("pushes %+v", rows)
	}
	var c model.SubscribeConsent
	if err := db.Where("open_id = ? AND template_id = ?", "o-s", "SUB1").Take(&c).Error; err != nil || c.Status != model.ConsentReject {
		t.Fatalf("consent after 43101: %+v %v", c, err)
	}
}
