package wechattest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"zsjc/wechat/wechattest"
)

func call(t *testing.T, h http.Handler, method, target, body string) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %d %q", method, target, rec.Code, rec.Body)
	}
	return out
}

func errcode(m map[string]any) int {
	f, _ := m["errcode"].(float64)
	return int(f)
}

func TestPlatformTokenAndTemplateSend(t *testing.T) {
	p := wechattest.New()
	if got := call(t, p, "GET", "/cgi-bin/token?grant_type=client_credential&appid="+wechattest.AppID+"&secret=wrong", ""); errcode(got) != 40125 {
		t.Fatalf("wrong secret answered %v", got)
	}
	tok := call(t, p, "GET", "/cgi-bin/token?grant_type=client_credential&appid="+wechattest.AppID+"&secret="+wechattest.Secret, "")["access_token"].(string)
	send := func(token, clientID string) map[string]any {
		return call(t, p, "POST", "/cgi-bin/message/template/send?access_token="+token,
			`{"touser":"o1","template_id":"T","data":{"thing1":{"value":"v"}},"client_msg_id":"`+clientID+`"}`)
	}
	if got := send("bogus", "c1"); errcode(got) != 40001 {
		t.Fatalf("unknown token answered %v", got)
	}
	first, again := send(tok, "c1"), send(tok, "c1")
	if errcode(first) != 0 || first["msgid"] != again["msgid"] {
		t.Fatalf("resend with the same client_msg_id: %v then %v", first, again)
	}
	p.FailNext(43004, 2)
	if a, b, c := send(tok, "c2"), send(tok, "c2"), send(tok, "c2"); errcode(a) != 43004 || errcode(b) != 43004 || errcode(c) != 0 {
		t.Fatalf("injected failures: %v %v %v", a, b, c)
	}
	if sent := p.Sent(); len(sent) != 2 || sent[0].Data["thing1"] != "v" || sent[1].ClientMsgID != "c2" {
		t.Fatalf("Sent() = %+v", sent)
	}
	p.ExpireTokens()
	if got := send(tok, "c3"); errcode(got) != 42001 {
		t.Fatalf("expired token answered %v", got)
	}
	if n := p.TokenRequests(); n != 2 {
		t.Fatalf("TokenRequests() = %d, want 2", n)
	}
}

func TestPlatformOAuthCodesAreSingleUse(t *testing.T) {
	p := wechattest.New()
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest("GET", "/connect/oauth2/authorize?appid="+wechattest.AppID+
		"&redirect_uri="+url.QueryEscape("http://h5.example/auth/wechat/callback")+"&response_type=code&scope=snsapi_base&state=s1&openid=o-lawyer", nil))
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil || loc.Query().Get("state") != "s1" {
		t.Fatalf("authorize: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	exchange := "/sns/oauth2/access_token?grant_type=authorization_code&appid=" + wechattest.AppID + "&secret=" + wechattest.Secret + "&code="
	if got := call(t, p, "GET", exchange+loc.Query().Get("code"), ""); got["openid"] != "o-lawyer" {
		t.Fatalf("exchange: %v", got)
	}
	if got := call(t, p, "GET", exchange+loc.Query().Get("code"), ""); errcode(got) != 40163 {
		t.Fatalf("second exchange of a code: %v", got)
	}
	if got := call(t, p, "GET", exchange+p.IssueCode("o2"), ""); got["openid"] != "o2" {
		t.Fatalf("IssueCode exchange: %v", got)
	}
}
