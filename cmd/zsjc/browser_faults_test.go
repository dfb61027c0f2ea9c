package main

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A fault is what the network does to a request whose path contains a
// rule's text: what a captive portal, a dead link or a broken proxy does.
type fault int

const (
	passThrough  fault = iota
	htmlPage           // 200 with an HTML page (captive portal, firewall notice)
	hang               // never answered
	failLoad           // the connection fails (a script that does not load)
	unauthorized       // 401 whatever the session (a login that does not stick)
	serverError        // 500 with an HTML page (a proxy's error page)
)

// faults intercepts every request of one tab (Fetch domain) and answers
// those a rule matches; it counts the requests of each path.
type faults struct {
	mu    sync.Mutex
	rules map[string]fault
	seen  map[string]int
}

func injectFaults(t *testing.T, b *browser, tab context.Context) *faults {
	t.Helper()
	f := &faults{rules: map[string]fault{}, seen: map[string]int{}}
	paused := chromedp.Events(tab, fetch.RequestPaused)
	b.do(tab, "intercept the network", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		// Every request reaches the interceptor, none is answered from cache.
		if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{})
		return err
	}))
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			u, _ := url.Parse(ev.Request.URL)
			var answer error
			what := f.decide(u.Path)
			switch what {
			case passThrough:
				_, answer = chromedp.Call(tab, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			case htmlPage, serverError:
				code := int64(200)
				if what == serverError {
					code = 502
				}
				_, answer = chromedp.Call(tab, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: code,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
					Body:            []byte("<!doctype html><title>Wi-Fi 登录</title><h1>请先登录 Wi-Fi</h1>")})
			case unauthorized:
				_, answer = chromedp.Call(tab, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: 401,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json; charset=utf-8"}},
					Body:            []byte(`{"error":{"code":"unauthorized","message":"请先登录"}}`)})
			case failLoad:
				_, answer = chromedp.Call(tab, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
			case hang:
			}
			if answer != nil && tab.Err() == nil {
				t.Logf("fault injector: %s: %v", u.Path, answer)
			}
		}
	}()
	return f
}

func (f *faults) decide(path string) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[path]++
	for text, what := range f.rules {
		if strings.Contains(path, text) {
			return what
		}
	}
	return passThrough
}

// set replaces the rules (none: the network works again) and the counts.
func (f *faults) set(rules map[string]fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.seen = rules, map[string]int{}
}

func (f *faults) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[path]
}

// errorState waits until the page shows the error state with text and a
// 重试 button.
func errorState(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(waitContains(`#view .state.error`, text),
		chromedp.WaitVisible(chromedp.CSS(`#view .state.error button`)), waitContains(`#view .state.error button`, "重试"))
}

// acrossNavigations runs a waiting action again when the page navigates
// under it (a login round trip), until it succeeds or the step times out.
func acrossNavigations(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			v, err := a(ctx, t)
			if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context") {
				return v, err
			}
		}
	}
}

// faultJourney walks the pages with the network misbehaving, in a third
// tab of the browser (same cookies: the phone's party and the staff admin
// are logged in), then looks at the console's words, dialogs, corrections
// and what a prosecutor is offered.
func faultJourney(t *testing.T, b *browser, tab context.Context, base string) {
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	f := injectFaults(t, b, tab)

	// A captive portal answers the API with an HTML page: an error, not 「您还没有绑定案件」.
	f.set(map[string]fault{"/api/h5/cases": htmlPage})
	b.do(tab, "H5 behind a captive portal", chromedp.EmulateViewport(375, 812), chromedp.Navigate(base+"/h5/"), errorState("无法识别"))
	if empty := step(b, tab, "no false empty state", chromedp.Evaluate[bool](`!!document.querySelector('#view .state.empty')`)); empty {
		t.Error("the H5 case list shows an empty state for an HTML answer")
	}
	b.shot(tab, "h5-captive-portal")
	f.set(map[string]fault{"/api/staff/bindings": htmlPage})
	b.do(tab, "console behind a captive portal", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/staff/bindings"), errorState("无法识别"))

	// A request that never ends times out into the error state; 重试 works once the network does.
	f.set(map[string]fault{"/api/staff/reviews": hang})
	began := time.Now()
	b.do(tab, "a hanging request", chromedp.Navigate(base+"/staff/reviews"), errorState("长时间没有响应"))
	t.Logf("hanging request: error state after %s", time.Since(began).Round(100*time.Millisecond))
	f.set(nil)
	b.do(tab, "retry after the hang", chromedp.Click(css(`#view .state.error button`)), waitLoaded())

	// The page's script does not load: a message with 重试, not a spinner forever.
	f.set(map[string]fault{"/assets/staff.js": failLoad})
	b.do(tab, "the console script fails to load", chromedp.Navigate(base+"/staff/bindings"), errorState("未能完整加载"))
	f.set(nil)

	// One list of the dashboard fails: that figure and the overdue one are 未知, not 0.
	f.set(map[string]fault{"/api/staff/meetings": serverError})
	b.do(tab, "dashboard with a failed list", chromedp.Navigate(base+"/staff/"),
		waitText(`#pending-meetings .n`, "未知"), waitText(`#overdue .n`, "未知"), waitText(`#pending-reviews .n`, "0"))
	if red := step(b, tab, "zero is not alarm red", chromedp.Evaluate[bool](
		`document.getElementById('failed-pushes').classList.contains('alert') && document.querySelector('#failed-pushes .n').textContent === '0'`)); red {
		t.Error("the dashboard colours a zero count as an alarm")
	}
	b.shot(tab, "staff-dashboard-unknown")
	f.set(nil)

	// The H5 API answers 401 although the WeChat login succeeds: one more login, then a message.
	f.set(map[string]fault{"/api/h5/": unauthorized})
	b.do(tab, "a 401 after a fresh login", chromedp.EmulateViewport(375, 812), chromedp.Navigate(base+"/h5/"), acrossNavigations(errorState("登录未能完成")))
	if n := f.count("/h5/login"); n != 1 {
		t.Errorf("a persistent 401 sent the page through the login %d times, want 1", n)
	}
	b.shot(tab, "h5-login-failed")
	f.set(nil)

	// Dialogs leave the page on Escape: reopening has one of each field, every field labelled.
	b.do(tab, "dialog closed with Escape", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/staff/users"),
		chromedp.WaitVisible(css(`#new-user`)), chromedp.Click(css(`#new-user`)), chromedp.WaitVisible(css(`#new-username`)),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('dialog').length === 0`, chromedp.WithPollingTimeout(stepTimeout)),
		chromedp.Click(css(`#new-user`)), chromedp.WaitVisible(css(`#new-username`)))
	if bad := step(b, tab, "dialog fields", chromedp.Evaluate[string](`(function(){
		if (document.querySelectorAll('dialog').length !== 1 || document.querySelectorAll('#new-username').length !== 1) return 'duplicated dialog';
		return Array.from(document.querySelectorAll('dialog[open] input, dialog[open] select, dialog[open] textarea'))
			.filter(function(e){ return !e.labels || !e.labels.length; }).map(function(e){ return e.name; }).join(',');
	})()`)); bad != "" {
		t.Errorf("reopened dialog: %s", bad)
	}
	// An account for a prosecutor, to look at the console with that role below.
	b.do(tab, "create a prosecutor",
		chromedp.SetValue(css(`#new-username`), "jcg1"), chromedp.SetValue(css(`#new-display-name`), "检察官一"),
		chromedp.SetValue(css(`#new-role`), "prosecutor"), chromedp.SetValue(css(`#new-password`), "Jianchaguan-2026"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#user-table`, "jcg1"))

	// Words, not codes: pushes, the audit log and its filter.
	b.do(tab, "push list in words", chromedp.Navigate(base+"/staff/pushes"), chromedp.WaitVisible(css(`#filters #status`)),
		chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('status');s.value='';s.dispatchEvent(new Event('change',{bubbles:true}));})()`),
		chromedp.WaitVisible(css(`#pushes`)))
	pushes := step(b, tab, "read the push list", chromedp.Text(css(`#pushes`)))
	for _, code := range []string{"event:", "binding:", "review:", "errcode", "case_event"} {
		if strings.Contains(pushes, code) {
			t.Errorf("the push list shows the code %q:\n%s", code, pushes)
		}
	}
	for _, words := range []string{"绑定结果", "律师 王**", "绑定申请 #"} {
		if !strings.Contains(pushes, words) {
			t.Errorf("the push list lacks %q:\n%s", words, pushes)
		}
	}
	b.shot(tab, "staff-pushes")
	b.do(tab, "audit log filtered by a labelled action", chromedp.Navigate(base+"/staff/audit"),
		chromedp.WaitVisible(css(`select#audit-action`)), chromedp.SetValue(css(`#audit-action`), "binding.approved"),
		chromedp.Click(css(`#audit-filters button[type=submit]`)), waitContains(`#audit-table`, "通过绑定"))
	if audit := step(b, tab, "read the audit log", chromedp.Text(css(`#audit-table`))); strings.Contains(audit, "binding.approved") || strings.Contains(audit, "case:") {
		t.Errorf("the audit log shows codes:\n%s", audit)
	}
	b.shot(tab, "staff-audit")

	// Correct a timeline event (no notice), withdraw the document.
	b.do(tab, "correct an event and withdraw a document", chromedp.Navigate(base+"/staff/cases"), chromedp.WaitVisible(css(`#cases a`)),
		openDemoCase(), chromedp.WaitVisible(css(`#timeline button.correct`)),
		chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#timeline li')).filter(function(li){return li.textContent.indexOf('提起公诉')>=0})[0].querySelector('button.correct').click()`),
		chromedp.WaitVisible(css(`#correct-description`)), chromedp.SetValue(css(`#correct-description`), "本院已向区人民法院提起公诉。"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#timeline`, "区人民法院"),
		chromedp.Click(css(`#documents button.withdraw`)), chromedp.WaitVisible(css(`dialog[open] button[type=submit]`)),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#view`, "暂无文书"))
	b.shot(tab, "staff-case")

	// A prosecutor sees only what the role may do, and a plain refusal elsewhere.
	b.do(tab, "log in as a prosecutor", chromedp.Click(css(`#logout`)), chromedp.WaitVisible(css(`#login-form`)),
		chromedp.SendKeys(css(`#username`), "jcg1"), chromedp.SendKeys(css(`#password`), "Jianchaguan-2026"),
		chromedp.Click(css(`#login-form button[type=submit]`)), chromedp.WaitVisible(css(`#stats`)))
	nav := step(b, tab, "the prosecutor's menu", chromedp.Text(css(`#nav`)))
	for _, hidden := range []string{"绑定审核", "推送消息", "审计日志", "用户管理"} {
		if strings.Contains(nav, hidden) {
			t.Errorf("a prosecutor's menu offers %s: %q", hidden, nav)
		}
	}
	if !strings.Contains(nav, "会见申请") {
		t.Errorf("a prosecutor's menu lacks 会见申请: %q", nav)
	}
	b.shot(tab, "staff-prosecutor")
	b.do(tab, "a page the role may not use", chromedp.Navigate(base+"/staff/audit"), waitContains(`#view`, "无权使用"))
	if retry := step(b, tab, "no useless 重试", chromedp.Evaluate[bool](`!!document.querySelector('#view .state.error button')`)); retry {
		t.Error("a refused page offers 重试")
	}
}
