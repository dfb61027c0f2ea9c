package service_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/filestore"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/testenv"
)

// TestRetentionRemovesExactlyWhatIsPastItsPeriod ages every kind of record
// on a controlled clock to either side of its period and checks that the
// dry run counts, and the pass removes, exactly the expired ones — files
// included, complaint attachments kept while the complaint is open or
// recently resolved — and that of two instances only one runs the day's pass.
func TestRetentionRemovesExactlyWhatIsPastItsPeriod(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	cache := testenv.Cache(t)
	files, err := filestore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	now := handlertest.Start
	sealer, err := secure.NewSealer(handlertest.TestDataKey)
	if err != nil {
		t.Fatal(err)
	}
	newSvc := func() *service.Service {
		return service.New(service.Deps{DB: db, Cache: cache, Files: files, Sealer: sealer, Now: clock.Now}, service.Options{
			Location: time.UTC, Calendar: model.NewCalendar(nil, nil),
			Retention: service.RetentionDays{Audit: 365, Uploads: 180, Pushes: 90, Callbacks: 30}})
	}
	svc := newSvc()
	daysAgo := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	set := func(row any, id any, col string, at time.Time) {
		t.Helper()
		if err := db.Model(row).Where("id = ?", id).Update(col, at).Error; err != nil {
			t.Fatal(err)
		}
	}

	user := model.WeChatUser{OpenID: "retention-user"}
	db.Create(&user)
	consentToAll(t, svc, user)
	kase := model.Case{CaseNo: "京检刑受〔2026〕901号", Name: "保存期限案", Stage: "受理", AcceptedAt: now}
	db.Create(&kase)
	upload := func(ageDays int, binding model.Status, bindingAgeDays int) model.Upload {
		t.Helper()
		up, err := svc.SaveUpload(ctx, user.ID, "power_of_attorney", "委托书.pdf", bytes.NewReader(append([]byte("%PDF-1.4\n%"), make([]byte, 64)...)))
		if err != nil {
			t.Fatal(err)
		}
		set(&model.Upload{}, up.ID, "created_at", daysAgo(ageDays))
		if binding != "" {
			b := model.Binding{UserID: user.ID, CaseID: kase.ID, Role: model.RoleLawyer, Status: binding, CaseNo: kase.CaseNo}
			if err := db.Create(&b).Error; err != nil {
				t.Fatal(err)
			}
			db.Create(&model.BindingMaterial{BindingID: b.ID, UploadID: up.ID})
			db.Model(&model.Binding{}).Where("id = ?", b.ID).UpdateColumn("updated_at", daysAgo(bindingAgeDays))
		}
		return up
	}
	// attached is an upload of ageDays attached to a complaint in status,
	// last changed complaintAgeDays ago.
	attached := func(ageDays int, status model.Status, complaintAgeDays int) model.Upload {
		t.Helper()
		up := upload(ageDays, "", 0)
		c := model.Complaint{UserID: user.ID, Category: "other", Content: "附件", Status: status, AcknowledgeBy: now, ResultBy: now}
		if err := db.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		db.Create(&model.ComplaintAttachment{ComplaintID: c.ID, UploadID: up.ID})
		db.Model(&model.Complaint{}).Where("id = ?", c.ID).UpdateColumn("updated_at", daysAgo(complaintAgeDays))
		return up
	}
	uploads := map[string]model.Upload{
		"kept: open complaint, 400 days":        attached(400, model.StatusAcknowledged, 400),
		"kept: complaint resolved 10 days ago":  attached(300, model.StatusResolved, 10),
		"gone: complaint resolved 200 days ago": attached(300, model.StatusResolved, 200),
		"gone: never attached, 200 days":        upload(200, "", 0),
		"kept: never attached, 10 days":         upload(10, "", 0),
		"kept: pending binding, 400 days":       upload(400, model.StatusPending, 400),
		"kept: approved binding, 400 days":      upload(400, model.StatusApproved, 400),
		"gone: rejected 200 days ago":           upload(300, model.StatusRejected, 200),
		"kept: revoked 10 days ago":             upload(300, model.StatusRevoked, 10),
		"gone: revoked 181 days ago":            upload(300, model.StatusRevoked, 181),
	}
	pushes := map[string]model.PushMessage{}
	for name, p := range map[string]struct {
		status model.Status
		age    int
	}{"gone: sent": {model.StatusSent, 91}, "gone: failed": {model.StatusFailed, 100}, "gone: delivered": {model.StatusDelivered, 365},
		"kept: queued": {model.StatusQueued, 200}, "kept: recent": {model.StatusDelivered, 89}} {
		row := model.PushMessage{OpenID: user.OpenID, Kind: model.PushCaseEvent, DedupKey: name, ClientMsgID: name, Status: p.status, NextAttemptAt: now}
		db.Create(&row)
		set(&model.PushMessage{}, row.ID, "created_at", daysAgo(p.age))
		pushes[name] = row
	}
	for name, age := range map[string]int{"gone-callback": 31, "kept-callback": 29} {
		db.Create(&model.WeChatCallback{Key: name, CreatedAt: daysAgo(age)})
	}
	for name, age := range map[string]int{"gone-audit": 366, "kept-audit": 364} {
		db.Create(&model.AuditLog{Action: name, At: daysAgo(age)})
	}

	// Consent records: kept three years after they ended; those in force kept.
	for name, c := range map[string]struct{ given, ended int }{
		"gone-consent": {1500, 3*365 + 2}, "kept-consent-ended": {1500, 3*365 - 2}, "kept-consent-live": {2000, -1}} {
		row := model.Consent{Subject: name, Purpose: "phone", Version: "v0", GivenAt: daysAgo(c.given)}
		if c.ended >= 0 {
			ended := daysAgo(c.ended)
			row.EndedAt, row.EndReason = &ended, model.ConsentWithdrawn
		}
		db.Create(&row)
	}

	want := service.RetentionReport{Uploads: 4, Pushes: 3, Callbacks: 1, Audit: 1, Consents: 1}
	dry, err := svc.ApplyRetention(ctx, true)
	if err != nil || dry != want {
		t.Fatalf("dry run = %+v, %v; want %+v", dry, err, want)
	}
	var n int64
	if db.Model(&model.Upload{}).Count(&n); n != int64(len(uploads)) {
		t.Fatalf("the dry run removed uploads: %d left", n)
	}

	// Two instances check at once: one runs the pass.
	other := newSvc()
	var ran atomic.Int32
	var wg sync.WaitGroup
	for _, s := range []*service.Service{svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, did, err := s.RetentionDue(ctx)
			if err != nil {
				t.Error(err)
			}
			if did {
				ran.Add(1)
				if rep != want {
					t.Errorf("pass = %+v, want %+v", rep, want)
				}
			}
		}()
	}
	wg.Wait()
	if ran.Load() != 1 {
		t.Fatalf("%d instances ran the day's pass, want 1", ran.Load())
	}
	if _, did, _ := svc.RetentionDue(ctx); did {
		t.Error("the pass ran twice on one day")
	}

	for name, up := range uploads {
		gone := name[:4] == "gone"
		err := db.Take(&model.Upload{}, up.ID).Error
		if gone != (err == gorm.ErrRecordNotFound) {
			t.Errorf("%s: row lookup %v", name, err)
		}
		f, err := files.Open(ctx, up.FileKey)
		if err == nil {
			f.Close()
		}
		if gone != (err != nil) {
			t.Errorf("%s: file open %v", name, err)
		}
	}
	var links int64
	db.Model(&model.BindingMaterial{}).Count(&links)
	if links != 3 {
		t.Errorf("%d binding materials left, want the 3 kept", links)
	}
	db.Model(&model.ComplaintAttachment{}).Count(&links)
	if links != 2 {
		t.Errorf("%d complaint attachments left, want the 2 kept", links)
	}
	for name, p := range pushes {
		err := db.Take(&model.PushMessage{}, p.ID).Error
		if gone := name[:4] == "gone"; gone != (err == gorm.ErrRecordNotFound) {
			t.Errorf("push %s: %v", name, err)
		}
	}
	var keys []string
	db.Model(&model.WeChatCallback{}).Order("created_at").Pluck("key", &keys)
	var actions []string
	db.Model(&model.AuditLog{}).Where("action LIKE ?", "%-audit").Pluck("action", &actions)
	var subjects []string
	db.Model(&model.Consent{}).Where("subject LIKE ?", "%-consent%").Order("subject").Pluck("subject", &subjects)
	if fmt.Sprint(keys) != "[kept-callback]" || fmt.Sprint(actions) != "[kept-audit]" || fmt.Sprint(subjects) != "[kept-consent-ended kept-consent-live]" {
		t.Errorf("callbacks %v, audit %v, consents %v left", keys, actions, subjects)
	}
}
