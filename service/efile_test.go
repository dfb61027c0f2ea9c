package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/filestore"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/pdfmark/pdfmarktest"
	"zsjc/service"
)

// efileFixture is an instance with one case of the root unit, a lawyer
// holding an approved binding of it, and case-office staff.
type efileFixture struct {
	t      *testing.T
	env    *handlertest.Env
	ctx    context.Context
	caseID uint64
	lawyer service.UserSession
	staff  service.Actor
}

func newEfileFixture(t *testing.T, opts ...handlertest.Option) *efileFixture {
	t.Helper()
	pdfmarktest.Setup(t)
	env := handlertest.New(t, opts...)
	f := &efileFixture{t: t, env: env, ctx: context.Background()}
	f.caseID = f.newCase("")
	f.lawyer = f.newLawyer("张律师", "11101201010123456", f.caseID)
	f.staff = service.Actor{StaffID: 1, Name: "clerk", Role: model.StaffCaseManager, Scope: service.AllUnits}
	return f
}

func (f *efileFixture) newCase(caseType string) uint64 {
	f.t.Helper()
	var root model.Unit
	if err := f.env.DB.Where("code = ?", model.RootUnitCode).Take(&root).Error; err != nil {
		f.t.Fatal(err)
	}
	c := model.Case{CaseNo: f.env.Unique("京检刑受〔2026〕"), Name: "李某盗窃案", Type: caseType, Stage: "审查起诉",
		AcceptedAt: f.env.Clock.Now(), UnitID: root.ID}
	if err := f.env.DB.Create(&c).Error; err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

// newLawyer is a WeChat user with a lawyer profile and an approved
// binding of every case given, logged in now.
func (f *efileFixture) newLawyer(name, licence string, caseIDs ...uint64) service.UserSession {
	f.t.Helper()
	u := model.WeChatUser{OpenID: f.env.Unique("openid-efile-"), Subscribed: true}
	if err := f.env.DB.Create(&u).Error; err != nil {
		f.t.Fatal(err)
	}
	if err := f.env.DB.Create(&model.LawyerProfile{UserID: u.ID, Name: name, LicenseNo: licence, Firm: "北京市某某律师事务所"}).Error; err != nil {
		f.t.Fatal(err)
	}
	for _, id := range caseIDs {
		var c model.Case
		f.env.DB.Take(&c, id)
		b := model.Binding{UserID: u.ID, CaseID: id, UnitID: c.UnitID, Role: model.RoleLawyer, Status: model.StatusApproved,
			LiveKey: model.LiveKey(u.ID, id)}
		if err := f.env.DB.Create(&b).Error; err != nil {
			f.t.Fatal(err)
		}
	}
	return f.login(u.ID)
}

// login opens a fresh H5 session of the user, as a WeChat login does.
func (f *efileFixture) login(userID uint64) service.UserSession {
	f.t.Helper()
	var u model.WeChatUser
	f.env.DB.Take(&u, userID)
	id, err := f.env.Svc.NewUserSession(f.ctx, u)
	if err != nil {
		f.t.Fatal(err)
	}
	sess, err := f.env.Svc.UserSession(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return sess
}

func (f *efileFixture) request(u service.UserSession, caseID uint64) service.EfileView {
	f.t.Helper()
	v, err := f.env.Svc.RequestEfile(f.ctx, u.UserID, service.EfileInput{CaseID: caseID, Note: "申请线上阅卷"})
	if err != nil {
		f.t.Fatalf("request efile: %v", err)
	}
	return v
}

func (f *efileFixture) addFile(id uint64, pages int) service.EfileFileView {
	f.t.Helper()
	v, err := f.env.Svc.AddEfileFile(f.ctx, f.staff, id, "卷宗第一册.pdf", bytes.NewReader(pdfmarktest.Document(pages)))
	if err != nil {
		f.t.Fatalf("add file: %v", err)
	}
	return v
}

// approved is a request with one file of pages pages, approved with limit.
func (f *efileFixture) approved(u service.UserSession, pages, days, limit int) (service.EfileView, uint64) {
	f.t.Helper()
	r := f.request(u, f.caseID)
	file := f.addFile(r.ID, pages)
	v, err := f.env.Svc.ApproveEfile(f.ctx, f.staff, r.ID, service.EfileDecision{ExpiresDays: &days, DownloadLimit: &limit})
	if err != nil {
		f.t.Fatalf("approve: %v", err)
	}
	return v, file.ID
}

func (f *efileFixture) download(u service.UserSession, id, fileID uint64) ([]byte, error) {
	cp, err := f.env.Svc.DownloadEfile(f.ctx, u.UserID, "203.0.113.9", id, fileID)
	if err != nil {
		return nil, err
	}
	defer cp.Close()
	return io.ReadAll(cp)
}

func (f *efileFixture) password(id uint64) string {
	f.t.Helper()
	var r model.EfileRequest
	f.env.DB.Take(&r, id)
	pw, err := f.env.Sealer.Open(r.PasswordEnc)
	if err != nil {
		f.t.Fatal(err)
	}
	return pw
}

func kindOf(err error) model.Kind {
	var de *model.Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return 0
}

// TestEfileRequestRules: only a lawyer with an approved binding may ask
// (anyone else: the same 404 as an absent case); an excluded case type is
// refused with its reason; the live cap holds.
func TestEfileRequestRules(t *testing.T) {
	f := newEfileFixture(t, handlertest.WithEfileExcluded("未成年人刑事案件"), handlertest.WithLimits(service.Limits{LiveEfiles: 2}))
	stranger := f.newLawyer("王律师", "11101201010654321")
	if _, err := f.env.Svc.RequestEfile(f.ctx, stranger.UserID, service.EfileInput{CaseID: f.caseID}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unbound lawyer: %v, want not found", err)
	}
	if _, err := f.env.Svc.RequestEfile(f.ctx, f.lawyer.UserID, service.EfileInput{CaseID: 999999}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("absent case: %v, want not found", err)
	}
	juvenile := f.newCase("未成年人刑事案件")
	minorLawyer := f.newLawyer("赵律师", "11101201010777777", juvenile)
	_, err := f.env.Svc.RequestEfile(f.ctx, minorLawyer.UserID, service.EfileInput{CaseID: juvenile})
	var de *model.Error
	if !errors.As(err, &de) || de.Kind != model.KindInvalid || !strings.Contains(de.Fields["case_id"], "不提供线上阅卷") {
		t.Errorf("excluded case type: %v, want 422 naming the reason", err)
	}
	v := f.request(f.lawyer, f.caseID)
	if v.Status != model.StatusPending || v.ReplyBy.IsZero() || v.Overdue || v.TimeLeftSeconds == nil {
		t.Errorf("new request: %+v", v)
	}
	f.request(f.lawyer, f.caseID)
	if _, err := f.env.Svc.RequestEfile(f.ctx, f.lawyer.UserID, service.EfileInput{CaseID: f.caseID}); kindOf(err) != model.KindTooMany {
		t.Errorf("third live request: %v, want 429", err)
	}
}

// TestEfileFilesAndApproval: an upload must be a real PDF (magic and
// pdfcpu's validation) and its pages are counted; approval needs a file,
// takes the defaults (15 days, 3 per file) and pushes the expiry; a
// decided request takes no second decision.
func TestEfileFilesAndApproval(t *testing.T) {
	f := newEfileFixture(t)
	r := f.request(f.lawyer, f.caseID)
	if _, err := f.env.Svc.ApproveEfile(f.ctx, f.staff, r.ID, service.EfileDecision{}); kindOf(err) != model.KindConflict {
		t.Fatalf("approve without a file: %v, want 409", err)
	}
	for name, body := range map[string][]byte{"text": []byte("plain text, not a PDF"), "fake": []byte("%PDF-1.7\ngarbage\n%%EOF\n")} {
		if _, err := f.env.Svc.AddEfileFile(f.ctx, f.staff, r.ID, name+".pdf", bytes.NewReader(body)); kindOf(err) != model.KindInvalid {
			t.Errorf("%s upload: %v, want 422", name, err)
		}
	}
	file := f.addFile(r.ID, 4)
	if file.Pages != 4 {
		t.Errorf("pages = %d", file.Pages)
	}
	zero := 0
	if _, err := f.env.Svc.ApproveEfile(f.ctx, f.staff, r.ID, service.EfileDecision{DownloadLimit: &zero}); kindOf(err) != model.KindInvalid {
		t.Errorf("download limit 0: %v, want 422", err)
	}
	v, err := f.env.Svc.ApproveEfile(f.ctx, f.staff, r.ID, service.EfileDecision{})
	if err != nil {
		t.Fatal(err)
	}
	want := f.env.Clock.Now().Add(15 * 24 * time.Hour)
	if v.Status != model.StatusApproved || v.ExpiresAt == nil || !v.ExpiresAt.Equal(want) || v.DownloadLimit != 3 ||
		len(v.Files) != 1 || v.Files[0].DownloadsLeft != 3 || v.Password != "" {
		t.Errorf("approved: %+v", v)
	}
	var push model.PushMessage
	if err := f.env.DB.Where("kind = ? AND dedup_key LIKE ?", model.PushEfileResult, fmt.Sprintf("efile:%d:approved:%%", r.ID)).Take(&push).Error; err != nil {
		t.Fatalf("approval push: %v", err)
	}
	if !strings.Contains(push.Data, "2026-12-17 10:00") {
		t.Errorf("approval push lacks the expiry: %s", push.Data)
	}
	if _, err := f.env.Svc.RejectEfile(f.ctx, f.staff, r.ID, "材料不全"); kindOf(err) != model.KindConflict {
		t.Errorf("reject approved: %v, want 409", err)
	}
	f.addFile(r.ID, 1) // an approved request still takes files
	other := f.request(f.lawyer, f.caseID)
	if _, err := f.env.Svc.RejectEfile(f.ctx, f.staff, other.ID, "  "); kindOf(err) != model.KindInvalid {
		t.Errorf("reject without reason: %v", err)
	}
	rej, err := f.env.Svc.RejectEfile(f.ctx, f.staff, other.ID, "涉及国家秘密，请现场阅卷")
	if err != nil || rej.Status != model.StatusRejected {
		t.Fatalf("reject: %+v %v", rej, err)
	}
	if err := f.env.DB.Where("kind = ? AND data LIKE ?", model.PushEfileResult, "%涉及国家秘密%").Take(&model.PushMessage{}).Error; err != nil {
		t.Errorf("rejection push with reason: %v", err)
	}
	if _, err := f.env.Svc.AddEfileFile(f.ctx, f.staff, other.ID, "x.pdf", bytes.NewReader(pdfmarktest.Document(1))); kindOf(err) != model.KindConflict {
		t.Errorf("file on a rejected request: %v, want 409", err)
	}
	var labels = service.Vocab().AuditActions
	for _, a := range []string{"efile.file", "efile.approved", "efile.rejected", "efile.list", "efile.downloads"} {
		if labels[a] == "" {
			t.Errorf("audit action %s has no label", a)
		}
	}
}

// TestEfileApproveRejectRace: staff approving and rejecting one request at
// once: exactly one decision wins, the others see a state conflict.
func TestEfileApproveRejectRace(t *testing.T) {
	f := newEfileFixture(t)
	r := f.request(f.lawyer, f.caseID)
	f.addFile(r.ID, 1)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = f.env.Svc.ApproveEfile(f.ctx, f.staff, r.ID, service.EfileDecision{})
			} else {
				_, errs[i] = f.env.Svc.RejectEfile(f.ctx, f.staff, r.ID, "另行安排现场阅卷")
			}
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case kindOf(err) != model.KindConflict:
			t.Errorf("unexpected error: %v", err)
		}
	}
	var pushes int64
	f.env.DB.Model(&model.PushMessage{}).Where("kind = ?", model.PushEfileResult).Count(&pushes)
	if won != 1 || pushes != 1 {
		t.Errorf("%d decisions won, %d pushes; want 1 and 1", won, pushes)
	}
}

// TestEfileDownloadLimitRace: N parallel downloads of a file with limit 3:
// exactly 3 copies go out and are logged, the rest are 410; no stamped
// copy is left in the temporary directory.
func TestEfileDownloadLimitRace(t *testing.T) {
	f := newEfileFixture(t)
	r, fileID := f.approved(f.lawyer, 2, 15, 3)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.download(f.lawyer, r.ID, fileID)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case kindOf(err) != model.KindGone:
			t.Errorf("unexpected error: %v", err)
		}
	}
	var logged int64
	f.env.DB.Model(&model.EfileDownload{}).Where("request_id = ?", r.ID).Count(&logged)
	var file model.EfileFile
	f.env.DB.Take(&file, fileID)
	if ok != 3 || logged != 3 || file.Downloads != 3 {
		t.Errorf("%d downloads succeeded, %d logged, count %d; want 3", ok, logged, file.Downloads)
	}
	_, err := f.download(f.lawyer, r.ID, fileID)
	var de *model.Error
	if !errors.As(err, &de) || de.Code != "efile_exhausted" || !strings.Contains(de.Message, "次数已用完") {
		t.Errorf("download past the limit: %v", err)
	}
	if left, _ := os.ReadDir(f.env.Options.EfileTempDir); len(left) != 0 {
		t.Errorf("stamped copies left behind: %v", left)
	}
	page, err := f.env.Svc.EfileDownloads(f.ctx, f.staff, r.ID, service.Paging{})
	if err != nil || page.Total != 3 || page.Items[0].IP != "203.0.113.9" || page.Items[0].Lawyer != "张律师" || page.Items[0].FileName != "卷宗第一册.pdf" {
		t.Errorf("download log: %+v %v", page, err)
	}
}

// TestEfileDownloadIsWatermarkedAndLocked: the downloaded copy carries the
// lawyer's name, licence number, firm, the time and the request number on
// every page, opens with the request's password and not without.
func TestEfileDownloadIsWatermarkedAndLocked(t *testing.T) {
	f := newEfileFixture(t)
	r, fileID := f.approved(f.lawyer, 5, 15, 3)
	pdf, err := f.download(f.lawyer, r.ID, fileID)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := pdfmarktest.WatermarkText(pdf, f.password(r.ID))
	if err != nil {
		t.Fatalf("open with the password: %v", err)
	}
	if len(pages) != 5 {
		t.Fatalf("%d pages, want 5", len(pages))
	}
	want := []string{"张律师", "11101201010123456", "北京市某某律师事务所", "2026-12-02 10:00", fmt.Sprintf("第 %d 号", r.ID)}
	for i, text := range pages {
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("page %d watermark %q lacks %q", i+1, text, w)
			}
		}
	}
	if _, err := pdfmarktest.WatermarkText(pdf, ""); err == nil {
		t.Error("the copy opens without a password")
	}
	if bytes.Contains(pdf, []byte("Case file page")) {
		t.Error("the copy's content is not encrypted")
	}
}

// TestEfileOwnerOnly: another lawyer's request and its files are the same
// 404 as absent ones; a file of another request is 404 too.
func TestEfileOwnerOnly(t *testing.T) {
	f := newEfileFixture(t)
	r, fileID := f.approved(f.lawyer, 1, 15, 3)
	other := f.newLawyer("王律师", "11101201010654321", f.caseID)
	if _, err := f.env.Svc.MyEfile(f.ctx, other, r.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("other's request: %v", err)
	}
	if _, err := f.download(other, r.ID, fileID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("other's file: %v", err)
	}
	mine, _ := f.approved(other, 1, 15, 3)
	if _, err := f.download(other, mine.ID, fileID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("file of another request through one's own: %v", err)
	}
	list, err := f.env.Svc.MyEfiles(f.ctx, other.UserID)
	if err != nil || len(list) != 1 || list[0].ID != mine.ID {
		t.Errorf("own list: %+v %v", list, err)
	}
}

// TestEfilePasswordOncePerFreshLogin: the password is not in the view of a
// session from before the approval; a session started after it sees the
// password in its first view only; the next fresh login sees it once
// more. It is never logged. With a delivery channel, the page never
// shows it.
func TestEfilePasswordOncePerFreshLogin(t *testing.T) {
	f := newEfileFixture(t)
	before := f.lawyer
	r, _ := f.approved(f.lawyer, 1, 15, 3)
	pw := f.password(r.ID)
	if v, _ := f.env.Svc.MyEfile(f.ctx, before, r.ID); v.Password != "" {
		t.Error("a session from before the approval saw the password")
	}
	f.env.Clock.Advance(time.Minute)
	fresh := f.login(f.lawyer.UserID)
	first, err := f.env.Svc.MyEfile(f.ctx, fresh, r.ID)
	if err != nil || first.Password != pw || len(pw) < 8 {
		t.Fatalf("first view after a fresh login: %q (want %q) %v", first.Password, pw, err)
	}
	if again, _ := f.env.Svc.MyEfile(f.ctx, fresh, r.ID); again.Password != "" {
		t.Error("the same session saw the password twice")
	}
	if list, _ := f.env.Svc.MyEfiles(f.ctx, fresh.UserID); list[0].Password != "" {
		t.Error("the list shows the password")
	}
	f.env.Clock.Advance(time.Minute)
	if v, _ := f.env.Svc.MyEfile(f.ctx, f.login(f.lawyer.UserID), r.ID); v.Password != pw {
		t.Error("a later fresh login did not see the password once")
	}
	if again, _ := f.env.Svc.MyEfile(f.ctx, fresh, r.ID); again.Password != "" {
		t.Error("an older session saw the password again after a newer login")
	}
	if strings.Contains(f.env.Logs.String(), pw) {
		t.Error("the password was logged")
	}

	// With SMS: only to a number the lawyer agreed to get texts on.
	sms := &fakeDeliverer{}
	g := newEfileFixture(t, handlertest.WithPasswords(sms))
	unagreed, _ := g.approved(g.lawyer, 1, 15, 3)
	g.env.Clock.Advance(time.Minute)
	if v, _ := g.env.Svc.MyEfile(g.ctx, g.login(g.lawyer.UserID), unagreed.ID); v.Password == "" || v.PasswordSent || len(sms.sent) != 0 {
		t.Errorf("without SMS consent: view %+v, delivered %v", v, sms.sent)
	}
	sealed, err := g.env.Sealer.Seal("13900000777")
	if err != nil {
		t.Fatal(err)
	}
	g.env.DB.Model(&model.WeChatUser{}).Where("id = ?", g.lawyer.UserID).Updates(map[string]any{"phone_enc": sealed, "sms_consent": true})
	r2, _ := g.approved(g.lawyer, 1, 15, 3)
	g.env.Clock.Advance(time.Minute)
	v, _ := g.env.Svc.MyEfile(g.ctx, g.login(g.lawyer.UserID), r2.ID)
	if v.Password != "" || !v.PasswordSent || len(sms.sent) != 1 || sms.sent[0] != g.password(r2.ID) || sms.phones[0] != "13900000777" {
		t.Errorf("with a delivery channel: view %+v, delivered %v", v, sms.sent)
	}
}

type fakeDeliverer struct {
	mu     sync.Mutex
	sent   []string
	phones []string
}

func (d *fakeDeliverer) DeliverPassword(_ context.Context, to service.PasswordRecipient, password string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, password)
	d.phones = append(d.phones, to.Phone)
	return nil
}

// TestEfileExpiryOnTheClock: two days before expiry the lawyer is warned
// once; at expiry downloads are 410, the view says expired before the
// sweep moves the row, and the sweep moves it once. Overdue pending
// requests are counted and flagged.
func TestEfileExpiryOnTheClock(t *testing.T) {
	f := newEfileFixture(t)
	r, fileID := f.approved(f.lawyer, 1, 5, 3)
	warned := func() int64 {
		var n int64
		f.env.DB.Model(&model.PushMessage{}).Where("kind = ?", model.PushEfileExpiring).Count(&n)
		return n
	}
	f.env.Clock.Advance(2 * 24 * time.Hour)
	if _, err := f.env.Svc.SendDueReminders(f.ctx); err != nil || warned() != 0 {
		t.Fatalf("warned three days ahead: %d %v", warned(), err)
	}
	f.env.Clock.Advance(24*time.Hour + time.Minute)
	for range 2 {
		if _, err := f.env.Svc.SendDueReminders(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if warned() != 1 {
		t.Errorf("%d expiry warnings, want 1", warned())
	}
	if _, err := f.download(f.lawyer, r.ID, fileID); err != nil {
		t.Fatalf("download before expiry: %v", err)
	}
	f.env.Clock.Advance(2 * 24 * time.Hour)
	_, err := f.download(f.lawyer, r.ID, fileID)
	var de *model.Error
	if !errors.As(err, &de) || de.Kind != model.KindGone || de.Code != "efile_expired" {
		t.Errorf("download after expiry: %v, want 410 expired", err)
	}
	v, _ := f.env.Svc.MyEfile(f.ctx, f.lawyer, r.ID)
	if v.Status != model.StatusExpired || v.Files[0].DownloadsLeft != 0 {
		t.Errorf("view after expiry: %+v", v)
	}
	if n, err := f.env.Svc.ExpireEfiles(f.ctx); n != 1 || err != nil {
		t.Errorf("expire sweep: %d %v", n, err)
	}
	if n, _ := f.env.Svc.ExpireEfiles(f.ctx); n != 0 {
		t.Errorf("second sweep moved %d", n)
	}
	var row model.EfileRequest
	f.env.DB.Take(&row, r.ID)
	if row.Status != model.StatusExpired {
		t.Errorf("stored status %s", row.Status)
	}

	pending := f.request(f.lawyer, f.caseID)
	f.env.Clock.Advance(6 * 24 * time.Hour)
	counts, err := f.env.Svc.OverdueRequests(f.ctx)
	if err != nil || counts[service.KindEfile] != 1 {
		t.Errorf("overdue count %v %v", counts, err)
	}
	page, _ := f.env.Svc.StaffEfiles(f.ctx, f.staff, "pending", service.Paging{})
	if len(page.Items) != 1 || page.Items[0].ID != pending.ID || !page.Items[0].Overdue || page.Items[0].Lawyer == nil {
		t.Errorf("staff queue: %+v", page.Items)
	}
}

// TestEfileEndsWithTheBinding: revoking the lawyer's binding cancels the
// live request (the request-kinds cascade): downloads are 410.
func TestEfileEndsWithTheBinding(t *testing.T) {
	f := newEfileFixture(t)
	r, fileID := f.approved(f.lawyer, 1, 15, 3)
	var b model.Binding
	f.env.DB.Where("user_id = ? AND case_id = ?", f.lawyer.UserID, f.caseID).Take(&b)
	if _, err := f.env.Svc.RevokeBinding(f.ctx, f.staff, b.ID, "委托关系解除"); err != nil {
		t.Fatal(err)
	}
	var row model.EfileRequest
	f.env.DB.Take(&row, r.ID)
	if row.Status != model.StatusCancelled {
		t.Errorf("status after revocation: %s", row.Status)
	}
	if _, err := f.download(f.lawyer, r.ID, fileID); kindOf(err) != model.KindGone {
		t.Errorf("download after revocation: %v, want 410", err)
	}
}

// TestEfilePasswordClaimRace: parallel first views of one fresh session
// show the password exactly once.
func TestEfilePasswordClaimRace(t *testing.T) {
	f := newEfileFixture(t)
	r, _ := f.approved(f.lawyer, 1, 15, 3)
	f.env.Clock.Advance(time.Minute)
	fresh := f.login(f.lawyer.UserID)
	const n = 6
	shown := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v service.EfileView
			v, errs[i] = f.env.Svc.MyEfile(f.ctx, fresh, r.ID)
			shown[i] = v.Password
		}()
	}
	wg.Wait()
	seen := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("view %d: %v", i, errs[i])
		}
		if shown[i] != "" {
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("the password was shown %d times in one session, want once", seen)
	}
}

// TestEfileFilesGoWithRetention: the PDFs of a request that ended leave
// the file store and the table with the retention pass (a live request's
// stay); the download log still names what was downloaded.
func TestEfileFilesGoWithRetention(t *testing.T) {
	dir := t.TempDir()
	store, err := filestore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newEfileFixture(t, handlertest.WithFiles(store))
	ended, fileID := f.approved(f.lawyer, 2, 1, 3)
	if _, err := f.download(f.lawyer, ended.ID, fileID); err != nil {
		t.Fatal(err)
	}
	live, _ := f.approved(f.lawyer, 1, 30, 3)
	f.env.Clock.Advance(48 * time.Hour)
	if n, err := f.env.Svc.ExpireEfiles(f.ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	// Within the uploads period (180 days) after it ended, nothing goes.
	f.env.Clock.Advance(170 * 24 * time.Hour)
	if early, err := f.env.Svc.ApplyRetention(f.ctx, true); err != nil || early.EfileFiles != 0 {
		t.Fatalf("within the period: %+v %v", early, err)
	}
	f.env.Clock.Advance(11 * 24 * time.Hour)
	dry, err := f.env.Svc.ApplyRetention(f.ctx, true)
	if err != nil || dry.EfileFiles != 1 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	rep, err := f.env.Svc.ApplyRetention(f.ctx, false)
	if err != nil || rep.EfileFiles != 1 {
		t.Fatalf("retention: %+v %v", rep, err)
	}
	var left []model.EfileFile
	f.env.DB.Find(&left)
	if len(left) != 1 || left[0].RequestID != live.ID {
		t.Fatalf("files left %+v, want only the live request's", left)
	}
	if n := countFiles(t, dir); n != 1 {
		t.Fatalf("file store holds %d files, want the live request's one", n)
	}
	log, err := f.env.Svc.EfileDownloads(f.ctx, f.staff, ended.ID, service.Paging{})
	if err != nil || len(log.Items) != 1 || log.Items[0].FileName != "卷宗第一册.pdf" {
		t.Fatalf("download log after retention: %+v %v", log, err)
	}
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
