package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"zsjc/pdfmark/pdfmarktest"
)

// checkOnlineFileReview: the lawyer applies for online file review from
// the case page; staff upload a PDF and approve with two downloads per
// file; the approval reaches the phone as a push; after a fresh login the
// request page shows the password once; a download is watermarked on
// every page and opens with that password; past the limit the page says
// the downloads are used up (410).
func checkOnlineFileReview(b *browser, phone, staff context.Context, base, caseURL string) {
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	dossier := filepath.Join(b.t.TempDir(), "电子卷宗.pdf")
	if err := os.WriteFile(dossier, pdfmarktest.Document(3), 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.do(phone, "apply for online file review", chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/sandbox/open?next="+strings.TrimPrefix(caseURL, base)), chromedp.WaitVisible(css(`#request-efile`)),
		chromedp.Click(css(`#request-efile`)), chromedp.WaitVisible(css(`#efile-form`)),
		chromedp.SetValue(css(`#efile-note`), "申请查阅电子卷宗"),
		chromedp.Click(css(`#efile-form button[type=submit]`)), chromedp.WaitVisible(css(`#efile-detail[data-status=pending]`)))
	requestURL := step(b, phone, "request url", chromedp.Location())
	id := requestURL[strings.LastIndex(requestURL, "/")+1:]
	if _, err := strconv.Atoi(id); err != nil {
		b.t.Fatalf("after applying the phone is at %s", requestURL)
	}

	b.do(staff, "upload the electronic file", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/staff/efile-requests"), chromedp.WaitVisible(css(`#efiles button.upload-efile`)),
		chromedp.Click(css(`#efiles button.upload-efile`)), chromedp.WaitVisible(css(`#efile-file`)),
		chromedp.SetUploadFiles(css(`#efile-file`), []string{dossier}),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), waitContains(`#efiles`, "3 页"))
	b.do(staff, "approve with two downloads per file",
		chromedp.Click(css(`#efiles button.approve`)), chromedp.WaitVisible(css(`#efile-limit`)),
		chromedp.SetValue(css(`#efile-limit`), "2"),
		chromedp.Click(css(`dialog[open] button[type=submit]`)), chromedp.WaitVisible(css(`#queue .state.empty`)),
		chromedp.Navigate(base+"/staff/efile-requests?status=approved"), waitContains(`#efiles`, "每个文件 2 次"))
	b.shot(staff, "staff-efile")

	b.do(phone, "the approval push", chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(base+"/sandbox"), waitContains(`#chat`, "阅卷申请结果通知"))
	b.do(phone, "fresh login: the password once", chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/sandbox/open?next=/h5/efile-requests/"+id), chromedp.WaitVisible(css(`#efile-password`)),
		waitContains(`#efile-files`, "还可下载 2 次"))
	b.shot(phone, "h5-efile")
	password := step(b, phone, "read the password", chromedp.Text(css(`#efile-password .password`)))
	b.do(phone, "the password is shown once", chromedp.Reload(), chromedp.WaitVisible(css(`#efile-password-note`)))

	fileID := step(b, phone, "file id", chromedp.Evaluate[string](`document.querySelector('#efile-files li').dataset.file`))
	fetchFile := fmt.Sprintf(`fetch('/api/h5/efile-requests/%s/files/%s').then(function(r){
		return r.arrayBuffer().then(function(buf){var s='',a=new Uint8Array(buf);for(var i=0;i<a.length;i++)s+=String.fromCharCode(a[i]);
		return r.status+' '+btoa(s)})})`, id, fileID)
	got := step(b, phone, "download a copy", chromedp.Evaluate[string](fetchFile, chromedp.EvalAwaitPromise))
	status, body, _ := strings.Cut(got, " ")
	pdf, err := base64.StdEncoding.DecodeString(body)
	if status != "200" || err != nil {
		b.t.Fatalf("download: %s %v %.200q", status, err, pdf)
	}
	pages, err := pdfmarktest.WatermarkText(pdf, password)
	if err != nil || len(pages) != 3 {
		b.t.Fatalf("the download does not open with the page's password: %d pages, %v", len(pages), err)
	}
	day := time.Now().In(shanghai(b.t)).Format("2006-01-02")
	for i, text := range pages {
		for _, want := range []string{"王律师", "11101201810123456", "北京某某律师事务所", day, "第 " + id + " 号"} {
			if !strings.Contains(text, want) {
				b.t.Errorf("page %d of the download lacks %q in its watermark %q", i+1, want, text)
			}
		}
	}
	if _, err := pdfmarktest.WatermarkText(pdf, ""); err == nil {
		b.t.Error("the download opens without a password")
	}
	if got := step(b, phone, "the second copy", chromedp.Evaluate[string](fetchFile, chromedp.EvalAwaitPromise)); !strings.HasPrefix(got, "200 ") {
		b.t.Errorf("second download: %.80s", got)
	}
	// The page still offers the file: the third download is refused (410) by the file.
	b.do(phone, "the limit is reached",
		chromedp.Click(css(`#efile-files button`)), chromedp.WaitVisible(css(`#efile-files .form-error`)),
		waitContains(`#efile-files .form-error`, "下载次数已用完"))
	b.shot(phone, "h5-efile-gone")
	b.do(phone, "no downloads left", chromedp.Reload(), waitContains(`#efile-files`, "还可下载 0 次"))

	b.do(staff, "the download log",
		chromedp.Navigate(base+"/staff/efile-requests?status=approved"), chromedp.WaitVisible(css(`#efiles button.downloads`)),
		chromedp.Click(css(`#efiles button.downloads`)), chromedp.WaitVisible(css(`#efile-downloads`)),
		waitCount(`#efile-downloads tbody tr`, 2), chromedp.Click(css(`dialog[open] button.secondary`)))
	b.do(phone, "back to the sandbox", chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(base+"/sandbox"), chromedp.WaitVisible(css(`#openid`)))
}
