package main

import (
	"encoding/json"

	"zsjc/handler"
	"zsjc/wechat/wechattest"
)

// sandboxDeps is what the /sandbox page drives when the fake platform runs
// (dev mode without WeChat credentials): the platform itself, a callback
// client that signs and encrypts as WeChat does with the sandbox account's
// callback credentials, and the shipped menu (config/menu.yaml). Nil otherwise, and the
// page is not mounted.
func (a *app) sandboxDeps() *handler.Sandbox {
	if a.wx.sandbox == nil {
		return nil
	}
	mode := wechattest.Safe
	if a.wx.cfg.AESKey == "" {
		mode = wechattest.Plaintext
	}
	sb := &handler.Sandbox{
		Platform: a.wx.sandbox,
		Callback: wechattest.CallbackClient{Token: a.wx.cfg.Token, AppID: a.wx.cfg.AppID,
			EncodingAESKey: a.wx.cfg.AESKey, Mode: mode, Target: "/wechat/callback"},
	}
	if a.sms.sandbox != nil {
		sb.SMS, sb.SMSKinds = a.sms.sandbox, map[string]string{}
		for kind, id := range a.sms.templates {
			sb.SMSKinds[id] = kind
		}
	}
	sb.Templates = map[string]handler.SandboxTemplate{}
	for _, t := range a.pushTemplates {
		sb.Templates[t.ID] = handler.SandboxTemplate{Title: t.Title, Labels: t.Labels}
		if t.Subscribe != nil {
			sb.Templates[t.Subscribe.ID] = handler.SandboxTemplate{Title: t.Title + "（订阅通知）", Labels: t.Subscribe.Labels}
		}
	}
	buttons, err := loadMenu("", sandboxBase(a.cfg))
	if err != nil {
		a.log.Warn("sandbox: no custom menu to show on the phone", "err", err)
		return sb
	}
	if sb.Menu, err = json.Marshal(map[string]any{"button": buttons}); err != nil {
		a.log.Warn("sandbox: encode the custom menu", "err", err)
	}
	return sb
}
