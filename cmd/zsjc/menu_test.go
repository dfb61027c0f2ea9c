package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zsjc/wechat/wechattest"
)

type pushedMenu struct {
	Button []struct {
		Type      string `json:"type"`
		Name      string `json:"name"`
		Key       string `json:"key"`
		URL       string `json:"url"`
		SubButton []struct {
			Type string `json:"type"`
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"sub_button"`
	} `json:"button"`
}

func TestMenuPushCreatesTheShippedMenu(t *testing.T) {
	p := wechattest.NewFor("wxmenutest0000001", "menu-secret")
	srv := httptest.NewServer(p)
	defer srv.Close()
	vars := map[string]string{
		"ZSJC_DATA_DIR": t.TempDir(), "ZSJC_WECHAT_APPID": "wxmenutest0000001", "ZSJC_WECHAT_SECRET": "menu-secret",
		"ZSJC_WECHAT_TOKEN": "tok", "ZSJC_WECHAT_API_BASE": srv.URL, "ZSJC_PUBLIC_URL": "https://zsjc.example.gov.cn",
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"menu", "push", "-f", "../../config/menu.yaml"}, func(k string) string { return vars[k] }, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "3 buttons") {
		t.Fatalf("output %q", out.String())
	}
	var m pushedMenu
	if err := json.Unmarshal(p.Menu(), &m); err != nil {
		t.Fatalf("menu %s: %v", p.Menu(), err)
	}
	if len(m.Button) != 3 || m.Button[0].Name != "业务办理" || m.Button[1].Name != "案件公开" ||
		m.Button[2].Type != "click" || m.Button[2].Key != "HELP" {
		t.Fatalf("menu = %s", p.Menu())
	}
	var names []string
	for _, b := range m.Button[:2] {
		for _, s := range b.SubButton {
			names = append(names, s.Name)
			if s.Type != "view" || !strings.HasPrefix(s.URL, "https://zsjc.example.gov.cn/h5/login?next=%2Fh5%2F") {
				t.Errorf("%s links %s %q", s.Name, s.Type, s.URL)
			}
		}
	}
	if got := strings.Join(names, ","); got != "律师服务,当事人服务,我的预约,我的申请,投诉建议,案件查询,法律文书,重要案件" {
		t.Fatalf("sub buttons %s", got)
	}
}

func TestLoadMenuRefusesBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"four buttons":  "buttons: [{name: a, type: click, key: A}, {name: b, type: click, key: B}, {name: c, type: click, key: C}, {name: d, type: click, key: D}]",
		"no key":        "buttons: [{name: a, type: click}]",
		"foreign page":  "buttons: [{name: a, type: view, page: //evil.example/x}]",
		"page and url":  "buttons: [{name: a, type: view, page: /h5/, url: https://x.example/}]",
		"nested subs":   "buttons: [{name: a, sub_buttons: [{name: b, sub_buttons: [{name: c, type: click, key: C}]}]}]",
		"long name":     "buttons: [{name: 这是一个非常长的菜单名称, type: click, key: A}]",
		"not yaml":      "buttons: [",
		"typed parent":  "buttons: [{name: a, type: click, key: A, sub_buttons: [{name: b, type: click, key: B}]}]",
		"relative url":  "buttons: [{name: a, type: view, url: /h5/}]",
		"empty":         "buttons: []",
		"unknown type":  "buttons: [{name: a, type: scancode_push, key: A}]",
		"six sub items": "buttons: [{name: a, sub_buttons: [{name: b, type: click, key: B}, {name: b, type: click, key: B}, {name: b, type: click, key: B}, {name: b, type: click, key: B}, {name: b, type: click, key: B}, {name: b, type: click, key: B}]}]",
	} {
		path := filepath.Join(t.TempDir(), "menu.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadMenu(path, "https://zsjc.example.gov.cn"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestDevSandboxWithoutConfiguration starts a dev server with no WeChat
// settings: the fake platform runs on it, menu push and callbacks reach it.
func TestDevSandboxWithoutConfiguration(t *testing.T) {
	in := startInstance(t, nil)
	wx := in.app.wx
	if wx.sandbox == nil || !strings.HasSuffix(wx.cfg.APIBase, "/sandbox/wx") {
		t.Fatalf("no sandbox: %+v", wx.cfg)
	}
	port := in.url[strings.LastIndex(in.url, ":")+1:]
	vars := map[string]string{"ZSJC_MODE": "dev", "ZSJC_ADDR": "127.0.0.1:" + port, "ZSJC_DATA_DIR": t.TempDir()}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"menu", "push"}, func(k string) string { return vars[k] }, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(wx.sandbox.Menu(), []byte("业务办理")) {
		t.Fatalf("the running sandbox has no menu: %s", wx.sandbox.Menu())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	phone := wechattest.CallbackClient{Token: wx.cfg.Token, AppID: wx.cfg.AppID, EncodingAESKey: wx.cfg.AESKey,
		Mode: wechattest.Safe, Target: in.url + "/wechat/callback"}
	reply, err := phone.Send(ctx, wechattest.Text("o-dev", "帮助", 1))
	if err != nil || !strings.Contains(reply.Content, "使用帮助") {
		t.Fatalf("callback: %+v, %v", reply, err)
	}
	if !strings.HasPrefix(wx.client.AuthCodeURL("http://localhost/auth", "s"), wx.cfg.OpenBase+"/connect/oauth2/authorize?") {
		t.Fatal("OAuth does not go to the sandbox")
	}
	id, err := wx.client.Exchange(ctx, wx.sandbox.IssueCode("o-dev"))
	if err != nil || id.OpenID != "o-dev" {
		t.Fatalf("Exchange through the sandbox: %+v, %v", id, err)
	}
}
