package main

import (
	"context"
	"strings"
	"testing"

	"zsjc/wechat/wechattest"
)

// A reply is read inside WeChat, which cannot follow a relative link: in dev
// without ZSJC_PUBLIC_URL the links name the local address.
func TestDevRepliesCarryAbsoluteLinks(t *testing.T) {
	in := startInstance(t, nil)
	w := in.app.wx.cfg
	cc := wechattest.CallbackClient{Token: w.Token, AppID: w.AppID, EncodingAESKey: w.AESKey, Mode: wechattest.Safe,
		Target: in.url + "/wechat/callback"}
	r, err := cc.Send(context.Background(), wechattest.Text("o-links", "帮助", 7001))
	if err != nil {
		t.Fatal(err)
	}
	want := `href="` + sandboxBase(in.app.cfg) + "/h5/login?next="
	if !strings.HasPrefix(sandboxBase(in.app.cfg), "http://localhost:") || !strings.Contains(r.Content, want) {
		t.Fatalf("reply links are not absolute (want %s…): %s", want, r.Content)
	}
	if strings.Contains(r.Content, `href="/`) {
		t.Fatalf("a relative link is left: %s", r.Content)
	}
}
