package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"zsjc/config"
	"zsjc/service"
)

// TestBrowserJourney walks the newcomer's sandbox journey in a real
// Chromium against the server `go run ./cmd/zsjc` starts (dev mode: SQLite,
// in-process cache, fake WeChat platform, push worker): a lawyer follows
// the account on the sandbox phone and chats, registers and binds the demo
// case with a power of attorney, staff approve in the console and open a
// reading-room slot, the lawyer books it, staff confirm, and the pushes
// appear on the phone. It saves a 375 px screenshot of every H5 page and of
// the staff dashboard, and fails on any JavaScript error and on any page
// that is not accessible (checkA11y: axe-core's WCAG 2.1 A/AA rules, tap
// targets; 长辈模式, 200 % text size and dialog focus on their own).
//
// Chromium is Debian's (/usr/bin/chromium). Without it the test skips,
// unless ZSJC_REQUIRE_BROWSER=1 (CI), where it fails.
func TestBrowserJourney(t *testing.T) {
	chromium := findChromium(t)
	if testing.Short() {
		t.Skip("browser journey: skipped in -short mode")
	}
	base, out := startDevServer(t)
	password := printedPassword(t, out, "admin")
	shots := screenshotDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"), chromedp.WindowSize(1280, 900),
		chromedp.Env("TZ=Asia/Shanghai")) // a phone in China: times typed are office time
	defer cancelAlloc()

	errs := &jsErrors{}
	phone := newTab(t, alloc, errs, "phone")
	b := &browser{t: t, shots: shots}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// Follow the account on the sandbox phone and talk to it.
	b.do(phone, "open the sandbox",
		chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(base+"/sandbox"),
		chromedp.WaitReady(css(`#openid option[value="o-sandbox-lawyer"]`)),
		chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('openid');s.value='o-sandbox-lawyer';s.dispatchEvent(new Event('change'));})()`),
		chromedp.WaitVisible(css(`#follow`)),
		chromedp.Click(css(`#follow`)),
		chromedp.WaitVisible(css(`.bubble.them`)),
		chromedp.WaitVisible(css(`#menu .menu-btn`)),
		chromedp.SendKeys(css(`#text`), "帮助"),
		chromedp.Click(css(`#send button[type=submit]`)),
		waitCount(`.bubble.them`, 2),
	)
	// The error listener works: an uncaught exception in a page is seen.
	b.do(phone, "throw a probe error", chromedp.Evaluate[chromedp.Void](`setTimeout(function(){throw new Error('zsjc-probe')})`))
	for deadline := time.Now().Add(5 * time.Second); !errs.take("zsjc-probe"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an uncaught exception in the page was not reported: the JavaScript error check is blind")
		}
	}
	replies := step(b, phone, "read the replies", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.bubble.them')).map(function(e){return e.textContent.trim()})`))
	if len(replies) < 2 || replies[0] == "" || replies[1] == "" {
		t.Fatalf("phone shows no replies to follow and 帮助: %q", replies)
	}
	b.shot(phone, "sandbox-phone")

	// Register as a lawyer; the form shows the API's field errors first.
	b.do(phone, "profile page", chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/sandbox/open?next=/h5/profile"), chromedp.WaitVisible(css(`#profile-form`)))
	b.shot(phone, "h5-profile")
	b.do(phone, "profile field errors", // the phone number is asked for consent first
		chromedp.WaitVisible(css(`#consent-phone`)), chromedp.Click(css(`#consent-phone`)),
		chromedp.SendKeys(css(`#license-no`), "123"), chromedp.Click(css(`#profile-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#profile-form .field-error`)))
	b.do(phone, "save profile",
		chromedp.SetValue(css(`#lawyer-name`), "王律师"), chromedp.SetValue(css(`#license-no`), "11101201810123456"),
		chromedp.SetValue(css(`#firm`), "北京某某律师事务所"), chromedp.SetValue(css(`#phone`), "13800138000"),
		chromedp.Click(css(`#profile-form button[type=submit]`)), chromedp.WaitVisible(css(`#profile-form .form-ok`)))

	// Bind the demo case with a power of attorney.
	attorney := filepath.Join(t.TempDir(), "委托书.pdf")
	if err := os.WriteFile(attorney, minimalPDF, 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(phone, "bind page", chromedp.Navigate(base+"/h5/bind?role=lawyer"), chromedp.WaitVisible(css(`#lawyer-form`)))
	b.shot(phone, "h5-bind")
	checkTabsKeyboard(b, phone)
	checkUploadTypeError(b, phone, service.DemoCaseNo)
	b.do(phone, "bind field errors", chromedp.Click(css(`#lawyer-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#lawyer-form .field-error`)))
	b.do(phone, "bind as lawyer",
		chromedp.SetValue(css(`#lawyer-case-no`), service.DemoCaseNo),
		chromedp.SetUploadFiles(css(`#material-power_of_attorney`), []string{attorney}),
		chromedp.Click(css(`#lawyer-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#bind-result`)))

	// Staff log in, see the request on the dashboard and approve it.
	staff := newTab(t, phone, errs, "staff") // a second tab of the same browser
	// The console runs in New York: every date it shows and saves must still
	// be the office's (Asia/Shanghai) date.
	b.do(staff, "New York time zone", timeZone("America/New_York"))
	b.do(staff, "staff login page", chromedp.EmulateViewport(1280, 900))
	var totpSecret string
	consoleLogin(b, staff, base, "admin", password, &totpSecret)
	b.do(staff, "staff dashboard", chromedp.WaitVisible(css(`#stats`)), waitText(`#pending-bindings .n`, "1"))
	b.do(staff, "dashboard at 375 px", chromedp.EmulateViewport(375, 812), waitText(`#overdue .n`, "0"))
	b.shot(staff, "staff-dashboard")
	b.do(staff, "binding queue", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/staff/bindings"), chromedp.WaitVisible(css(`#bindings button.approve`)))
	b.shot(staff, "staff-bindings")
	license := step(b, staff, "the queue shows the 执业证号", chromedp.Text(css(`#bindings .license`)))
	if !strings.Contains(license, "11101201810123456") {
		t.Errorf("binding queue shows %q, want the lawyer's 执业证号", license)
	}
	b.do(staff, "approve the binding", chromedp.Click(css(`#bindings button.approve`)), chromedp.WaitVisible(css(`dialog[open] button[type=submit]`)))
	// A stray Enter must not approve: the confirmation focuses 取消.
	if focused := step(b, staff, "focus in the confirmation", chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "取消" {
		t.Errorf("the approval confirmation focuses %q, want 取消", focused)
	}
	b.do(staff, "approve", chromedp.Click(css(`dialog[open] button[type=submit]`)), chromedp.WaitVisible(css(`#queue .state.empty`)),
		chromedp.Navigate(base+"/staff/bindings?status=approved"), chromedp.WaitVisible(css(`#bindings button.revoke`)))

	// Staff open a reading-room slot on the next working day but one.
	day := nextWorkingDay(time.Now().In(shanghai(t)).AddDate(0, 0, 2))
	// A second reading room opens at the same time as the seeded one.
	roomPicked := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function(){var s=document.getElementById('slot-room');var o=s&&s.selectedOptions[0];return !!o&&o.value!==''&&o.textContent.indexOf(%q)>=0})()`, name),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
	}
	b.do(staff, "open a slot in a new room",
		chromedp.Navigate(base+"/staff/slots"), chromedp.WaitVisible(css(`#slot-form`)), roomPicked("第一阅卷室"),
		chromedp.SetValue(css(`#room-name`), "第二阅卷室"), chromedp.SetValue(css(`#room-address`), "本院东楼二层"),
		chromedp.Click(css(`#room-form button[type=submit]`)), roomPicked("第二阅卷室"),
		chromedp.SetValue(css(`#slot-date`), day), chromedp.Click(css(`#slot-form button[type=submit]`)),
		waitContains(`#slot-calendar`, "第二阅卷室"))
	b.shot(staff, "staff-slots")

	// The lawyer sees the case, its timeline, and books the slot.
	b.do(phone, "my cases", chromedp.Navigate(base+"/h5/"), chromedp.WaitVisible(css(`#cases a.row`)))
	b.shot(phone, "h5-cases")
	b.do(phone, "case detail", chromedp.Click(css(`#cases a.row`)), chromedp.WaitVisible(css(`#timeline`)),
		chromedp.WaitVisible(css(`#days-left`)),
		// The unit handling the case, with its contact details; one tap calls it.
		waitContains(`#case-unit`, "江西省人民检察院"), waitContains(`#case-unit`, "丰和中大道"),
		waitContains(`#case-unit`, "工作日"))
	if href := step(b, phone, "unit phone link", chromedp.Evaluate[string](`document.getElementById('unit-phone').getAttribute('href')`)); href != "tel:079188880000" {
		t.Errorf("the unit's phone links to %q, want tel:079188880000", href)
	}
	b.shot(phone, "h5-case")
	// The lawyer accepts case-progress subscribe notices (the sandbox plays WeChat's popup).
	b.do(phone, "subscribe to case notices", chromedp.Click(css(`#subscribe-sandbox`)), chromedp.WaitVisible(css(`#subscribed`)))
	caseURL := step(b, phone, "case url", chromedp.Location())
	b.do(phone, "meeting form", chromedp.Navigate(caseURL+"/meeting"), chromedp.WaitVisible(css(`#meeting-form`)),
		waitContains(`#meeting-hours`, "09:00-12:00"))
	b.shot(phone, "h5-meeting")
	b.do(phone, "meeting field errors", chromedp.Click(css(`#meeting-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#meeting-form .field-error`)))
	b.do(phone, "request a meeting",
		chromedp.SetValue(css(`#time1`), day+"T10:00"), chromedp.SetValue(css(`#time2`), day+"T15:00"),
		chromedp.SetValue(css(`#meeting-note`), "提交辩护意见"),
		chromedp.Click(css(`#meeting-form button[type=submit]`)), chromedp.WaitVisible(css(`#meetings li`)))
	b.do(phone, "review calendar", chromedp.Navigate(caseURL), chromedp.WaitVisible(css(`#book-review`)),
		chromedp.Click(css(`#book-review`)), chromedp.WaitVisible(css(`#calendar .slot:not(.full)`)))
	// Both rooms open that morning: each slot names its room and address.
	dayRooms := step(b, phone, "rooms on the slots", chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('#calendar .day')).filter(function(d){return d.querySelector('.date').textContent===%q})
		  .flatMap(function(d){return Array.from(d.querySelectorAll('.slot')).map(function(b){return b.textContent})})`, day[5:])))
	joined := strings.Join(dayRooms, "|")
	if !strings.Contains(joined, "第一阅卷室") || !strings.Contains(joined, "第二阅卷室本院东楼二层") || !strings.Contains(joined, "丰和中大道") {
		t.Errorf("slots of %s do not name their rooms and addresses: %q", day, dayRooms)
	}
	b.do(phone, "scroll to the two rooms", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`Array.from(document.querySelectorAll('#calendar .day')).filter(function(d){return d.querySelector('.date').textContent===%q})[0].scrollIntoView()`, day[5:])))
	b.shot(phone, "h5-slots-rooms")
	b.shot(phone, "h5-review")
	checkElderMode(b, phone, base, caseURL)
	checkTextSize200(b, phone, base, caseURL)
	b.do(phone, "review calendar again", chromedp.Navigate(caseURL+"/review"), chromedp.WaitVisible(css(`#calendar .slot:not(.full)`)))
	// The slot staff opened (cancellable: its cut-off is still ahead).
	b.do(phone, "book the slot", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`Array.from(document.querySelectorAll('#calendar .day')).filter(function(d){
			return d.querySelector('.date').textContent === %q})[0].querySelector('.slot:not(.full)').click()`, day[5:])),
		chromedp.Click(css(`#review-form button[type=submit]`)), chromedp.WaitVisible(css(`#reviews li`)))
	b.shot(phone, "h5-appointments")
	b.do(phone, "the booking page shows the live booking", chromedp.Navigate(caseURL+"/review"),
		chromedp.WaitVisible(css(`#existing-review`)), waitContains(`#existing-review`, "待审核"))

	// Staff confirm the booking.
	b.do(staff, "confirm the review",
		chromedp.Navigate(base+"/staff/reviews"), chromedp.WaitVisible(css(`#reviews button.confirm`)),
		chromedp.Click(css(`#reviews button.confirm`)), chromedp.WaitVisible(css(`dialog[open] button[type=submit]`)),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), chromedp.WaitVisible(css(`#queue .state.empty`)))

	// Staff confirm the meeting with a time and a place; the lawyer cancels it.
	b.do(staff, "confirm the meeting",
		chromedp.Navigate(base+"/staff/meetings"), chromedp.WaitVisible(css(`#meetings button.confirm`)),
		chromedp.Click(css(`#meetings button.confirm`)), chromedp.WaitVisible(css(`#meeting-place`)),
		chromedp.SetValue(css(`#meeting-place`), "本院第二接待室"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), chromedp.WaitVisible(css(`#queue .state.empty`)))
	b.do(phone, "my appointments", chromedp.Navigate(base+"/h5/appointments"), waitContains(`#meetings`, "本院第二接待室"))
	checkDialogFocus(b, phone, `#meetings button.danger`)
	b.do(phone, "cancel the meeting",
		chromedp.Navigate(base+"/h5/appointments"), waitContains(`#meetings`, "本院第二接待室"),
		chromedp.Click(css(`#meetings button.danger`)), chromedp.WaitVisible(css(`dialog[open] button[type=submit]`)),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#meetings`, "已取消"))

	complaintJourney(b, phone, staff, base)

	// Staff record a case event and publish a document; every console page renders.
	b.do(staff, "record an event and publish a document",
		chromedp.Navigate(base+"/staff/cases"), chromedp.WaitVisible(css(`#cases a`)),
		openDemoCase(),
		chromedp.WaitVisible(css(`#event-form`)), chromedp.WaitVisible(css(`#party-table`)),
		waitCount(`#event-stage option`, 14), chromedp.WaitVisible(css(`select#case-measure`)),
		chromedp.SetValue(css(`#event-stage`), "提起公诉"), chromedp.SetValue(css(`#event-description`), "本院已向法院提起公诉。"),
		chromedp.Click(css(`#event-form button[type=submit]`)), waitContains(`dialog[open]`, "将向 1 位"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#timeline`, "提起公诉"),
		waitContains(`#timeline`, "工作人员录入"),
		chromedp.SetValue(css(`#doc-title`), "起诉书"), chromedp.SetUploadFiles(css(`#doc-file`), []string{attorney}),
		chromedp.Click(css(`#doc-form button[type=submit]`)), waitContains(`#documents`, "起诉书"))
	b.shot(staff, "staff-case")
	acceptedAt := step(b, staff, "read the case dates", chromedp.Value(css(`#case-accepted_at`)))
	deadline := step(b, staff, "read the deadline", chromedp.Value(css(`#case-deadline`)))
	b.do(staff, "save the case unchanged", chromedp.Click(css(`#case-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#case-form .form-ok`)), chromedp.Reload(), chromedp.WaitVisible(css(`#case-form`)))
	if again := step(b, staff, "read the dates again", chromedp.Value(css(`#case-accepted_at`))); again != acceptedAt {
		t.Errorf("saving the case unchanged in New York moved 受理日期 from %s to %s", acceptedAt, again)
	}
	if again := step(b, staff, "read the deadline again", chromedp.Value(css(`#case-deadline`))); again != deadline {
		t.Errorf("saving the case unchanged in New York moved 办案期限 from %s to %s", deadline, again)
	}
	b.do(staff, "staff accounts", chromedp.Navigate(base+"/staff/users"), chromedp.WaitVisible(css(`#new-user`)))
	checkDialogFocus(b, staff, `#new-user`)
	b.do(staff, "create a staff account",
		chromedp.Navigate(base+"/staff/users"), chromedp.WaitVisible(css(`#new-user`)), chromedp.Click(css(`#new-user`)),
		chromedp.WaitVisible(css(`#new-username`)), chromedp.SetValue(css(`#new-username`), "anguan1"),
		chromedp.SetValue(css(`#new-display-name`), "案管一"), chromedp.SetValue(css(`#new-role`), "case_manager"),
		chromedp.SetValue(css(`#new-password`), "weak"), chromedp.Click(css(`dialog[open] button[type=submit]`)),
		chromedp.WaitVisible(css(`dialog[open] .field-error`)),
		chromedp.SetValue(css(`#new-password`), "Anguan-2026"), chromedp.Click(css(`dialog[open] button[type=submit]`)),
		waitContains(`#user-table`, "anguan1"))
	for _, page := range []string{"/staff/pushes", "/staff/audit", "/staff/users"} {
		b.do(staff, page, chromedp.Navigate(base+page), waitLoaded())
		b.shot(staff, strings.ReplaceAll(strings.Trim(page, "/"), "/", "-"))
	}
	checkStatsPages(b, staff, base)

	// Both decisions reach the phone as template messages.
	b.do(phone, "pushes on the phone", chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(base+"/sandbox"), waitCount(`#chat .tmpl`, 2))
	pushes := step(b, phone, "read the chat", chromedp.Text(css(`#chat`)))
	// Values, and the templates' titles and field names as WeChat shows them.
	for _, want := range []string{"已通过", "已确认", "案件绑定结果通知", "绑定结果", "预约结果通知", "预约事项"} {
		if !strings.Contains(pushes, want) {
			t.Errorf("phone chat lacks a push with %q:\n%s", want, pushes)
		}
	}
	b.shot(phone, "sandbox-pushes")
	// The case event reached the phone as a subscribe notice, and its
	// delivery report (subscribe_msg_sent_event) marked the push delivered.
	b.do(phone, "subscribe notice on the phone", waitContains(`#chat`, "案件进展提醒（订阅通知）"), waitContains(`#chat`, "提起公诉"))
	b.do(staff, "subscribe notice delivered", chromedp.Navigate(base+"/staff/pushes?status=delivered"), waitLoaded(), waitContains(`#pushes`, "案件进展"))

	// The menu opens H5 pages in the phone's webview, logged in as the phone's user.
	b.do(phone, "menu → 我的预约 in the webview",
		chromedp.Click(css(`#menu .menu-item:first-child .menu-btn`)),
		chromedp.WaitVisible(css(`#menu .submenu:not([hidden]) button`)),
		chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#menu .submenu button')).filter(function(b){return b.textContent==='我的预约'})[0].click()`),
		chromedp.WaitVisible(css(`#webview iframe`)),
		chromedp.Poll[chromedp.Void](`(function(){var d=document.getElementById('frame').contentDocument;return !!d&&!!d.querySelector('#reviews li')})()`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	b.shot(phone, "sandbox-webview")

	checkCutoffTrap(b, phone, staff, base, caseURL)
	checkOnlineFileReview(b, phone, staff, base, caseURL)

	// A party binds with name and id number and is approved at once.
	b.do(phone, "party binds",
		chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('openid');s.value='o-sandbox-party';s.dispatchEvent(new Event('change'));})()`),
		chromedp.Poll[chromedp.Void](`document.body.dataset.user === 'o-sandbox-party'`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)),
		// Following through the case's QR code answers with a link to bind it.
		chromedp.Click(css(`#scan button[type=submit]`)), waitContains(`#chat`, "点此绑定该案件"),
		chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll('#chat a')).filter(function(a){return a.textContent==='点此绑定该案件'})[0].click()`),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function(){var d=document.getElementById('frame').contentDocument;var i=d&&d.getElementById('party-case-no');return !!i&&i.value===%q})()`, service.DemoCaseNo),
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)),
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/sandbox/open?next=/h5/bind"), chromedp.WaitVisible(css(`#party-form`)),
		chromedp.SetValue(css(`#party-case-no`), service.DemoCaseNo), chromedp.SetValue(css(`#party-name`), service.DemoParty.Name),
		chromedp.SetValue(css(`#party-id-number`), service.DemoParty.IDNumber),
		chromedp.WaitVisible(css(`#consent-id_number`)), chromedp.Click(css(`#consent-id_number`)),
		chromedp.Click(css(`#party-form button[type=submit]`)), chromedp.WaitVisible(css(`#bind-result`)),
		chromedp.Click(css(`#party-form a.btn`)), chromedp.WaitVisible(css(`#timeline`)),
		waitContains(`#timeline`, "提起公诉"), waitContains(`#documents`, "起诉书"))

	checkCasePage(b, phone, staff, base, caseURL)
	checkNotFoundPages(b, phone, staff, base)
	faultJourney(t, b, newTab(t, staff, errs, "faults"), base)

	// The public pages filter by unit: a 基层院's list holds its own cases.
	b.do(phone, "public cases by unit", chromedp.Navigate(base+"/h5/?tab=important"),
		chromedp.WaitVisible(css(`#unit-filter`)), waitContains(`#public-cases`, "李四涉嫌诈骗案"),
		waitContains(`#public-cases`, "王五涉嫌危险驾驶案"),
		chromedp.SetValue(css(`#unit-filter`), "360102"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('unit-filter').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](`(function(){var l=document.getElementById('public-cases');return !!l&&l.textContent.indexOf('王五')<0&&l.textContent.indexOf('李四')>=0&&location.search.indexOf('unit=360102')>=0})()`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	b.shot(phone, "h5-public-units")

	// A county's case manager sees only its own queue: a binding of the
	// 西湖区 case waits for 西湖区 and is not in 东湖区's queue.
	b.do(phone, "back to the lawyer", chromedp.EmulateViewport(1100, 900), chromedp.Navigate(base+"/sandbox"),
		chromedp.WaitReady(css(`#openid option[value="o-sandbox-lawyer"]`)),
		chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('openid');s.value='o-sandbox-lawyer';s.dispatchEvent(new Event('change'));})()`),
		chromedp.Poll[chromedp.Void](`document.body.dataset.user === 'o-sandbox-lawyer'`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	b.do(phone, "bind the 西湖区 case", chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/sandbox/open?next=/h5/bind%3Frole%3Dlawyer"), chromedp.WaitVisible(css(`#lawyer-form`)),
		chromedp.SetValue(css(`#lawyer-case-no`), "西检刑受〔2026〕1号"),
		chromedp.SetUploadFiles(css(`#material-power_of_attorney`), []string{attorney}),
		chromedp.Click(css(`#lawyer-form button[type=submit]`)), chromedp.WaitVisible(css(`#bind-result`)))
	pendingOf := func(username string) string {
		b.do(staff, "log in as "+username,
			chromedp.Navigate(base+"/staff/login"), chromedp.WaitVisible(css(`#login-form`)),
			chromedp.SetValue(css(`#username`), username), chromedp.SetValue(css(`#password`), printedPassword(t, out, username)),
			chromedp.Click(css(`#login-form button[type=submit]`)), chromedp.WaitVisible(css(`#stats`)),
			chromedp.Poll[chromedp.Void](`(function(){var n=document.querySelector('#pending-bindings .n');return !!n&&/^[0-9]+$/.test(n.textContent)})()`,
				chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
		return step(b, staff, username+"'s pending bindings", chromedp.Text(css(`#pending-bindings .n`)))
	}
	if xihu := pendingOf("xihu"); xihu != "1" {
		t.Errorf("西湖区's case manager has %s pending bindings, want 1", xihu)
	}
	if donghu := pendingOf("donghu"); donghu != "0" {
		t.Errorf("东湖区's case manager sees %s pending bindings of another county, want 0", donghu)
	}
	b.shot(staff, "staff-county-dashboard")
	// The administrator again: a code of the app, now the account is enrolled.
	b.do(staff, "log out", chromedp.Click(css(`#logout`)), chromedp.WaitVisible(css(`#login-form`)))
	consoleLogin(b, staff, base, "admin", password, &totpSecret)
	b.do(staff, "dashboard after the code", chromedp.WaitVisible(css(`#stats`)))
	checkPrivacyPage(b, phone, base)

	if e := errs.list(); len(e) > 0 {
		t.Errorf("pages logged JavaScript errors:\n%s", strings.Join(e, "\n"))
	}
	t.Logf("screenshots: %s", shots)
}

// findChromium returns Debian's Chromium, or skips (fails under
// ZSJC_REQUIRE_BROWSER=1) when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ZSJC_REQUIRE_BROWSER") == "1" {
		t.Fatal("browser tests: no Chromium found (apt-get install -y chromium), and ZSJC_REQUIRE_BROWSER=1 requires it")
	}
	t.Skip("browser tests: no Chromium found (apt-get install -y chromium); skipping")
	return ""
}

// startDevServer runs serve() as `go run ./cmd/zsjc` does with no
// configuration, in a temp data dir on a free loopback port, and returns
// its URL and what it printed (the demo passwords: printedPassword).
func startDevServer(t *testing.T) (base, printed string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	// No ZSJC_PUBLIC_URL, as for a newcomer: the sandbox lives at
	// http://localhost:PORT, which is what serve prints.
	base = fmt.Sprintf("http://localhost:%d", addr.Port)
	// Administrators log in with a second factor, as in production (dev
	// asks none by default).
	env := map[string]string{"ZSJC_ADDR": addr.String(), "ZSJC_DATA_DIR": t.TempDir(), "ZSJC_LOG_LEVEL": "warn",
		"ZSJC_REVIEW_CANCEL_CUTOFF": browserCancelCutoff, "ZSJC_STAFF_2FA": "admins"}
	cfg, err := config.Load(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, out) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "open "+base+"/sandbox") {
		t.Errorf("serve does not print the sandbox URL %s/sandbox:\n%s", base, out.String())
	}
	return base, out.String()
}

// consoleLogin logs username in on the console's login page and, when the
// account owes a second factor, through its step: at the first login it
// enrols the secret the page shows (kept in *secret) and saves the recovery
// codes; later it types a code of *secret. It returns once the console's
// dashboard shows.
func consoleLogin(b *browser, tab context.Context, base, username, password string, secret *string) {
	b.t.Helper()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	b.do(tab, "log in as "+username, chromedp.Navigate(base+"/staff/login"), chromedp.WaitVisible(css(`#login-form`)),
		chromedp.SetValue(css(`#username`), username), chromedp.SetValue(css(`#password`), password),
		chromedp.Click(css(`#login-form button[type=submit]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector('#stats, #code-form')`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	enrol := step(b, tab, "second factor asked?", chromedp.Evaluate[string](
		`document.querySelector('#code-form') ? (document.querySelector('#totp-secret') ? 'enrol' : 'code') : ''`))
	if enrol == "" {
		return
	}
	at := time.Now()
	if enrol == "enrol" {
		b.shot(tab, "staff-2fa-enrol")
		shown := step(b, tab, "read the secret", chromedp.Text(css(`#totp-secret`)))
		*secret = strings.ReplaceAll(shown, " ", "")
	} else {
		b.shot(tab, "staff-2fa-code")
		at = at.Add(30 * time.Second) // the enrolment took this step: the next is accepted too (±1)
	}
	code, err := totp.GenerateCode(*secret, at)
	if err != nil {
		b.t.Fatalf("totp code of %q: %v", *secret, err)
	}
	// An enrolment shows the recovery codes first; a code goes on to the dashboard.
	shown := css(`#stats`)
	if enrol == "enrol" {
		shown = css(`#recovery-codes`)
	}
	b.do(tab, "send the code", chromedp.SetValue(css(`#totp-code`), code), chromedp.Click(css(`#code-form button[type=submit]`)),
		chromedp.WaitVisible(shown))
	if enrol == "enrol" {
		codes := step(b, tab, "the recovery codes", chromedp.Evaluate[int](`document.querySelectorAll('#recovery-codes li').length`))
		if codes != service.RecoveryCodeCount {
			b.t.Errorf("enrolment shows %d recovery codes, want %d", codes, service.RecoveryCodeCount)
		}
		b.shot(tab, "staff-2fa-recovery-codes")
		b.do(tab, "recovery codes saved", chromedp.Click(css(`#recovery-saved`)), chromedp.WaitVisible(css(`#stats`)))
	}
}

// openDemoCase clicks the demo case in the console's case list, not one
// of the demo province's newer cases.
func openDemoCase() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`Array.from(document.querySelectorAll('#cases a')).filter(function(a){return (a.closest('tr')||a).textContent.indexOf(%q)>=0})[0].click()`, service.DemoCaseNo))
}

// printedPassword is the password serve printed for the demo account username.
func printedPassword(t *testing.T, out, username string) string {
	t.Helper()
	m := regexp.MustCompile(`username ` + regexp.QuoteMeta(username) + `\b[^\n]*password (\S+) \(`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no demo password printed for %s:\n%s", username, out)
	}
	return m[1]
}

// screenshotDir is $ZSJC_SCREENSHOT_DIR, or a new temp dir that outlives
// the test so the screenshots can be looked at.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("ZSJC_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "zsjc-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// nextWorkingDay is d, or the Monday after when d falls on a weekend
// (the dev configuration has no holidays).
func nextWorkingDay(d time.Time) string {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format("2006-01-02")
}

// jsErrors collects uncaught exceptions and console.error calls of every tab.
type jsErrors struct {
	mu   sync.Mutex
	errs []string
}

func (e *jsErrors) add(s string) {
	e.mu.Lock()
	e.errs = append(e.errs, s)
	e.mu.Unlock()
}

// take removes the errors that mention s and reports whether there were any.
func (e *jsErrors) take(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	kept := e.errs[:0]
	for _, m := range e.errs {
		if !strings.Contains(m, s) {
			kept = append(kept, m)
		}
	}
	found := len(kept) < len(e.errs)
	e.errs = kept
	return found
}

func (e *jsErrors) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.errs...)
}

// newTab opens a tab (the browser's first when parent is the allocator,
// else another tab of parent's browser) and records its JavaScript errors:
// uncaught exceptions, unhandled rejections and console errors (but not the
// browser's network log: a 422 answer to a bad form is expected).
func newTab(t *testing.T, parent context.Context, errs *jsErrors, name string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError && m.Source != "network" {
				errs.add(fmt.Sprintf("%s: %s (%s:%d)", name, m, m.URL, m.Line))
			}
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s tab: %v", name, err)
	}
	return ctx
}

// timeZone makes the tab's clock run in zone (Chromium's time zone override).
func timeZone(zone string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	})
}

// browser runs steps and names the failing one with the page it was on;
// it checks every page a step leaves a tab on for accessibility
// (checkVisited).
type browser struct {
	t       *testing.T
	shots   string
	checked map[string]bool // addresses checkVisited has checked
}

// stepTimeout bounds one step; the whole journey has five minutes.
const stepTimeout = 20 * time.Second

func (b *browser) do(tab context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	step(b, tab, name, chromedp.Steps(actions...))
	b.checkVisited(tab, name)
}

// step runs one action that yields a value, failing the test with the page
// it was on.
func step[T any](b *browser, tab context.Context, name string, a chromedp.Action[T]) T {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		url, _ := chromedp.Run(tab, chromedp.Location())
		body, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		b.t.Fatalf("%s: %v\non %s:\n%s", name, err, url, body)
	}
	return v
}

// shot checks the page for accessibility (checkA11y) and saves a
// full-page PNG of the tab as name.png.
func (b *browser) shot(tab context.Context, name string) {
	b.t.Helper()
	b.checkA11y(tab, name)
	png := step(b, tab, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitCount waits until sel matches at least n elements.
func waitCount(sel string, n int) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll(%q).length >= %d`, sel, n),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// waitText waits until the element sel shows exactly text.
func waitText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e&&e.textContent.trim()===%q})()`, sel, text),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// waitContains waits until the element sel contains text.
func waitContains(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e&&e.textContent.indexOf(%q)>=0})()`, sel, text),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// waitLoaded waits until a console page has rendered its data (a table or
// an empty state), and fails when it shows the failure state instead.
func waitLoaded() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Poll[chromedp.Void](`!document.querySelector('#view .state.loading') && !!document.querySelector('#view table, #view .state.empty, #view .state.error')`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			msg, err := chromedp.Evaluate[string](`(function(){var e=document.querySelector('#view .state.error');return e?e.textContent:''})()`)(ctx, t)
			if err == nil && msg != "" {
				return fmt.Errorf("page shows a failure: %s", msg)
			}
			return err
		}))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// minimalPDF is a valid one-page PDF, as a lawyer's scanned power of attorney.
var minimalPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
	"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n")

// complaintJourney: the lawyer files a complaint (投诉建议) and follows it
// on its timeline; staff acknowledge it in the 控申 queue; the lawyer rates
// the binding staff approved (我的申请 → 评价), and the rating is listed in
// the console.
func complaintJourney(b *browser, phone, staff context.Context, base string) {
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	b.do(phone, "file a complaint", chromedp.Navigate(base+"/h5/complaints/new"), chromedp.WaitVisible(css(`#complaint-form`)),
		chromedp.Click(css(`#complaint-form button[type=submit]`)), chromedp.WaitVisible(css(`#complaint-form .field-error`)),
		chromedp.SetValue(css(`#complaint-category`), "disclosure_missing"),
		chromedp.SetValue(css(`#complaint-content`), "本案起诉书未向辩护律师公开。"),
		chromedp.Click(css(`#complaint-form button[type=submit]`)), chromedp.WaitVisible(css(`#complaint-steps li`)),
		waitContains(`#complaint`, "应公开未公开"))
	complaintURL := step(b, phone, "complaint url", chromedp.Location())
	b.do(staff, "the 控申 queue",
		chromedp.Navigate(base+"/staff/complaints"), chromedp.WaitVisible(css(`#complaints button.acknowledge`)),
		waitContains(`#complaints`, "本案起诉书未向辩护律师公开"))
	b.shot(staff, "staff-complaints")
	b.do(staff, "acknowledge the complaint",
		chromedp.Click(css(`#complaints button.acknowledge`)), chromedp.WaitVisible(css(`#complaint-note`)),
		chromedp.SetValue(css(`#complaint-note`), "已受理，将在期限内答复"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), chromedp.WaitVisible(css(`#queue .state.empty`)))
	b.do(phone, "the timeline shows the acknowledgement", chromedp.Navigate(complaintURL),
		waitContains(`#complaint-steps`, "已受理，将在期限内答复"))
	b.shot(phone, "h5-complaint")
	b.do(phone, "rate the approved binding", chromedp.Navigate(base+"/h5/requests"),
		chromedp.WaitVisible(css(`#requests button[data-rate^="binding:"]`)),
		chromedp.Click(css(`#requests button[data-rate^="binding:"]`)), chromedp.WaitVisible(css(`#stars-5`)),
		chromedp.Click(css(`#stars-5`)), chromedp.Click(css(`#tag-0`)),
		chromedp.SetValue(css(`#rating-comment`), "审核很快"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#requests`, "已评价：★★★★★"))
	b.shot(phone, "h5-requests")
	b.do(staff, "the rating in the console", chromedp.Navigate(base+"/staff/ratings"),
		waitContains(`#ratings`, "审核很快"), waitContains(`#ratings`, "律师 王**"))
	b.shot(staff, "staff-ratings")
}
