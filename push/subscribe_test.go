package push

import (
	"context"
	"strings"
	"testing"
	"time"

	"zsjc/config"
	"zsjc/model"
	"zsjc/testenv"
	"zsjc/wechat/wechattest"
)

// TestSubscribeNoticesGoThroughBizsend: a row of channel wechat_subscribe
// is sent as a subscribe notice with its kind's subscribe template, each
// value fitted to its field's type, and recorded sent with the msgid the
// delivery report will carry. A user who refused the template meanwhile
// (43101) is recorded as refused and gets the push as a template message
// instead, as does a notice of a kind no longer configured for them.
func TestSubscribeNoticesGoThroughBizsend(t *testing.T) {
	db := testenv.DB(t)
	store := testenv.Cache(t)
	platform, apiBase := startPlatform(t, 0)
	client := weChatClient(t, apiBase, store)
	templates, err := Templates(map[string]config.Template{model.PushCaseEvent: {ID: "TPL", Subscribe: &config.Template{
		ID: "SUB", Fields: map[string]string{"thing1": "case_name", "phrase2": "stage", "time3": "time"}}}})
	if err != nil {
		t.Fatal(err)
	}
	platform.Consent("o-yes", true, "SUB")
	platform.Consent("o-no", false, "SUB")
	now := time.Now()
	for _, openid := range []string{"o-yes", "o-no"} {
		row := model.PushMessage{OpenID: openid, Kind: model.PushCaseEvent, Channel: model.ChannelWeChatSubscribe,
			DedupKey: "event:1:" + openid, ClientMsgID: "c-" + openid, URL: "/h5/cases/3", Status: model.StatusQueued, NextAttemptAt: now,
			Data: `{"case_name":"张某某涉嫌非法吸收公众存款及集资诈骗等多项罪名一案","stage":"提起公诉","time":"2026-12-02 10:30"}`}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&model.SubscribeConsent{OpenID: openid, TemplateID: "SUB", Status: model.ConsentAccept, ChangedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
	}
	// A notice of a kind no longer configured for them (the configuration changed since it was queued).
	stale := model.PushMessage{OpenID: "o-stale", Kind: model.PushBindingResult, Channel: model.ChannelWeChatSubscribe,
		DedupKey: "binding:1:o-stale", ClientMsgID: "c-stale", Status: model.StatusQueued, NextAttemptAt: now, Data: `{"result":"已通过"}`}
	if err := db.Create(&stale).Error; err != nil {
		t.Fatal(err)
	}
	inst := newInstance(db, store, client, Options{Poll: 5 * time.Millisecond, Templates: templates, Subscribe: client,
		PublicURL: "https://zsjc.example.gov.cn"})
	run(t, inst.w, 10*time.Second, func() bool { return countRows(t, db, "status = ?", model.StatusSent) == 3 })

	notices := platform.SentSubscribes()
	if len(notices) != 1 || notices[0].ToUser != "o-yes" || notices[0].TemplateID != "SUB" {
		t.Fatalf("subscribe notices %+v", notices)
	}
	n := notices[0]
	if n.Data["thing1"] != "张某某涉嫌非法吸收公众存款及集资诈骗等…" || n.Data["phrase2"] != "提起公诉" || n.Data["time3"] != "2026-12-02 10:30" ||
		n.Page != "https://zsjc.example.gov.cn/h5/login?next=%2Fh5%2Fcases%2F3" {
		t.Fatalf("notice %+v", n)
	}
	rows := rowsByOpenID(t, db)
	if rows["o-yes"].WeChatMsgID != n.MsgID || rows["o-yes"].Channel != model.ChannelWeChatSubscribe {
		t.Fatalf("row %+v, notice msgid %d", rows["o-yes"], n.MsgID)
	}
	if r := rows["o-no"]; r.Channel != model.ChannelWeChatTemplate || r.Attempts != 1 {
		t.Fatalf("refused notice: %+v", r)
	}
	sent := platform.Sent()
	if len(sent) != 2 || rows["o-stale"].Channel != model.ChannelWeChatTemplate {
		t.Fatalf("template messages %+v, stale row %+v", sent, rows["o-stale"])
	}
	for _, m := range sent {
		if (m.ToUser != "o-no" || m.TemplateID != "TPL") && m.ToUser != "o-stale" {
			t.Fatalf("template message %+v", m)
		}
	}
	var refused model.SubscribeConsent
	if err := db.Where("open_id = ?", "o-no").Take(&refused).Error; err != nil || refused.Status != model.ConsentReject {
		t.Fatalf("consent after 43101: %+v %v", refused, err)
	}
}

// TestWorkerChecksTemplatesAgainstThePlatform: the configured fields are
// compared with the templates the platform lists, once per TTL across the
// fleet (cached), and a field the platform's template lacks is logged,
// naming the kind and field.
func TestWorkerChecksTemplatesAgainstThePlatform(t *testing.T) {
	db := testenv.DB(t)
	store := testenv.Cache(t)
	platform, apiBase := startPlatform(t, 0)
	client := weChatClient(t, apiBase, store)
	platform.SetTemplate(wechattest.Template{ID: "TPL-CASE", Content: "案件名称：{{thing1.DATA}}\n当前阶段：{{thing2.DATA}}\n时间：{{time3.DATA}}"})
	templates, err := Templates(map[string]config.Template{model.PushCaseEvent: {ID: "TPL-CASE"}})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	list := func(ctx context.Context) (map[string][]string, error) {
		calls++
		return client.TemplateFields(ctx, false)
	}
	for i := range 2 {
		inst := newInstance(db, store, client, Options{Poll: 5 * time.Millisecond, Templates: templates, TemplateFields: list})
		run(t, inst.w, 5*time.Second, func() bool { return strings.Contains(inst.logs.String(), "does not match") })
		if !strings.Contains(inst.logs.String(), "case_event field thing4: not in template TPL-CASE") {
			t.Fatalf("instance %d logs:\n%s", i, inst.logs.String())
		}
	}
	if calls != 1 {
		t.Fatalf("the platform was asked %d times, want once (cached)", calls)
	}
}
