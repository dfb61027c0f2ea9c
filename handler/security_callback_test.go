package handler_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"zsjc/wechat/wechattest"
)

// Finding 8 of the security review: in plaintext mode one captured query
// string was reused with three bodies and created three followers. The
// (timestamp, nonce) pair is bound to the first body seen.
func TestPlaintextCallbackQueryBoundToItsBody(t *testing.T) {
	env, phone := newCallbackEnv(t, wechattest.Plaintext)
	first := wechattest.Event("o-genuine", "subscribe", "")
	first.CreateTime = env.Clock.Now().Unix()
	captured, err := phone.Request(first)
	if err != nil {
		t.Fatal(err)
	}
	body := first.XML()
	post := func(raw []byte) int {
		req := httptest.NewRequest(http.MethodPost, captured.URL.String(), bytes.NewReader(raw))
		req.Header.Set("Content-Type", "text/xml")
		return serve(env, req).Code
	}
	if code := post(body); code != http.StatusOK {
		t.Fatalf("genuine callback: %d", code)
	}
	if code := post(body); code != http.StatusOK {
		t.Errorf("WeChat's retry of the same body: %d", code)
	}
	for _, openid := range []string{"o-forged-1", "o-forged-2"} {
		forged := wechattest.Event(openid, "subscribe", "")
		forged.CreateTime = first.CreateTime
		if code := post(forged.XML()); code != http.StatusForbidden {
			t.Errorf("captured query with another body (%s): %d, want 403", openid, code)
		}
	}
	if n := countUsers(t, env); n != 1 {
		t.Errorf("%d followers recorded, want only the genuine one", n)
	}
	if d := callbacks(t, env.Registry, "duplicate"); d != 1 {
		t.Errorf("%d duplicates, want the retry answered as one", d)
	}
}
