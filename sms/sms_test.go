package sms

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/push"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/sms/smstest"
	"zsjc/testenv"
)

func startFake(t *testing.T) (*smstest.Fake, string) {
	t.Helper()
	f := smstest.New()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func fakeClient(t *testing.T, base, secretKey string) *Client {
	t.Helper()
	c, err := NewClient(Config{SecretID: smstest.SecretID, SecretKey: secretKey, SDKAppID: smstest.SDKAppID,
		Sign: smstest.Sign, APIBase: base})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientSignsWithTheSDK: the SDK's common client signs SendSms so that
// the fake, recomputing TC3-HMAC-SHA256 with the account's key, accepts it;
// a wrong key is refused as the API refuses it, and the number does not
// appear in the error.
func TestClientSignsWithTheSDK(t *testing.T) {
	fake, base := startFake(t)
	st, err := fakeClient(t, base, smstest.SecretKey).Send(context.Background(), "13800138000", "T1", []string{"甲", "乙"}, "ctx-1")
	if err != nil || st.SerialNo == "" {
		t.Fatalf("send: %+v %v", st, err)
	}
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Phone != "+8613800138000" || sent[0].TemplateID != "T1" || sent[0].Sign != smstest.Sign ||
		strings.Join(sent[0].Params, ",") != "甲,乙" || sent[0].SessionContext != "ctx-1" {
		t.Fatalf("the fake recorded %+v", sent)
	}
	serial, err := fakeClient(t, base, smstest.SecretKey).SentBefore(context.Background(), "13800138000", "ctx-1", time.Now().Add(-time.Minute))
	if err != nil || serial != st.SerialNo {
		t.Fatalf("status records: %q %v, want %q", serial, err, st.SerialNo)
	}

	fake.Answer(func(string) string { return "InvalidParameterValue.IncorrectPhoneNumber" })
	_, err = fakeClient(t, base, smstest.SecretKey).Send(context.Background(), "13800138000", "T1", nil, "ctx-2")
	var refused *APIError
	if !errors.As(err, &refused) || refused.Code != "InvalidParameterValue.IncorrectPhoneNumber" {
		t.Fatalf("refused number: %v", err)
	}

	_, err = fakeClient(t, base, "wrong-key").Send(context.Background(), "13800138000", "T1", nil, "ctx-3")
	if !errors.As(err, &refused) || refused.Code != "AuthFailure.SignatureFailure" || fake.Calls("bad_signature") != 1 {
		t.Fatalf("wrong key: %v (bad signatures %d)", err, fake.Calls("bad_signature"))
	}
	if strings.Contains(err.Error(), "13800138000") {
		t.Fatalf("the error names the number: %v", err)
	}
}

// TestStatusCodeClasses: each SendSms status code is acted on as the
// worker must — retry, final, or wait for the next day.
func TestStatusCodeClasses(t *testing.T) {
	for code, want := range map[string]push.ErrorClass{
		"LimitExceeded.PhoneNumberDailyLimit":                push.HoldToNextDay,
		"LimitExceeded.PhoneNumberSameContentDailyLimit":     push.HoldToNextDay,
		"LimitExceeded.PhoneNumberThirtySecondLimit":         push.Retry,
		"FailedOperation.InsufficientBalanceInSmsPackage":    push.Retry,
		"FailedOperation.PhoneNumberInBlacklist":             push.Final,
		"FailedOperation.TemplateIncorrectOrUnapproved":      push.Final,
		"InvalidParameterValue.IncorrectPhoneNumber":         push.Final,
		"InvalidParameterValue.TemplateParameterFormatError": push.Final,
		"InternalError.Timeout":                              push.Retry,
		"AuthFailure.SignatureFailure":                       push.Retry,
		"SomethingNew.Entirely":                              push.Retry,
	} {
		var se *push.SendError
		if err := classify(&APIError{Action: "SendSms", Code: code}); !errors.As(err, &se) || se.Class != want || se.Code != code {
			t.Errorf("%s: %v, want class %d", code, err, want)
		}
	}
	if err := classify(errors.New("connection reset")); errors.As(err, new(*push.SendError)) {
		t.Errorf("a network failure is classed: %v", err)
	}
}

// smsUser makes a user with openid who gave phone (sealed) and consent.
func smsUser(t *testing.T, env senderEnv, openid, phone string, consent bool) {
	t.Helper()
	u := model.WeChatUser{OpenID: openid, SMSConsent: consent}
	if phone != "" {
		sealed, err := env.sealer.Seal(phone)
		if err != nil {
			t.Fatal(err)
		}
		u.PhoneEnc, u.PhoneMasked = sealed, secure.MaskMobile(phone)
	}
	if err := env.sender.db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
}

type senderEnv struct {
	fake   *smstest.Fake
	sender *Sender
	sealer *secure.Sealer
	store  cache.Store
}

func newSenderEnv(t *testing.T, dailyLimit int) senderEnv {
	fake, base := startFake(t)
	sealer, err := secure.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := testenv.Cache(t)
	s := NewSender(fakeClient(t, base, smstest.SecretKey), testenv.DB(t), sealer, store, SenderOptions{
		Templates: map[string]string{model.PushCaseEvent: "CE1"}, DailyLimit: dailyLimit})
	return senderEnv{fake: fake, sender: s, sealer: sealer, store: store}
}

func smsRow(openid, clientMsgID string, attempts int) *model.PushMessage {
	return &model.PushMessage{OpenID: openid, Kind: model.PushCaseEvent, Channel: model.ChannelSMS, ClientMsgID: clientMsgID,
		Attempts: attempts, CreatedAt: time.Now(), Data: `{"case_no":"京检刑诉〔2026〕1号","stage":"审查起诉","unit":"北京市人民检察院"}`}
}

// TestSenderTextsTheConsentingUser: the sender opens the sealed number
// only to send; a user without consent or number is no recipient; the
// number's daily limit holds the rest to the next day; a row claimed again
// after an unrecorded attempt is found in the provider's records, not sent
// twice.
func TestSenderTextsTheConsentingUser(t *testing.T) {
	env := newSenderEnv(t, 2)
	smsUser(t, env, "o-ok", "13900139000", true)
	smsUser(t, env, "o-noconsent", "13900139001", false)
	smsUser(t, env, "o-nophone", "", true)
	ctx := context.Background()

	r, err := env.sender.Send(ctx, smsRow("o-ok", "m1", 1))
	if err != nil || r.ProviderMsgID == "" {
		t.Fatalf("send: %+v %v", r, err)
	}
	sent := env.fake.Sent()
	if len(sent) != 1 || sent[0].Phone != "+8613900139000" || sent[0].TemplateID != "CE1" ||
		strings.Join(sent[0].Params, "|") != "京检刑诉〔2026〕1号|审查起诉|北京市人民检察院" {
		t.Fatalf("sent %+v", sent)
	}
	// Claimed again after a crash: found, not sent again.
	again, err := env.sender.Send(ctx, smsRow("o-ok", "m1", 2))
	if err != nil || again.ProviderMsgID != r.ProviderMsgID || len(env.fake.Sent()) != 1 {
		t.Fatalf("second claim: %+v %v, %d sent", again, err, len(env.fake.Sent()))
	}
	for _, oid := range []string{"o-noconsent", "o-nophone", "o-unknown"} {
		var se *push.SendError
		if _, err := env.sender.Send(ctx, smsRow(oid, "m-"+oid, 1)); !errors.As(err, &se) || se.Class != push.NoRecipient {
			t.Errorf("%s: %v, want no recipient", oid, err)
		}
	}
	if _, err := env.sender.Send(ctx, smsRow("o-ok", "m2", 1)); err != nil {
		t.Fatal(err)
	}
	var se *push.SendError
	if _, err := env.sender.Send(ctx, smsRow("o-ok", "m3", 1)); !errors.As(err, &se) || se.Class != push.HoldToNextDay {
		t.Fatalf("third message of the day: %v, want held", err)
	}
	if n := len(env.fake.Sent()); n != 2 {
		t.Fatalf("%d sent, want 2 (the daily limit)", n)
	}
	row := smsRow("o-ok", "m4", 1)
	row.Kind = model.PushReminder
	if _, err := env.sender.Send(ctx, row); !errors.As(err, &se) || se.Class != push.Final {
		t.Fatalf("kind without an SMS template: %v", err)
	}
}

// TestPasswordTexterSendsTheDownloadPassword: the password goes out on the
// password template with the case number and the deadline in office time,
// tagged with the request; no number, no text.
func TestPasswordTexterSendsTheDownloadPassword(t *testing.T) {
	f, base := startFake(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	p := PasswordTexter{Client: fakeClient(t, base, smstest.SecretKey), Template: "T-PW", Location: shanghai}
	to := service.PasswordRecipient{UserID: 3, Phone: "13900000777", RequestID: 12, CaseNo: "京检刑受〔2026〕1号",
		ExpiresAt: time.Date(2026, 12, 16, 16, 0, 0, 0, time.UTC)}
	if err := p.DeliverPassword(context.Background(), to, "ZwPTKAkRFG"); err != nil {
		t.Fatal(err)
	}
	sent := f.Sent()
	if len(sent) != 1 || sent[0].Phone != "+8613900000777" || sent[0].TemplateID != "T-PW" || sent[0].SessionContext != "efile:12" ||
		strings.Join(sent[0].Params, "|") != "京检刑受〔2026〕1号|ZwPTKAkRFG|2026-12-17 00:00" {
		t.Fatalf("sent %+v", sent)
	}
	to.Phone = ""
	if err := p.DeliverPassword(context.Background(), to, "x"); err == nil || len(f.Sent()) != 1 {
		t.Fatalf("no number: %v, %d sent", err, len(f.Sent()))
	}
}
