package main

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// checkStatsPages opens the 统计 page (tiles, the two server-drawn charts,
// the per-unit table) and the 通报 page of the current month, and prints
// the 通报 as the A4 page the print stylesheet makes of it.
func checkStatsPages(b *browser, staff context.Context, base string) {
	b.t.Helper()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	imagesLoaded := chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll('.charts img')).every(function(i){return i.complete&&i.naturalWidth>0})&&document.querySelectorAll('.charts img').length>0`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
	b.do(staff, "statistics page", chromedp.EmulateViewport(1366, 900),
		chromedp.Navigate(base+"/staff/stats"), chromedp.WaitVisible(css(`#stats-tiles`)),
		waitContains(`#stats-table`, "受理案件"), imagesLoaded)
	tile := step(b, staff, "read a tile", chromedp.Text(css(`#tile-cases_accepted .n`)))
	if tile == "" || tile == "—" {
		b.t.Errorf("cases accepted tile shows %q", tile)
	}
	b.shot(staff, "staff-stats")

	month := time.Now().In(shanghai(b.t)).Format("2006-01")
	b.do(staff, "monthly report", chromedp.Navigate(base+"/staff/reports?month="+month),
		waitContains(`#report-title`, "检察机关案件信息公开工作情况通报（"), chromedp.WaitVisible(css(`#report-table tbody tr`)),
		chromedp.WaitVisible(css(`#plan-form`)))
	b.shot(staff, "staff-report")
	if _, err := chromedp.Call(staff, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		b.t.Fatal(err)
	}
	hidden := step(b, staff, "print layout", chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('nav.side')).display==='none'&&getComputedStyle(document.querySelector('#report-filters')).display==='none'`))
	if !hidden {
		b.t.Error("the print layout still shows the navigation or the filters")
	}
	b.shot(staff, "staff-report-print")
	if _, err := chromedp.Call(staff, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		b.t.Fatal(err)
	}
}
