package main

import (
	"context"
	"maps"
	"slices"
	"strings"

	"zsjc/config"
	"zsjc/model"
	"zsjc/push"
	"zsjc/sms"
	"zsjc/wechat/wechattest"
)

// loadPushTemplates builds the push kinds' templates from the
// configuration; a mapping no value can make valid stops the start,
// naming the field. The sandbox gives every kind a template id of its
// own, sends case events as subscribe notices too when no kind is
// configured for them, and serves the templates from its fake platform.
func loadPushTemplates(a *app) (map[string]push.Template, error) {
	templates, err := push.Templates(a.cfg.Push.Templates)
	if err != nil {
		return nil, &config.Error{Var: "push.templates", Reason: err.Error()}
	}
	if a.wx.sandbox != nil && !slices.ContainsFunc(slices.Collect(maps.Values(templates)),
		func(t push.Template) bool { return t.Subscribe != nil }) {
		t := templates["case_event"]
		sub := t
		sub.ID, sub.Subscribe = "sandbox_subscribe_case_event", nil
		t.Subscribe = &sub
		templates["case_event"] = t
	}
	for kind, t := range templates {
		switch {
		case t.ID != "":
		case a.wx.sandbox != nil:
			// The sandbox phone shows a template's title and field names
			// by its id.
			t.ID = "sandbox_" + kind
			templates[kind] = t
		default:
			a.log.Warn("push template id not configured: WeChat will refuse these pushes",
				"kind", kind, "template", t.Title, "yaml", "push.templates."+kind+".id")
		}
		if a.wx.sandbox != nil {
			a.wx.sandbox.SetTemplate(wechattest.Template{ID: t.ID, Title: t.Title, Content: templateContent(t)})
			if t.Subscribe != nil {
				a.wx.sandbox.SetTemplate(wechattest.Template{ID: t.Subscribe.ID, Title: t.Title,
					Content: templateContent(*t.Subscribe), Subscribe: true})
			}
		}
	}
	return templates, nil
}

// templateContent is a template's content as the platform lists it
// ("案件名称：{{thing1.DATA}}" a line).
func templateContent(t push.Template) string {
	var b strings.Builder
	for _, field := range slices.Sorted(maps.Keys(t.Fields)) {
		if label := t.Labels[field]; label != "" {
			b.WriteString(label + "：")
		}
		b.WriteString("{{" + field + ".DATA}}\n")
	}
	return b.String()
}

// subscribeKinds are the push kinds sent as subscribe notices: kind →
// subscribe-notice template id.
func subscribeKinds(templates map[string]push.Template) map[string]string {
	out := map[string]string{}
	for kind, t := range templates {
		if t.Subscribe != nil {
			out[kind] = t.Subscribe.ID
		}
	}
	return out
}

// newPushWorker builds this instance's outbox worker. It sends through the
// WeChat client (in the sandbox: the fake platform on our own server) and
// reports on the app's registry, where zsjc_push_queue_depth is counted
// from the database at each scrape.
func newPushWorker(a *app) *push.Worker {
	push.RegisterQueueDepth(a.registry, a.db)
	subscribe := len(subscribeKinds(a.pushTemplates)) > 0
	channels := map[string]push.ChannelSender{}
	if a.sms.client != nil {
		channels[model.ChannelSMS] = sms.NewSender(a.sms.client, a.db, a.sealer, a.cache, sms.SenderOptions{
			Templates: a.sms.templates, DailyLimit: a.cfg.SMS.DailyLimit, Location: a.cfg.Location()})
		a.log.Info("SMS channel on", "api", a.sms.client.String(), "kinds", len(a.sms.templates))
	}
	return push.New(a.db, a.cache, a.wx.client, push.NewMetrics(a.registry), a.log, push.Options{
		Concurrency: a.cfg.Push.Concurrency, MaxAttempts: a.cfg.Push.MaxAttempts, Templates: a.pushTemplates,
		PublicURL: linkBase(a.cfg), Location: a.cfg.Location(), Deliveries: a.svc, Subscribe: a.wx.client,
		Channels: channels, Fallback: a.svc, Quota: a.quotaPlan(),
		TemplateFields: func(ctx context.Context) (map[string][]string, error) {
			return a.wx.client.TemplateFields(ctx, subscribe)
		},
	})
}

// quotaPlan is the day's template budget (ZSJC_PUSH_DAILY_QUOTA,
// ZSJC_PUSH_QUOTA_LOW_WATER).
func (a *app) quotaPlan() model.QuotaPlan {
	return model.QuotaPlan{Daily: int64(a.cfg.Push.DailyQuota), LowWater: a.cfg.Push.QuotaLowWater}
}
