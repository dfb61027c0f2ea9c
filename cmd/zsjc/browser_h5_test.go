package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The H5 parts of TestBrowserJourney that check what a lawyer or party
// sees when something is off: a wrong file, a slot past its cancel
// cut-off, a closed case, an unknown address.

// browserCancelCutoff is the dev server's cancel cut-off in the journey:
// midnight the day before, so every slot of tomorrow is past it and every
// later one is not, whatever the time of day the test runs.
const browserCancelCutoff = "00:00"

// checkUploadTypeError submits a text file named fake.pdf as the 委托书:
// the server's reason shows under that file input only, not a generic
// "输入有误" on every input.
func checkUploadTypeError(b *browser, phone context.Context, caseNo string) {
	fake := filepath.Join(b.t.TempDir(), "fake.pdf")
	if err := os.WriteFile(fake, []byte("this is not a PDF"), 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.do(phone, "upload a fake PDF", // uploads are asked for consent first
		chromedp.WaitVisible(chromedp.CSS(`#consent-uploads`)), chromedp.Click(chromedp.CSS(`#consent-uploads`)),
		chromedp.SetValue(chromedp.CSS(`#lawyer-case-no`), caseNo),
		chromedp.SetUploadFiles(chromedp.CSS(`#material-power_of_attorney`), []string{fake}),
		chromedp.Click(chromedp.CSS(`#lawyer-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#lawyer-form .field-error`)))
	got := step(b, phone, "read the upload error", chromedp.Evaluate[[]string](`(function(){
		var errs = Array.from(document.querySelectorAll('#lawyer-form .field-error'));
		var invalid = Array.from(document.querySelectorAll('#lawyer-form .field.invalid input[type=file]')).map(function(i){return i.id});
		return [errs.map(function(e){return e.dataset.for + '=' + e.textContent}).join('|'), invalid.join(','),
			(document.querySelector('#lawyer-form .form-error')||{}).textContent || ''];
	})()`))
	if !strings.Contains(got[0], "file-power_of_attorney=fake.pdf：文件须为") || strings.Contains(got[0], "输入有误") ||
		strings.Count(got[0], "=") != 1 || got[1] != "material-power_of_attorney" || got[2] != "" {
		b.t.Errorf("upload type error shown as %q on inputs %q (form error %q), want the server's message on the 委托书 input only", got[0], got[1], got[2])
	}
}

// checkPrivacyPage: the lawyer withdraws the consent to the phone number
// (the consent leaves the list) and deletes the account; opened again, the
// account is a new one, without the lawyer's profile.
func checkPrivacyPage(b *browser, phone context.Context, base string) {
	b.do(phone, "privacy page", chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/sandbox/open?next=/h5/privacy"), chromedp.WaitVisible(chromedp.CSS(`#consents li[data-purpose=phone]`)))
	b.shot(phone, "h5-privacy")
	b.do(phone, "withdraw the phone consent",
		chromedp.Click(chromedp.CSS(`button.withdraw-consent[data-purpose=phone]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[type=submit]`)), chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#consents li[data-purpose=uploads]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#consents li[data-purpose=phone]')`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	b.do(phone, "delete the account",
		chromedp.Click(chromedp.CSS(`#delete-account`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[type=submit]`)), chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#account-deleted`)))
	b.do(phone, "a new account after the deletion",
		chromedp.Navigate(base+"/sandbox/open?next=/h5/profile"), chromedp.WaitVisible(chromedp.CSS(`#profile-form`)))
	name := step(b, phone, "the new account's profile", chromedp.Value(chromedp.CSS(`#lawyer-name`)))
	if name != "" {
		b.t.Errorf("after the deletion the profile page still shows the lawyer %q", name)
	}
}

// checkCutoffTrap: a slot past its cancel cut-off is marked 不可取消 in the
// calendar but bookable; the pending request can be withdrawn and made
// again; once confirmed the list says why it can no longer be cancelled.
// The lawyer's confirmed booking of the journey is cancelled first.
func checkCutoffTrap(b *browser, phone, staff context.Context, base, caseURL string) {
	tomorrow := time.Now().In(shanghai(b.t)).AddDate(0, 0, 1).Format("2006-01-02")
	room := "第三阅卷室"
	b.do(staff, "open a slot tomorrow in a new room",
		chromedp.Navigate(base+"/staff/slots"), chromedp.WaitVisible(chromedp.CSS(`#slot-form`)),
		chromedp.SetValue(chromedp.CSS(`#room-name`), room), chromedp.Click(chromedp.CSS(`#room-form button[type=submit]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function(){var s=document.getElementById('slot-room');var o=s&&s.selectedOptions[0];return !!o&&o.textContent.indexOf(%q)>=0})()`, room),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)),
		chromedp.SetValue(chromedp.CSS(`#slot-date`), tomorrow),
		chromedp.Click(chromedp.CSS(`#slot-form button[type=submit]`)), waitContains(`#view`, room))
	b.do(phone, "cancel the confirmed booking",
		chromedp.EmulateViewport(375, 812), chromedp.Navigate(base+"/sandbox/open?next=/h5/appointments"),
		chromedp.WaitVisible(chromedp.CSS(`#reviews li[data-status=confirmed] button.cancel-review`)),
		chromedp.Click(chromedp.CSS(`#reviews li[data-status=confirmed] button.cancel-review`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
		waitGone(`#reviews li[data-status=confirmed]`))
	pick := fmt.Sprintf(`#calendar .slot[data-room=%q]`, room)
	book := func(name string) {
		b.do(phone, name,
			chromedp.Navigate(caseURL+"/review"), chromedp.WaitVisible(chromedp.CSS(pick)),
			chromedp.Click(chromedp.CSS(pick)), waitContains(`#slot-text`, "不能自行取消"),
			chromedp.Click(chromedp.CSS(`#review-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#reviews li[data-status=pending] button.cancel-review`)))
	}
	b.do(phone, "review calendar past the cut-off", chromedp.Navigate(caseURL+"/review"), chromedp.WaitVisible(chromedp.CSS(pick)))
	marked := step(b, phone, "calendar marks the slot", chromedp.Text(chromedp.CSS(pick)))
	if !strings.Contains(marked, "不可取消") {
		b.t.Errorf("a slot past its cancel cut-off reads %q, want it marked 不可取消", marked)
	}
	b.shot(phone, "h5-review-cutoff")
	book("book past the cut-off")
	b.do(phone, "withdraw the pending booking",
		chromedp.Click(chromedp.CSS(`#reviews li[data-status=pending] button.cancel-review`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)),
		waitGone(`#reviews li[data-status=pending]`))
	book("book it again")
	b.do(staff, "confirm the late booking",
		chromedp.Navigate(base+"/staff/reviews"), chromedp.WaitVisible(chromedp.CSS(`#reviews button.confirm`)),
		chromedp.Click(chromedp.CSS(`#reviews button.confirm`)), chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#queue .state.empty`)))
	b.do(phone, "the list says why it can't be cancelled",
		chromedp.Navigate(base+"/h5/appointments"),
		waitContains(`#reviews li[data-status=confirmed] .cancel-note`, "已过取消截止时间"))
	if n := step(b, phone, "no cancel button", chromedp.Evaluate[int](
		`document.querySelectorAll('#reviews li[data-status=confirmed] button').length`)); n != 0 {
		b.t.Errorf("a confirmed booking past its cut-off offers %d buttons", n)
	}
	b.shot(phone, "h5-appointments-cutoff")
	b.do(phone, "back to the sandbox", chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(base+"/sandbox"), chromedp.WaitVisible(chromedp.CSS(`#openid`)))
}

// checkCasePage: the case page shows every procedural field; once staff
// record 审结 it shows 已办结 and no countdown.
func checkCasePage(b *browser, phone, staff context.Context, base, caseURL string) {
	b.do(phone, "case page", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(`#case-info`)))
	labels := step(b, phone, "procedural fields", chromedp.Text(chromedp.CSS(`#case-info`)))
	for _, want := range []string{"案由", "受理时间", "办案期限", "办案部门", "办案进程", "强制措施", "处理结果", "案件类别"} {
		if !strings.Contains(labels, want) {
			b.t.Errorf("case page lacks %s:\n%s", want, labels)
		}
	}
	b.do(staff, "record 审结",
		chromedp.Navigate(base+"/staff/cases"), chromedp.WaitVisible(chromedp.CSS(`#cases a`)),
		openDemoCase(), chromedp.WaitVisible(chromedp.CSS(`#event-form`)),
		chromedp.SetValue(chromedp.CSS(`#event-stage`), "审结"), chromedp.SetValue(chromedp.CSS(`#event-description`), "本案审结。"),
		chromedp.Click(chromedp.CSS(`#event-form button[type=submit]`)), waitContains(`dialog[open]`, "确定记录"),
		chromedp.Click(chromedp.CSS(`dialog[open] button[type=submit]`)), waitContains(`#timeline`, "审结"))
	b.do(phone, "closed case", chromedp.Navigate(caseURL), waitContains(`#case-closed`, "已办结"))
	if n := step(b, phone, "no countdown", chromedp.Evaluate[int](`document.querySelectorAll('#days-left').length`)); n != 0 {
		b.t.Error("a closed case still counts down to its deadline")
	}
	b.shot(phone, "h5-case-closed")
}

// checkNotFoundPages: an unknown address shows a Chinese page with a way
// back, in the H5 pages and the console alike.
func checkNotFoundPages(b *browser, phone, staff context.Context, base string) {
	for _, c := range []struct {
		tab              context.Context
		path, home, seen string // seen: an element of the home page
	}{{phone, "/h5/nope", "/h5/", `#case-tab`}, {staff, "/staff/nope", "/staff/", `#stats`}} {
		b.do(c.tab, "unknown "+c.path, chromedp.Navigate(base+c.path), chromedp.WaitVisible(chromedp.CSS(`#not-found`)))
		text := step(b, c.tab, "read "+c.path, chromedp.Text(chromedp.CSS(`body`)))
		if !strings.Contains(text, "页面不存在") || strings.Contains(text, "not_found") || strings.Contains(text, "{") {
			b.t.Errorf("%s shows %q", c.path, text)
		}
		if c.tab == phone {
			b.shot(phone, "h5-not-found")
		}
		b.do(c.tab, "way back from "+c.path, chromedp.Click(chromedp.CSS(`#go-home`)), chromedp.WaitVisible(chromedp.CSS(c.seen)))
		if loc := step(b, c.tab, "where the way back leads", chromedp.Location()); loc != base+c.home {
			b.t.Errorf("the way back from %s leads to %s, want %s", c.path, loc, base+c.home)
		}
	}
}

// waitGone waits until nothing matches sel.
func waitGone(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.querySelector(%q)`, sel),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}
