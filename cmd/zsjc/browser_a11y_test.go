package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core (testdata/README.md names its version and source),
// run in the journey's pages to check them against WCAG 2.1 A and AA.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeRun runs axe-core on the whole document with the WCAG 2.1 A/AA rules
// and answers the violations as JSON. The page's CSP does not apply to
// DevTools evaluation, so axe runs on the real page as it is served.
const axeRun = `(function(){
	return axe.run(document, {
		runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
		resultTypes: ['violations']
	}).then(function (r) {
		return JSON.stringify(r.violations.map(function (v) {
			return { id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {
				return { target: n.target.join(' '), summary: n.failureSummary };
			}) };
		}));
	});
})()`

// axeViolation is one rule a page breaks, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// blocking reports whether the violation fails the journey: serious or
// critical. Moderate and minor ones are printed only.
func (v axeViolation) blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

// checkA11y runs axe-core on the page tab shows now (with whatever dialog
// or error state it shows) and fails the test on every serious or critical
// violation, naming the page, the rule, the elements and why; then the
// promises of the Z helpers (sharedChecks) and the tap targets (44 px,
// 48 px in 长辈模式). b.do runs it on every page state a
// step leaves the tab in (checkVisited) and b.shot before every
// screenshot, so a page the journey visits is checked without being named
// here. Off the H5 and console pages (the sandbox) it does nothing.
func (b *browser) checkA11y(tab context.Context, name string) {
	b.t.Helper()
	loc := step(b, tab, "location of "+name, chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil || !servicePage(u.Path) {
		return
	}
	if !step(b, tab, "axe-core loaded in "+name, chromedp.Evaluate[bool](`typeof axe === 'object'`)) {
		step(b, tab, "load axe-core in "+name, chromedp.Evaluate[chromedp.Void](axeSource))
	}
	raw := step(b, tab, "axe-core on "+name, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	var found []axeViolation
	if err := json.Unmarshal([]byte(raw), &found); err != nil {
		b.t.Fatalf("axe-core on %s: %v in %q", name, err, raw)
	}
	for _, v := range found {
		var nodes strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&nodes, "\n    %s\n      %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
		msg := fmt.Sprintf("axe-core: %s (%s): %s [%s] %s%s", name, loc, v.ID, v.Impact, v.Help, nodes.String())
		if v.blocking() {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
	if broken := step(b, tab, "dialogs and field errors of "+name, chromedp.Evaluate[[]string](sharedChecks)); len(broken) > 0 {
		b.t.Errorf("%s (%s):\n  %s", name, loc, strings.Join(broken, "\n  "))
	}
	min := 44
	if step(b, tab, "长辈模式 of "+name, chromedp.Evaluate[bool](`document.documentElement.classList.contains('elder')`)) {
		min = 48
	}
	b.tapTargets(tab, name, min)
}

// sharedChecks are what the Z helpers promise beyond axe-core's rules: an
// open dialog is named by its visible title, a field error is read with
// its field (aria-describedby, aria-invalid).
const sharedChecks = `(function(){
	var out = [];
	document.querySelectorAll('dialog[open]').forEach(function (d) {
		var t = document.getElementById(d.getAttribute('aria-labelledby') || '');
		if (!t || !d.contains(t) || !t.textContent.trim()) out.push('an open dialog is not named by its title (aria-labelledby)');
	});
	document.querySelectorAll('.field-error').forEach(function (e) {
		var by = e.id ? document.querySelectorAll('[aria-describedby~="' + e.id + '"][aria-invalid=true]') : [];
		if (!by.length) out.push('the field error «' + e.textContent + '» describes no invalid control (aria-describedby, aria-invalid)');
	});
	return out;
})()`

// tapTargets fails on a control of the page smaller than min CSS pixels in
// height or width (WCAG 2.5.5): buttons, links styled as buttons, the
// header's links, form controls. Links inside running text are exempt.
func (b *browser) tapTargets(tab context.Context, name string, min int) {
	b.t.Helper()
	small := step(b, tab, "tap targets of "+name, chromedp.Evaluate[[]string](fmt.Sprintf(`(function(){
		var sel = 'button, .btn, select, textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), [role=tab], .tabbar a, .topbar a, .segmented a, label:has(input[type=radio]), label:has(input[type=checkbox])';
		return Array.from(document.querySelectorAll(sel)).filter(function (e) {
			var r = e.getBoundingClientRect();
			if (!r.width && !r.height) return false; // not shown
			return r.height < %[1]d - 0.5 || r.width < %[1]d - 0.5;
		}).map(function (e) {
			var r = e.getBoundingClientRect();
			return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : '') +
				' «' + (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 20) + '» ' + Math.round(r.width) + '×' + Math.round(r.height);
		});
	})()`, min)))
	if len(small) > 0 {
		b.t.Errorf("%s: tap targets under %d px:\n  %s", name, min, strings.Join(small, "\n  "))
	}
}

// checkVisited runs checkA11y on the H5 or console page a step left the
// tab on, once per address (path and query) and state: the open dialog,
// the field and form errors, a failure state. A journey that comes back
// to a page as it was does not check it again; screenshots always do.
func (b *browser) checkVisited(tab context.Context, stepName string) {
	b.t.Helper()
	key, err := chromedp.Run(tab, chromedp.Evaluate[string](pageState))
	if err != nil || key == "" {
		return // off the service's pages, or between two documents: the next step checks
	}
	if b.checked == nil {
		b.checked = map[string]bool{}
	}
	if b.checked[key] {
		return
	}
	b.checked[key] = true
	b.checkA11y(tab, "after "+stepName)
}

// pageState names the page and what it shows for checkVisited, or ""
// off the service's pages.
const pageState = `(function(){
	var p = location.pathname;
	if (p.indexOf('/h5/') !== 0 && p.indexOf('/staff/') !== 0) return '';
	var d = document.querySelector('dialog[open] h2');
	return p + location.search + ' elder=' + document.documentElement.classList.contains('elder') + ' dialog=' + (d ? d.textContent : '') +
		' errors=' + document.querySelectorAll('.field-error, .form-error').length +
		' failure=' + !!document.querySelector('#view .state.error:not(.boot-stalled)');
})()`

// servicePage reports whether path is an H5 or console page: the sandbox
// is a developer's tool, not a page of the service.
func servicePage(path string) bool {
	return strings.HasPrefix(path, "/h5/") || strings.HasPrefix(path, "/staff/")
}

// elderAtBody records, in every new document of the tab, whether 长辈模式
// was on when <body> appeared: the shell applies it in <head>, before the
// first paint, or the page would flash in the normal mode first.
const elderAtBody = `new MutationObserver(function (ms, o) {
	if (!document.body) return;
	window.zsjcElderAtBody = document.documentElement.classList.contains('elder');
	o.disconnect();
}).observe(document, { childList: true, subtree: true });`

// checkElderMode switches 长辈模式 on with the header's switch on the case
// page, checks the sizes it promises (body text ≥ 18 px, buttons ≥ 48 px,
// and every tap target through checkA11y), that it is remembered across
// pages and applied before the first paint, runs axe-core in it and
// saves the README's screenshots; then switches it off again.
func checkElderMode(b *browser, phone context.Context, base, caseURL string) {
	b.t.Helper()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	script := step(b, phone, "watch the first paint", chromedp.Action[page.ScriptIdentifier](func(ctx context.Context, t *chromedp.Target) (page.ScriptIdentifier, error) {
		res, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: elderAtBody})
		return res.Identifier, err
	}))
	b.do(phone, "case page in the normal mode", chromedp.Navigate(caseURL), chromedp.WaitVisible(css(`#book-review`)))
	if on := step(b, phone, "normal mode at the first paint", chromedp.Evaluate[bool](`window.zsjcElderAtBody`)); on {
		b.t.Error("长辈模式 is on before anyone switched it on")
	}
	b.do(phone, "switch 长辈模式 on", chromedp.Click(css(`#elder-toggle`)),
		chromedp.WaitReady(css(`html.elder #elder-toggle[aria-pressed=true]`)))
	sizes := step(b, phone, "elder sizes", chromedp.Evaluate[[]float64](`[parseFloat(getComputedStyle(document.body).fontSize),
		document.getElementById('book-review').getBoundingClientRect().height,
		document.getElementById('elder-toggle').getBoundingClientRect().height]`))
	if sizes[0] < 18 || sizes[1] < 48 || sizes[2] < 48 {
		b.t.Errorf("长辈模式: body text %.1f px (want ≥ 18), 预约阅卷 %.1f px and the switch %.1f px high (want ≥ 48)", sizes[0], sizes[1], sizes[2])
	}
	b.shot(phone, "h5-elder-case")
	for _, p := range []struct{ path, ready, shot string }{
		{caseURL + "/review", `#calendar .slot`, "h5-elder-review"},
		{base + "/h5/", `#cases a.row`, "h5-elder-cases"},
		{base + "/h5/bind?role=lawyer", `#lawyer-form`, "h5-elder-bind"},
		{base + "/h5/appointments", `#view h2`, ""},
		{caseURL + "/meeting", `#meeting-form`, ""},
		{base + "/h5/profile", `#profile-form`, ""},
	} {
		b.do(phone, "长辈模式 "+p.path, chromedp.Navigate(p.path), chromedp.WaitVisible(css(p.ready)))
		kept := step(b, phone, "长辈模式 kept on "+p.path, chromedp.Evaluate[[]bool](
			`[window.zsjcElderAtBody, document.documentElement.classList.contains('elder'), document.getElementById('elder-toggle').getAttribute('aria-pressed') === 'true']`))
		if !kept[0] || !kept[1] || !kept[2] {
			b.t.Errorf("长辈模式 on %s: at the first paint %v, now %v, the switch pressed %v; want it remembered from the first paint", p.path, kept[0], kept[1], kept[2])
		}
		if p.path == caseURL+"/review" {
			// One column: every day of the calendar starts at the same x.
			if n := step(b, phone, "calendar columns", chromedp.Evaluate[int](`new Set(Array.from(document.querySelectorAll('#calendar .day')).map(function(d){return Math.round(d.getBoundingClientRect().left)})).size`)); n != 1 {
				b.t.Errorf("长辈模式: the slot calendar has %d columns, want 1", n)
			}
		}
		if p.shot != "" {
			b.shot(phone, p.shot)
		}
	}
	b.do(phone, "switch 长辈模式 off", chromedp.Click(css(`#elder-toggle`)),
		chromedp.WaitReady(css(`html:not(.elder) #elder-toggle[aria-pressed=false]`)), chromedp.Reload(), chromedp.WaitVisible(css(`#profile-form`)))
	if size := step(b, phone, "normal size again", chromedp.Evaluate[float64](`parseFloat(getComputedStyle(document.body).fontSize)`)); size != 16 {
		b.t.Errorf("after switching 长辈模式 off the body text is %.1f px, want 16", size)
	}
	if _, err := chromedp.Call(phone, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: script}); err != nil {
		b.t.Fatal(err)
	}
}

// checkTextSize200 sets the browser's text size to 200 % (Chromium's
// default font size 32 px instead of 16) and opens the H5 pages at 375 px:
// the pages follow it (body text 32 px: sizes are rem, not px) and nothing
// in them runs off the screen sideways or is cut off.
func checkTextSize200(b *browser, phone context.Context, base, caseURL string) {
	b.t.Helper()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fontSize := func(px int64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: px}})
			return err
		})
	}
	b.do(phone, "text size 200 %", chromedp.EmulateViewport(375, 812), fontSize(32))
	for _, p := range []struct{ path, ready string }{
		{base + "/h5/", `#cases a.row`},
		{caseURL, `#timeline`},
		{caseURL + "/review", `#view .card`},
		{caseURL + "/meeting", `#meeting-form`},
		{base + "/h5/bind?role=lawyer", `#lawyer-form`},
		{base + "/h5/appointments", `#view h2`},
		{base + "/h5/profile", `#profile-form`},
	} {
		b.do(phone, "200 % "+p.path, chromedp.Navigate(p.path), chromedp.WaitVisible(css(p.ready)))
		got := step(b, phone, "layout at 200 % of "+p.path, chromedp.Evaluate[[]string](`(function(){
			var out = [getComputedStyle(document.body).fontSize];
			var w = document.documentElement.clientWidth;
			if (document.documentElement.scrollWidth > w + 1) out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px wide in ' + w);
			document.querySelectorAll('body *').forEach(function (e) {
				if (e.closest('.sr-only, .table-wrap') || !e.getClientRects().length) return;
				var r = e.getBoundingClientRect(), st = getComputedStyle(e);
				var what = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' «' + e.textContent.trim().slice(0, 16) + '»';
				if (r.right > w + 1 || r.left < -1) out.push(what + ' runs off the screen (' + Math.round(r.left) + '–' + Math.round(r.right) + ')');
				// A form control's own value scrolls inside it: not cut off.
				if (!e.matches('input, select, textarea') && /hidden|clip/.test(st.overflowX) && e.scrollWidth > e.clientWidth + 1) out.push(what + ' is cut off (' + e.scrollWidth + ' px of text in ' + e.clientWidth + ')');
			});
			return out;
		})()`))
		if got[0] != "32px" {
			b.t.Errorf("at 200 %% text size %s has %s body text, want 32px (sizes in rem of the browser's text size)", p.path, got[0])
		}
		if len(got) > 1 {
			b.t.Errorf("at 200 %% text size %s:\n  %s", p.path, strings.Join(got[1:], "\n  "))
		}
	}
	// The viewport only: a full-page capture lays the page out again at
	// the default text size.
	png := step(b, phone, "screenshot at 200 %", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(b.shots, "h5-profile-text-200.png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do(phone, "text size 100 %", fontSize(16))
}

// checkDialogFocus opens the dialog the button opener opens and checks
// what Z.dialog promises: named by its title, the focus inside it, Tab
// and Shift+Tab cycling within it, Escape closing it and putting the focus
// back on the opener.
func checkDialogFocus(b *browser, tab context.Context, opener string) {
	b.t.Helper()
	inside := `(function(){var d=document.querySelector('dialog[open]');return !!d&&d.contains(document.activeElement)})()`
	b.do(tab, "open the dialog of "+opener, chromedp.Click(chromedp.CSS(opener)), chromedp.WaitVisible(chromedp.CSS(`dialog[open]`)))
	if !step(b, tab, "focus in the dialog", chromedp.Evaluate[bool](inside)) {
		b.t.Errorf("the dialog of %s opens without the focus in it", opener)
	}
	stops := step(b, tab, "stops in the dialog", chromedp.Evaluate[int](`document.querySelectorAll('dialog[open] input, dialog[open] select, dialog[open] textarea, dialog[open] button').length`))
	for i, shift := range []bool{false, true} {
		var opts []chromedp.KeyOption
		if shift {
			opts = append(opts, chromedp.KeyModifiers(kb.ModifierShift))
		}
		for n := 0; n < stops+2; n++ {
			b.do(tab, fmt.Sprintf("tab %d of %s", n, opener), chromedp.KeyEvent(kb.Tab, opts...))
			if !step(b, tab, "focus still in the dialog", chromedp.Evaluate[bool](inside)) {
				b.t.Errorf("the dialog of %s lets the focus out after %d presses of %s", opener, n+1, []string{"Tab", "Shift+Tab"}[i])
				break
			}
		}
	}
	b.do(tab, "close the dialog of "+opener, chromedp.KeyEvent(kb.Escape), waitGone(`dialog[open]`))
	if back := step(b, tab, "focus after the dialog", chromedp.Evaluate[bool](fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, opener))); !back {
		b.t.Errorf("closing the dialog of %s does not put the focus back on it", opener)
	}
}

// checkTabsKeyboard: the binding page's 当事人/律师 choice is a tab list
// (Z.tabs) the keyboard works: the arrow keys move the selection and the
// focus, and show the selected tab's panel only.
func checkTabsKeyboard(b *browser, phone context.Context) {
	b.t.Helper()
	state := `(function(){var t=document.activeElement;return [t.getAttribute('role')||'', t.getAttribute('aria-selected')||'', t.textContent,
		document.getElementById(t.getAttribute('aria-controls')||'x') ? String(document.getElementById(t.getAttribute('aria-controls')).hidden) : 'no panel',
		String(document.querySelectorAll('[role=tabpanel]:not([hidden])').length)]})()`
	b.do(phone, "focus the selected tab", chromedp.Focus(chromedp.CSS(`[role=tab][aria-selected=true]`)))
	for _, k := range []struct{ key, want string }{{kb.ArrowLeft, "我是当事人/近亲属"}, {kb.ArrowRight, "我是律师"}} {
		b.do(phone, "arrow key on the tab list", chromedp.KeyEvent(k.key))
		got := step(b, phone, "tab list after "+k.want, chromedp.Evaluate[[]string](state))
		if got[0] != "tab" || got[1] != "true" || got[2] != k.want || got[3] != "false" || got[4] != "1" {
			b.t.Errorf("after an arrow key the focus is on %q (role %q, selected %q, its panel hidden %s, %s panels shown), want the selected tab %q showing its panel only",
				got[2], got[0], got[1], got[3], got[4], k.want)
		}
	}
}
