package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/chromedp/chromedp"
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
				return { target: n.target.join(' '), impact: n.impact, summary: n.failureSummary };
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
		Impact  string `json:"impact"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// blocking reports whether the violation fails the journey: serious or
// critical. Moderate and minor ones are printed only.
func (v axeViolation) blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

// checkA11y runs axe-core on the page tab shows now (with whatever dialog
// or error state it shows) and fails the test on every serious or critical
// violation, naming the page, the rule, the elements and why. On H5 pages
// it also measures the tap targets (tapTargets). b.do runs it on every
// page a step leaves the tab on and b.shot before every screenshot, so a
// page the journey visits is checked without being named here.
func (b *browser) checkA11y(tab context.Context, page string) {
	b.t.Helper()
	loc := step(b, tab, "location of "+page, chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil || !servicePage(u.Path) {
		return
	}
	if !step(b, tab, "axe-core loaded in "+page, chromedp.Evaluate[bool](`typeof axe === 'object'`)) {
		step(b, tab, "load axe-core in "+page, chromedp.Evaluate[chromedp.Void](axeSource))
	}
	raw := step(b, tab, "axe-core on "+page, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	var found []axeViolation
	if err := json.Unmarshal([]byte(raw), &found); err != nil {
		b.t.Fatalf("axe-core on %s: %v in %q", page, err, raw)
	}
	for _, v := range found {
		var nodes strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&nodes, "\n    %s\n      %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
		msg := fmt.Sprintf("axe-core: %s (%s): %s [%s] %s%s", page, loc, v.ID, v.Impact, v.Help, nodes.String())
		if v.blocking() {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
	if strings.HasPrefix(u.Path, "/h5/") {
		b.tapTargets(tab, page, 44)
	}
}

// tapTargets fails on a control of the page smaller than min CSS pixels in
// height or width (WCAG 2.5.5): buttons, links styled as buttons, the
// header's links, form controls. Links inside running text are exempt.
func (b *browser) tapTargets(tab context.Context, page string, min int) {
	b.t.Helper()
	small := step(b, tab, "tap targets of "+page, chromedp.Evaluate[[]string](fmt.Sprintf(`(function(){
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
		b.t.Errorf("%s: tap targets under %d px:\n  %s", page, min, strings.Join(small, "\n  "))
	}
}

// checkVisited runs checkA11y on the H5 or console page a step left the
// tab on, once per address (path and query): a journey that comes back to
// a page does not check it again; screenshots and explicit checks always
// run it.
func (b *browser) checkVisited(tab context.Context, step string) {
	b.t.Helper()
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		return
	}
	u, err := url.Parse(loc)
	if err != nil || !servicePage(u.Path) {
		return
	}
	key := u.Path + "?" + u.RawQuery
	if b.checked == nil {
		b.checked = map[string]bool{}
	}
	if b.checked[key] {
		return
	}
	b.checked[key] = true
	b.checkA11y(tab, "after "+step)
}

// servicePage reports whether path is an H5 or console page: the sandbox
// is a developer's tool, not a page of the service.
func servicePage(path string) bool {
	return strings.HasPrefix(path, "/h5/") || strings.HasPrefix(path, "/staff/")
}
