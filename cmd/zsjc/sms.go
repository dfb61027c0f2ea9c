package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"zsjc/config"
	"zsjc/service"
	"zsjc/sms"
	"zsjc/sms/smstest"
)

// sandboxSMSPath is where the handler mounts the fake SMS API.
const sandboxSMSPath = "/sandbox/sms"

// textMessages is the wired SMS side: the client and the template of each
// push kind, or nothing when SMS is off.
type textMessages struct {
	client    *sms.Client
	templates map[string]string
	// sandbox is the in-process fake SMS API (dev mode with the WeChat
	// sandbox and no SMS account), nil otherwise.
	sandbox *smstest.Fake
}

// kinds are the push kinds sent by SMS to users who cannot get WeChat.
func (t textMessages) kinds() map[string]bool {
	out := map[string]bool{}
	for kind := range t.templates {
		if kind != sms.PasswordTemplate {
			out[kind] = true
		}
	}
	return out
}

// passwords delivers online file review passwords by SMS when a template
// for them is configured (nil: the H5 page shows them once per login).
func (t textMessages) passwords(loc *time.Location) service.PasswordDeliverer {
	id, ok := t.templates[sms.PasswordTemplate]
	if t.client == nil || !ok {
		return nil
	}
	return sms.PasswordTexter{Client: t.client, Template: id, Location: loc}
}

// setupSMS builds the SMS side from ZSJC_SMS_* and sms.templates. In the
// WeChat sandbox without an SMS account it talks to the fake SMS API on our
// own server, with a template for every kind, so the sandbox phone shows
// the texts too.
func setupSMS(cfg *config.Config, sandbox bool) (textMessages, error) {
	c := cfg.SMS
	var t textMessages
	switch {
	case c.Enabled():
		for _, kind := range slices.Sorted(maps.Keys(c.Templates)) {
			if _, ok := sms.KindParams[kind]; !ok && kind != sms.PasswordTemplate {
				return t, &config.Error{Var: "sms.templates", Reason: fmt.Sprintf("unknown push kind %q (known: %s)",
					kind, strings.Join(slices.Sorted(maps.Keys(sms.KindParams)), ", "))}
			}
		}
		t.templates = maps.Clone(c.Templates)
	case sandbox:
		c = config.SMS{SecretID: smstest.SecretID, SecretKey: smstest.SecretKey, SDKAppID: smstest.SDKAppID,
			Sign: smstest.Sign, APIBase: sandboxBase(cfg) + sandboxSMSPath}
		t.sandbox = smstest.New()
		t.templates = map[string]string{}
		for kind := range sms.KindParams {
			t.templates[kind] = "sandbox_sms_" + kind
		}
		t.templates[sms.PasswordTemplate] = "sandbox_sms_" + sms.PasswordTemplate
	default:
		return t, nil
	}
	client, err := sms.NewClient(sms.Config{SecretID: c.SecretID, SecretKey: c.SecretKey, SDKAppID: c.SDKAppID,
		Sign: c.Sign, APIBase: c.APIBase})
	if err != nil {
		return t, &config.Error{Var: "ZSJC_SMS_SECRET_ID", Reason: err.Error()}
	}
	t.client = client
	return t, nil
}
