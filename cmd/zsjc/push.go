package main

import (
	"zsjc/config"
	"zsjc/model"
	"zsjc/push"
	"zsjc/sms"
)

// newPushWorker builds this instance's outbox worker. It sends through the
// WeChat client (in the sandbox: the fake platform on our own server) and
// reports on the app's registry, where zsjc_push_queue_depth is counted
// from the database at each scrape.
func newPushWorker(a *app) (*push.Worker, error) {
	templates, err := push.Templates(a.cfg.Push.Templates)
	if err != nil {
		return nil, &config.Error{Var: "push.templates", Reason: err.Error()}
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
	}
	a.pushTemplates = templates
	push.RegisterQueueDepth(a.registry, a.db)
	channels := map[string]push.ChannelSender{}
	if a.sms.client != nil {
		channels[model.ChannelSMS] = sms.NewSender(a.sms.client, a.db, a.sealer, a.cache, sms.SenderOptions{
			Templates: a.sms.templates, DailyLimit: a.cfg.SMS.DailyLimit, Location: a.cfg.Location()})
		a.log.Info("SMS channel on", "api", a.sms.client.String(), "kinds", len(a.sms.templates))
	}
	return push.New(a.db, a.cache, a.wx.client, push.NewMetrics(a.registry), a.log, push.Options{
		Concurrency: a.cfg.Push.Concurrency, MaxAttempts: a.cfg.Push.MaxAttempts, Templates: templates,
		PublicURL: linkBase(a.cfg), Location: a.cfg.Location(), Deliveries: a.svc,
		Channels: channels, Fallback: a.svc,
		Quota: a.quotaPlan(),
	}), nil
}

// quotaPlan is the day's template budget (ZSJC_PUSH_DAILY_QUOTA,
// ZSJC_PUSH_QUOTA_LOW_WATER).
func (a *app) quotaPlan() model.QuotaPlan {
	return model.QuotaPlan{Daily: int64(a.cfg.Push.DailyQuota), LowWater: a.cfg.Push.QuotaLowWater}
}
