package wechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/testenv"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// fleet is a fake platform and two instances' clients sharing one cache
// (two Redis clients on the same keys when ZSJC_TEST_REDIS_ADDR is set).
type fleet struct {
	platform *wechattest.Platform
	server   *httptest.Server
	a, b     *wechat.Client
}

func newFleet(t *testing.T) fleet {
	t.Helper()
	p := wechattest.New()
	// Mounted under a prefix, as the dev sandbox mounts it.
	mux := http.NewServeMux()
	mux.Handle("/sandbox/wx/", http.StripPrefix("/sandbox/wx", p))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	first, another := testenv.CacheWithPrefix(t)
	client := func(c cache.Store) *wechat.Client {
		cl, err := wechat.NewClient(wechat.Config{AppID: p.AppID(), Secret: p.Secret(), Cache: c,
			APIBase: srv.URL + "/sandbox/wx", OpenBase: srv.URL + "/sandbox/wx"})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	return fleet{platform: p, server: srv, a: client(first), b: client(another())}
}

// each runs fn n times concurrently on each instance.
func (f fleet) each(n int, fn func(c *wechat.Client, i int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range 2 * n {
		c := f.a
		if i%2 == 1 {
			c = f.b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(c, i)
		}()
	}
	wg.Wait()
	return errs
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccessTokenOneRequestPerExpiryAcrossInstances(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	tokens := make([]string, 40)
	noErrors(t, f.each(20, func(c *wechat.Client, i int) (err error) {
		tokens[i], err = c.AccessToken(ctx)
		return err
	}))
	if n := f.platform.TokenRequests(); n != 1 {
		t.Fatalf("40 concurrent askers on 2 instances made %d token requests, want 1", n)
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("instances got different tokens: %q vs %q", tok, tokens[0])
		}
	}

	// The platform expires the token; every send meets 42001 at once.
	f.platform.ExpireTokens()
	noErrors(t, f.each(20, func(c *wechat.Client, i int) error {
		_, err := c.SendTemplate(ctx, wechat.TemplateMessage{ToUser: "o1", TemplateID: "T",
			ClientMsgID: fmt.Sprint("m", i), Data: map[string]string{"thing1": "x"}})
		return err
	}))
	if n := f.platform.TokenRequests(); n != 2 {
		t.Fatalf("after expiry the fleet made %d token requests in all, want 2", n)
	}
	if n := len(f.platform.Sent()); n != 40 {
		t.Fatalf("platform recorded %d messages, want 40", n)
	}
}

func TestInvalidTokenIsRefreshedAndRetriedOnce(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	msg := wechat.TemplateMessage{ToUser: "o1", TemplateID: "T", ClientMsgID: "c1", Data: map[string]string{"k": "v"}}
	f.platform.FailNext(40001, 1)
	id, err := f.a.SendTemplate(ctx, msg)
	if err != nil || id == 0 {
		t.Fatalf("send after one 40001: id %d, err %v", id, err)
	}
	// The stable token is still current, so the platform hands out the
	// refused token again: one forced refresh replaces it.
	if n, forced := f.platform.TokenRequests(), f.platform.ForcedRefreshes(); n != 3 || forced != 1 {
		t.Fatalf("token requests = %d (%d forced), want 3: first token, ask again after 40001, one forced refresh", n, forced)
	}

	// Two 40001 in a row: one retry only, then the error comes back typed.
	f.platform.FailNext(40001, 2)
	msg.ClientMsgID = "c2"
	_, err = f.b.SendTemplate(ctx, msg)
	var ae *wechat.APIError
	if !asAPIError(err, &ae) || ae.Code != 40001 {
		t.Fatalf("err = %v, want APIError 40001", err)
	}
	if n := f.platform.TokenRequests(); n != 5 {
		t.Fatalf("token requests = %d, want 5 (one refresh for the one retry)", n)
	}
	if n := len(f.platform.Sent()); n != 1 {
		t.Fatalf("platform recorded %d messages, want 1", n)
	}

	f.platform.FailNext(43004, 1)
	msg.ClientMsgID = "c3"
	if _, err = f.a.SendTemplate(ctx, msg); !asAPIError(err, &ae) || ae.ErrCode() != 43004 {
		t.Fatalf("err = %v, want APIError 43004", err)
	}
	if n := f.platform.TokenRequests(); n != 5 {
		t.Fatalf("43004 must not refresh the token: %d token requests", n)
	}
}

// TestOneForcedRefreshPerRefusedToken: twenty sends on two instances meet
// 40001 with the same token at once; the fleet forces one refresh, not
// twenty (the platform allows few a day), and every send then goes out.
func TestOneForcedRefreshPerRefusedToken(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	if _, err := f.a.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	// Every first attempt is in flight before any recovery is done.
	f.platform.SetLatency(50 * time.Millisecond)
	f.platform.FailNext(40001, 20)
	noErrors(t, f.each(10, func(c *wechat.Client, i int) error {
		_, err := c.SendTemplate(ctx, wechat.TemplateMessage{ToUser: "o1", TemplateID: "T",
			ClientMsgID: fmt.Sprint("f", i), Data: map[string]string{"thing1": "x"}})
		return err
	}))
	if forced := f.platform.ForcedRefreshes(); forced != 1 {
		t.Fatalf("%d forced refreshes, want 1", forced)
	}
	if n := len(f.platform.Sent()); n != 20 {
		t.Fatalf("%d messages sent, want 20", n)
	}
}

// TestForeignTokenCallerDoesNotBreakSends: another system of the same
// account keeps calling GET /cgi-bin/token. That rotates client_credential
// tokens (the old one lives five more minutes), but not the stable token
// the fleet uses: sends keep working hours later with no refresh at all.
func TestForeignTokenCallerDoesNotBreakSends(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	send := func(c *wechat.Client, id string) {
		t.Helper()
		if _, err := c.SendTemplate(ctx, wechat.TemplateMessage{ToUser: "o1", TemplateID: "T", ClientMsgID: id,
			Data: map[string]string{"thing1": "x"}}); err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
	}
	send(f.a, "before")
	foreign := func() {
		t.Helper()
		q := url.Values{"grant_type": {"client_credential"}, "appid": {f.platform.AppID()}, "secret": {f.platform.Secret()}}
		resp, err := http.Get(f.server.URL + "/sandbox/wx/cgi-bin/token?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var ans struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if ans.AccessToken == "" {
			t.Fatal("the foreign caller got no token")
		}
	}
	ours := f.platform.TokenRequests()
	for i := range 6 {
		foreign()
		f.platform.Advance(10 * time.Minute) // past the five-minute grace each time
		send([]*wechat.Client{f.a, f.b}[i%2], fmt.Sprint("after-", i))
	}
	if n := f.platform.TokenRequests() - ours - 6; n != 0 || f.platform.ForcedRefreshes() != 0 {
		t.Fatalf("the fleet asked for %d tokens (%d forced) while a foreign caller rotated its own", n, f.platform.ForcedRefreshes())
	}
}

func TestJSTicketSharedAcrossInstances(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	noErrors(t, f.each(10, func(c *wechat.Client, _ int) error {
		tk, err := c.JSTicket(ctx)
		if err == nil && tk == "" {
			err = fmt.Errorf("empty ticket")
		}
		return err
	}))
	if n := f.platform.TicketRequests(); n != 1 {
		t.Fatalf("ticket requests = %d, want 1", n)
	}
}

func TestOAuthThroughOpenBase(t *testing.T) {
	f := newFleet(t)
	u := f.a.AuthCodeURL("https://zsjc.example/auth/wechat/callback", "st8")
	if !strings.HasPrefix(u, f.server.URL+"/sandbox/wx/connect/oauth2/authorize?appid=") ||
		!strings.Contains(u, "scope=snsapi_base") || !strings.HasSuffix(u, "#wechat_redirect") {
		t.Fatalf("AuthCodeURL = %s", u)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(strings.TrimSuffix(u, "#wechat_redirect") + "&openid=o-oauth")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || loc.Query().Get("state") != "st8" || loc.Host != "zsjc.example" {
		t.Fatalf("authorize redirected to %v (%v)", loc, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := f.b.Exchange(ctx, loc.Query().Get("code"))
	if err != nil || id.OpenID != "o-oauth" {
		t.Fatalf("Exchange = %+v, %v", id, err)
	}
	var ae *wechat.APIError
	if _, err := f.a.Exchange(ctx, loc.Query().Get("code")); !asAPIError(err, &ae) || ae.Code != 40163 {
		t.Fatalf("second exchange of a code: %v", err)
	}
}

func TestSDKCacheAdapter(t *testing.T) {
	c := wechat.SDKCache{Store: testenv.Cache(t)}
	if c.IsExist("k") || c.Get("k") != nil {
		t.Fatal("missing key reported present")
	}
	if err := c.Set("k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if c.Get("k") != "v" || !c.IsExist("k") {
		t.Fatalf("Get = %v", c.Get("k"))
	}
	if err := c.Delete("k"); err != nil || c.IsExist("k") {
		t.Fatalf("Delete: %v", err)
	}
}

func TestPlatformLatencyMeetsTheCallersDeadline(t *testing.T) {
	f := newFleet(t)
	if _, err := f.a.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.platform.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.a.SendTemplate(ctx, wechat.TemplateMessage{ToUser: "o1", TemplateID: "T", ClientMsgID: "slow"}); err == nil {
		t.Fatal("a send slower than the deadline succeeded")
	}
	f.platform.SetLatency(0)
	if n := len(f.platform.Sent()); n != 0 {
		t.Fatalf("the abandoned send was recorded %d times", n)
	}
}

// TestSubscribeNoticesAndTemplateListing: bizsend reaches a user who
// accepted the template and answers its msgid; one who did not gets
// 43101; the template listings name each template's fields.
func TestSubscribeNoticesAndTemplateListing(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	f.platform.Consent("o-yes", true, "SUB")
	msg := wechat.SubscribeMessage{ToUser: "o-yes", TemplateID: "SUB", Page: "https://x.example/h5/", Data: map[string]string{"thing1": "王某盗窃案"}}
	id, err := f.a.SendSubscribe(ctx, msg)
	if err != nil || id == 0 {
		t.Fatalf("send: %d %v", id, err)
	}
	if got := f.platform.SentSubscribes(); len(got) != 1 || got[0].MsgID != id || got[0].Data["thing1"] != "王某盗窃案" || got[0].Page != msg.Page {
		t.Fatalf("recorded %+v", got)
	}
	msg.ToUser = "o-no"
	var ae *wechat.APIError
	if _, err := f.b.SendSubscribe(ctx, msg); !errors.As(err, &ae) || ae.Code != wechat.ErrCodeSubscribeRefused {
		t.Fatalf("not accepted: %v", err)
	}
	f.platform.SetTemplate(wechattest.Template{ID: "TPL", Content: "案件名称：{{thing1.DATA}}\n时间：{{ time3.DATA }}"})
	f.platform.SetTemplate(wechattest.Template{ID: "SUB", Content: "{{phrase2.DATA}}", Subscribe: true})
	fields, err := f.a.TemplateFields(ctx, true)
	if err != nil || !slices.Equal(fields["TPL"], []string{"thing1", "time3"}) || !slices.Equal(fields["SUB"], []string{"phrase2"}) {
		t.Fatalf("fields %v, %v", fields, err)
	}
	if only, err := f.a.TemplateFields(ctx, false); err != nil || len(only) != 1 {
		t.Fatalf("template messages only: %v, %v", only, err)
	}
}
