package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"zsjc/cache"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/testenv"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// callbackCrypto is the sandbox account's callback secrets; plaintext
// mode has no EncodingAESKey.
func callbackCrypto(t testing.TB, mode wechattest.Mode) *wechat.Crypto {
	t.Helper()
	key := wechattest.EncodingAESKey
	if mode == wechattest.Plaintext {
		key = ""
	}
	c, err := wechat.NewCrypto(wechattest.CallbackToken, wechattest.AppID, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wechatPhone is WeChat's side of the callback for env.
func wechatPhone(env *handlertest.Env, mode wechattest.Mode) *wechattest.CallbackClient {
	return &wechattest.CallbackClient{Token: wechattest.CallbackToken, AppID: wechattest.AppID,
		EncodingAESKey: wechattest.EncodingAESKey, Mode: mode, Target: "/wechat/callback", Now: env.Clock.Now}
}

func newCallbackEnv(t *testing.T, mode wechattest.Mode) (*handlertest.Env, *wechattest.CallbackClient) {
	t.Helper()
	env := handlertest.New(t, handlertest.WithCallback(callbackCrypto(t, mode)),
		handlertest.WithPublicURL("https://zsjc.example.gov.cn"))
	return env, wechatPhone(env, mode)
}

// callbacks reads zsjc_wechat_callbacks_total{outcome}.
func callbacks(t testing.TB, reg *prometheus.Registry, outcome string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "zsjc_wechat_callbacks_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return 0
}

func serve(env *handlertest.Env, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	env.Handler.ServeHTTP(rec, req)
	return rec
}

func countUsers(t testing.TB, env *handlertest.Env) int64 {
	t.Helper()
	var n int64
	if err := env.DB.Model(&model.WeChatUser{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWeChatCallbackVerifiesURL(t *testing.T) {
	env, phone := newCallbackEnv(t, wechattest.Safe)
	rec := serve(env, phone.VerifyRequest("echo-4711"))
	if rec.Code != http.StatusOK || rec.Body.String() != "echo-4711" {
		t.Fatalf("valid URL check: %d %q", rec.Code, rec.Body)
	}
	req := phone.VerifyRequest("echo-4712")
	q := req.URL.Query()
	q.Set("signature", strings.Repeat("0", 40))
	req.URL.RawQuery = q.Encode()
	rec = serve(env, req)
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "echo-4712") {
		t.Fatalf("bad signature: %d %q", rec.Code, rec.Body)
	}
	if got := callbacks(t, env.Registry, "rejected"); got != 1 {
		t.Fatalf("rejected = %d, want 1", got)
	}
}

// vectorFixtures are the callback fixtures of the shared vectors file.
func vectorFixtures(t testing.TB) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../wechat/testdata/wechat_crypto_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Fixtures map[string]string `json:"callback_fixtures"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Fixtures
}

func TestWeChatCallbackAllModes(t *testing.T) {
	for name, mode := range map[string]wechattest.Mode{
		"plaintext": wechattest.Plaintext, "compatible": wechattest.Compatible, "safe": wechattest.Safe,
	} {
		t.Run(name, func(t *testing.T) {
			env, phone := newCallbackEnv(t, mode)
			reply, err := phone.ServeTo(env.Handler, wechattest.Text("o-mode", "帮助", 101))
			if err != nil {
				t.Fatal(err)
			}
			if reply.MsgType != "text" || !strings.Contains(reply.Content, "使用帮助") ||
				reply.To != "o-mode" || reply.From != wechattest.Account {
				t.Fatalf("reply = %+v", reply)
			}
			encrypted := bytes.Contains(reply.Raw, []byte("<Encrypt>"))
			if encrypted != (mode != wechattest.Plaintext) {
				t.Fatalf("%s mode: reply encrypted = %v: %s", name, encrypted, reply.Raw)
			}
			// The official fixture: subscribe through a QR code with a scene.
			req, err := phone.RequestRaw([]byte(vectorFixtures(t)["subscribe_with_scene"]))
			if err != nil {
				t.Fatal(err)
			}
			rec := serve(env, req)
			reply, err = phone.Open(rec.Code, rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(reply.Content, "欢迎关注") ||
				!strings.Contains(reply.Content, "https://zsjc.example.gov.cn/h5/login?next="+url.QueryEscape("/h5/bind?case_no=123123")) {
				t.Fatalf("welcome reply = %q", reply.Content)
			}
			var u model.WeChatUser
			if err := env.DB.Where("open_id = ?", "FromUser").Take(&u).Error; err != nil || !u.Subscribed || u.Scene != "123123" {
				t.Fatalf("follower = %+v, %v", u, err)
			}
		})
	}
}

func TestWeChatCallbackEvents(t *testing.T) {
	env, phone := newCallbackEnv(t, wechattest.Safe)
	send := func(m wechattest.Message) wechattest.Reply {
		t.Helper()
		env.Clock.Advance(time.Second) // events are keyed by their second
		r, err := phone.ServeTo(env.Handler, m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := send(wechattest.Event("o-ev", "subscribe", "")); !strings.Contains(r.Content, "业务办理") {
		t.Fatalf("welcome = %q", r.Content)
	}
	if r := send(wechattest.Event("o-ev", "unsubscribe", "")); r.Passive() {
		t.Fatalf("unsubscribe answered %q", r.Content)
	}
	var u model.WeChatUser
	if err := env.DB.Where("open_id = ?", "o-ev").Take(&u).Error; err != nil || u.Subscribed || u.UnsubscribedAt == nil {
		t.Fatalf("after unsubscribe: %+v, %v", u, err)
	}
	if r := send(wechattest.Event("o-ev", "subscribe", "")); r.Content == "" {
		t.Fatal("no welcome on resubscribe")
	}
	var again model.WeChatUser
	if err := env.DB.Where("open_id = ?", "o-ev").Take(&again).Error; err != nil || !again.Subscribed || again.UnsubscribedAt != nil {
		t.Fatalf("after resubscribe: %+v, %v", again, err)
	}
	if r := send(wechattest.Event("o-ev", "SCAN", "京检刑受〔2026〕8号")); !strings.Contains(r.Content, url.QueryEscape("case_no=")) {
		t.Fatalf("SCAN reply = %q", r.Content)
	}
	if r := send(wechattest.Event("o-ev", "CLICK", "HELP")); !strings.Contains(r.Content, "使用帮助") {
		t.Fatalf("CLICK HELP = %q", r.Content)
	}
	if r := send(wechattest.Event("o-ev", "VIEW", "https://zsjc.example.gov.cn/h5/")); r.Passive() {
		t.Fatalf("VIEW answered %q", r.Content)
	}
	for i, kw := range []string{"绑定", "进度", "查询", "预约", "会见"} {
		r := send(wechattest.Text("o-ev", "我想"+kw, int64(500+i)))
		if !strings.Contains(r.Content, "https://zsjc.example.gov.cn/h5/login?next=%2Fh5%2F") {
			t.Errorf("%s: reply without an H5 link: %q", kw, r.Content)
		}
	}
	// An unrecognised message gets a short help with the menu's entry points.
	if r := send(wechattest.Text("o-ev", "你好", 600)); !r.Passive() || !strings.Contains(r.Content, "业务办理") || !strings.Contains(r.Content, "案件公开") {
		t.Fatalf("unrecognised text answered %q", r.Raw)
	}
}

func TestWeChatCallbackTemplateDelivery(t *testing.T) {
	env, phone := newCallbackEnv(t, wechattest.Safe)
	push := func(msgID int64) model.PushMessage {
		p := model.PushMessage{OpenID: "oia2TjuEGTNoeX76QEjQNrcURxG8", Kind: model.PushCaseEvent,
			DedupKey: fmt.Sprint("t:", msgID), ClientMsgID: fmt.Sprint("c", msgID), Status: model.StatusSent,
			NextAttemptAt: env.Clock.Now(), WeChatMsgID: msgID}
		if err := env.DB.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		return p
	}
	blocked, ok := push(200163840), push(200163841)
	req, err := phone.RequestRaw([]byte(vectorFixtures(t)["template_send_job_finish_user_block"]))
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(env, req); rec.Code != http.StatusOK || rec.Body.String() != "success" {
		t.Fatalf("delivery report: %d %q", rec.Code, rec.Body)
	}
	if _, err := phone.ServeTo(env.Handler, wechattest.TemplateFinished(ok.OpenID, ok.WeChatMsgID, "success")); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[uint64]model.Status{blocked.ID: model.StatusFailed, ok.ID: model.StatusDelivered} {
		var got model.PushMessage
		if err := env.DB.Take(&got, id).Error; err != nil {
			t.Fatal(err)
		}
		if got.Status != want || (want == model.StatusFailed && got.LastError != "failed:user block") {
			t.Errorf("push %d: status %s, last error %q; want %s", id, got.Status, got.LastError, want)
		}
	}
	// A report for a push we never sent is answered and counted as handled.
	if r, err := phone.ServeTo(env.Handler, wechattest.TemplateFinished("o-x", 999, "success")); err != nil || r.Passive() {
		t.Fatalf("unknown msgid: %+v, %v", r, err)
	}
}

// tamper changes a built request.
type tamper func(t *testing.T, phone *wechattest.CallbackClient, req *http.Request) *http.Request

func setQuery(key, value string) tamper {
	return func(_ *testing.T, _ *wechattest.CallbackClient, req *http.Request) *http.Request {
		q := req.URL.Query()
		q.Set(key, value)
		req.URL.RawQuery = q.Encode()
		return req
	}
}

// withBody replaces the body and signs it the way the client would, so
// only the content is wrong.
func withEncrypt(encrypt string) tamper {
	return func(t *testing.T, phone *wechattest.CallbackClient, req *http.Request) *http.Request {
		q := req.URL.Query()
		q.Set("msg_signature", wechat.Signature(phone.Token, q.Get("timestamp"), q.Get("nonce"), encrypt))
		out := httptest.NewRequest(http.MethodPost, "/wechat/callback?"+q.Encode(),
			strings.NewReader("<xml><ToUserName>gh_x</ToUserName><Encrypt>"+encrypt+"</Encrypt></xml>"))
		return out
	}
}

func TestWeChatCallbackRejections(t *testing.T) {
	safeEnv, safePhone := newCallbackEnv(t, wechattest.Safe)
	plainEnv, plainPhone := newCallbackEnv(t, wechattest.Plaintext)
	other, err := wechat.NewCrypto(wechattest.CallbackToken, "wxsomeoneelse000", wechattest.EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.EncryptRandom(wechattest.Event("o-rej", "subscribe", "").XML())
	valid, _ := callbackCrypto(t, wechattest.Safe).EncryptRandom([]byte("<xml><FromUserName>o-rej</FromUserName>"))
	staleClient := *safePhone
	staleClient.Now = func() time.Time { return safeEnv.Clock.Now().Add(-10 * time.Minute) }
	huge := wechattest.Text("o-rej", strings.Repeat("长", 30<<10), 1)

	cases := []struct {
		name   string
		env    *handlertest.Env
		phone  *wechattest.CallbackClient
		msg    wechattest.Message
		tamper tamper
		status int
	}{
		{"bad signature", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), setQuery("signature", strings.Repeat("a", 40)), 403},
		{"missing signature", plainEnv, plainPhone, wechattest.Event("o-rej", "subscribe", ""), setQuery("signature", ""), 403},
		{"bad msg_signature", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), setQuery("msg_signature", strings.Repeat("b", 40)), 403},
		{"stale timestamp", safeEnv, &staleClient, wechattest.Event("o-rej", "subscribe", ""), nil, 403},
		{"undecryptable", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), withEncrypt("AAAAbm90IGEgY2lwaGVydGV4dA=="), 400},
		{"other AppID", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), withEncrypt(foreign), 403},
		{"malformed decrypted XML", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), withEncrypt(valid), 400},
		{"plaintext post to a safe-mode account", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), setQuery("encrypt_type", ""), 403},
		{"unknown encrypt_type", safeEnv, safePhone, wechattest.Event("o-rej", "subscribe", ""), setQuery("encrypt_type", "rsa"), 400},
		{"malformed XML", plainEnv, plainPhone, wechattest.Event("o-rej", "subscribe", ""),
			func(_ *testing.T, _ *wechattest.CallbackClient, req *http.Request) *http.Request {
				r := httptest.NewRequest(http.MethodPost, req.URL.String(), strings.NewReader("<xml><FromUserName>o-rej</From"))
				return r
			}, 400},
		{"no sender", plainEnv, plainPhone, wechattest.Message{MsgType: "event", Event: "subscribe"}, nil, 400},
		{"oversized body", plainEnv, plainPhone, huge, nil, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			usersBefore, rejectedBefore := countUsers(t, tc.env), callbacks(t, tc.env.Registry, "rejected")
			handledBefore := callbacks(t, tc.env.Registry, "handled")
			req, err := tc.phone.Request(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.tamper != nil {
				req = tc.tamper(t, tc.phone, req)
			}
			rec := serve(tc.env, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if n := countUsers(t, tc.env); n != usersBefore {
				t.Fatalf("a rejected callback changed the followers: %d → %d", usersBefore, n)
			}
			if got := callbacks(t, tc.env.Registry, "rejected"); got != rejectedBefore+1 {
				t.Fatalf("rejected counter %d → %d", rejectedBefore, got)
			}
			if got := callbacks(t, tc.env.Registry, "handled"); got != handledBefore {
				t.Fatalf("handled counter moved: %d → %d", handledBefore, got)
			}
		})
	}
}

func TestWeChatCallbackOnceAcrossInstances(t *testing.T) {
	db, dsn := testenv.DBWithDSN(t)
	first, another := testenv.CacheWithPrefix(t)
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	opts := []handlertest.Option{handlertest.WithCallback(callbackCrypto(t, wechattest.Safe))}
	a := handlertest.NewOn(t, db, first, clock, opts...)
	b := handlertest.NewOn(t, testenv.Open(t, db, dsn), another(), clock, opts...)
	phone := wechattest.CallbackClient{Token: wechattest.CallbackToken, AppID: wechattest.AppID,
		EncodingAESKey: wechattest.EncodingAESKey, Mode: wechattest.Safe, Target: "/wechat/callback", Now: clock.Now}

	for _, msg := range []wechattest.Message{
		wechattest.Event("o-once", "subscribe", "qrscene_2026-77"),
		wechattest.Text("o-once", "预约", 880001),
	} {
		msg.CreateTime = clock.Now().Unix()
		var wg sync.WaitGroup
		replies := make([]wechattest.Reply, 3)
		errs := make([]error, 3)
		for i, inst := range []*handlertest.Env{a, b, a} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i], errs[i] = phone.ServeTo(inst.Handler, msg) // each delivery freshly signed, as WeChat retries
			}()
		}
		wg.Wait()
		for i := range replies {
			if errs[i] != nil || !replies[i].Passive() || replies[i].Content != replies[0].Content {
				t.Fatalf("%s: delivery %d: %+v, %v", msg.MsgType, i, replies[i], errs[i])
			}
		}
	}
	handled := callbacks(t, a.Registry, "handled") + callbacks(t, b.Registry, "handled")
	dup := callbacks(t, a.Registry, "duplicate") + callbacks(t, b.Registry, "duplicate")
	if handled != 2 || dup != 4 {
		t.Fatalf("handled %d, duplicate %d; want 2 and 4 (one side effect per message)", handled, dup)
	}
	if n := countUsers(t, a); n != 1 {
		t.Fatalf("%d follower rows, want 1", n)
	}
}

// downCache is a cache.Store whose server is unreachable.
type downCache struct{ cache.Store }

var errCacheDown = errors.New("dial tcp 10.0.0.1:6379: i/o timeout")

func (downCache) SetNX(context.Context, string, string, time.Duration) (bool, error) {
	return false, errCacheDown
}
func (downCache) Get(context.Context, string) (string, error) { return "", errCacheDown }

func TestWeChatCallbackDegradesWithoutCache(t *testing.T) {
	db := testenv.DB(t)
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	env := handlertest.NewOn(t, db, downCache{cache.NewMemory()}, clock,
		handlertest.WithCallback(callbackCrypto(t, wechattest.Safe)))
	phone := wechatPhone(env, wechattest.Safe)
	msg := wechattest.Event("o-down", "subscribe", "")
	msg.CreateTime = clock.Now().Unix()
	start := time.Now()
	var replies []wechattest.Reply
	for range 2 {
		r, err := phone.ServeTo(env.Handler, msg)
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("two deliveries took %s without the cache", elapsed)
	}
	if replies[0].Content == "" || replies[1].Content != replies[0].Content {
		t.Fatalf("replies %q / %q", replies[0].Content, replies[1].Content)
	}
	if h, d := callbacks(t, env.Registry, "handled"), callbacks(t, env.Registry, "duplicate"); h != 1 || d != 1 {
		t.Fatalf("handled %d, duplicate %d; want 1 and 1 through the database", h, d)
	}
}

// TestWeChatCallbackSubscribeNotices: the popup's answers are stored per
// template as WeChat sends them (encrypted, nested <List> items), and the
// sent event marks the notice's push delivered.
func TestWeChatCallbackSubscribeNotices(t *testing.T) {
	env, phone := newCallbackEnv(t, wechattest.Safe)
	if _, err := phone.ServeTo(env.Handler, wechattest.SubscribePopup("o-sub", map[string]string{"SUB1": "accept", "SUB2": "reject"})); err != nil {
		t.Fatal(err)
	}
	var consents []model.SubscribeConsent
	if err := env.DB.Where("open_id = ?", "o-sub").Order("template_id").Find(&consents).Error; err != nil {
		t.Fatal(err)
	}
	if len(consents) != 2 || consents[0].Status != model.ConsentAccept || consents[0].Scene != "2" || consents[1].Status != model.ConsentReject {
		t.Fatalf("consents %+v", consents)
	}
	p := model.PushMessage{OpenID: "o-sub", Kind: model.PushCaseEvent, Channel: model.ChannelWeChatSubscribe,
		DedupKey: "s:1", ClientMsgID: "cs1", Status: model.StatusSent, NextAttemptAt: env.Clock.Now(), WeChatMsgID: 1700827132819554304}
	if err := env.DB.Create(&p).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := phone.ServeTo(env.Handler, wechattest.SubscribeSent("o-sub", "SUB1", p.WeChatMsgID, 0, "success")); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Take(&p, p.ID).Error; err != nil || p.Status != model.StatusDelivered {
		t.Fatalf("push after the sent event: %+v %v", p, err)
	}
}
