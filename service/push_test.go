package service_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

func newPushService(t *testing.T) (*service.Service, *gorm.DB) {
	t.Helper()
	db := testenv.DB(t)
	return service.New(service.Deps{DB: db, Cache: testenv.Cache(t)}, service.Options{}), db
}

// insertPush stores an outbox row in status with the given WeChat msgid.
func insertPush(t *testing.T, db *gorm.DB, status model.Status, msgID int64) model.PushMessage {
	t.Helper()
	key := fmt.Sprintf("test:%d:%s:openid", msgID, status)
	row := model.PushMessage{OpenID: "openid", Kind: model.PushCaseEvent, DedupKey: key,
		ClientMsgID: service.ClientMsgID(key), Data: "{}", Status: status, Attempts: 3,
		NextAttemptAt: time.Now().UTC(), WeChatMsgID: msgID, LastError: "wechat errcode 43004: require subscribe"}
	if err := db.Create(&row).Error; err != nil {
		t.Fatal(err)
	}
	return row
}

func reload(t *testing.T, db *gorm.DB, id uint64) model.PushMessage {
	t.Helper()
	var row model.PushMessage
	if err := db.Take(&row, id).Error; err != nil {
		t.Fatal(err)
	}
	return row
}

func TestRecordPushDelivery(t *testing.T) {
	svc, db := newPushService(t)
	ctx := context.Background()
	ok := insertPush(t, db, model.StatusSent, 1001)
	blocked := insertPush(t, db, model.StatusSent, 1002)
	sysFailed := insertPush(t, db, model.StatusSent, 1003)

	if err := svc.RecordPushDelivery(ctx, 1001, "success"); err != nil {
		t.Fatalf("success: %v", err)
	}
	if got := reload(t, db, ok.ID); got.Status != model.StatusDelivered || got.DeliveredAt == nil {
		t.Fatalf("after success: status %s delivered_at %v", got.Status, got.DeliveredAt)
	}
	for _, c := range []struct {
		row  model.PushMessage
		text string
	}{{blocked, "failed:user block"}, {sysFailed, "failed: system failed"}} {
		if err := svc.RecordPushDelivery(ctx, c.row.WeChatMsgID, c.text); err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		if got := reload(t, db, c.row.ID); got.Status != model.StatusFailed || got.LastError != c.text {
			t.Fatalf("after %q: status %s last_error %q", c.text, got.Status, got.LastError)
		}
	}

	// WeChat repeats callbacks: the same report again is accepted, a
	// contradicting one is a conflict, an unknown msgid is not found.
	if err := svc.RecordPushDelivery(ctx, 1001, "success"); err != nil {
		t.Fatalf("repeated success: %v", err)
	}
	var de *model.Error
	if err := svc.RecordPushDelivery(ctx, 1001, "failed:user block"); !errors.As(err, &de) || de.Kind != model.KindConflict {
		t.Fatalf("failed after delivered: %v, want a state conflict", err)
	}
	if err := svc.RecordPushDelivery(ctx, 999999, "success"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown msgid: %v, want not found", err)
	}
	if err := svc.RecordPushDelivery(ctx, 1001, "weird"); !errors.As(err, &de) || de.Kind != model.KindInvalid {
		t.Fatalf("unknown status text: %v, want invalid", err)
	}
}

func TestRetryPushRequeuesOnlyFailedRowsOnce(t *testing.T) {
	svc, db := newPushService(t)
	ctx := context.Background()
	failed := insertPush(t, db, model.StatusFailed, 0)
	sent := insertPush(t, db, model.StatusSent, 2001)

	// Two staff members click retry at once: one wins, the other is told
	// the row is already queued.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.RetryPush(ctx, service.Actor{Name: "staff", Scope: service.AllUnits}, failed.ID)
		}()
	}
	wg.Wait()
	var wins int
	for _, err := range errs {
		var de *model.Error
		switch {
		case err == nil:
			wins++
		case errors.As(err, &de) && de.Kind == model.KindConflict:
		default:
			t.Fatalf("retry: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d retries succeeded, want 1", wins)
	}
	got := reload(t, db, failed.ID)
	if got.Status != model.StatusQueued || got.Attempts != 0 || got.LastError != "" || got.ClientMsgID != failed.ClientMsgID {
		t.Fatalf("after retry: %+v", got)
	}
	var de *model.Error
	if _, err := svc.RetryPush(ctx, service.System, sent.ID); !errors.As(err, &de) || de.Kind != model.KindConflict {
		t.Fatalf("retry of a sent push: %v, want conflict", err)
	}
	if _, err := svc.RetryPush(ctx, service.System, 987654); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("retry of a missing push: %v, want not found", err)
	}
}

func TestListPushesFiltersByStatus(t *testing.T) {
	svc, db := newPushService(t)
	ctx := context.Background()
	insertPush(t, db, model.StatusFailed, 0)
	insertPush(t, db, model.StatusSent, 3001)
	insertPush(t, db, model.StatusDelivered, 3002)
	rows, err := svc.ListPushes(ctx, service.System, "failed", service.Paging{})
	if err != nil || len(rows.Items) != 1 || rows.Items[0].Status != model.StatusFailed {
		t.Fatalf("failed rows: %v %+v", err, rows)
	}
	rows, err = svc.ListPushes(ctx, service.System, "delivered", service.Paging{})
	if err != nil || len(rows.Items) != 1 {
		t.Fatalf("delivered rows: %v %+v", err, rows)
	}
	if rows, err = svc.ListPushes(ctx, service.System, "", service.Paging{}); err != nil || len(rows.Items) != 3 {
		t.Fatalf("all rows: %v %d", err, len(rows.Items))
	}
	var de *model.Error
	if _, err := svc.ListPushes(ctx, service.System, "bogus", service.Paging{}); !errors.As(err, &de) || de.Fields["status"] == "" {
		t.Fatalf("bogus status: %v, want a field error", err)
	}
}

// TestListPushesInWords: the staff list names kind, cause and failure in
// Chinese and the recipient as role and masked name, never by openid.
func TestListPushesInWords(t *testing.T) {
	svc, db := newPushService(t)
	lawyer := model.WeChatUser{OpenID: "o-lawyer"}
	party := model.WeChatUser{OpenID: "o-party"}
	for _, u := range []*model.WeChatUser{&lawyer, &party} {
		if err := db.Create(u).Error; err != nil {
			t.Fatal(err)
		}
	}
	c := model.Case{CaseNo: "检-1", Name: "某案", Stage: "受理", AcceptedAt: time.Now()}
	if err := db.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	p := model.Party{CaseID: c.ID, Name: "张三", Role: "犯罪嫌疑人", IDNumberHash: "h"}
	if err := db.Create(&p).Error; err != nil {
		t.Fatal(err)
	}
	rows := []any{
		&model.LawyerProfile{UserID: lawyer.ID, Name: "王律师", LicenseNo: "11101201810123456", Firm: "某所"},
		&model.Binding{UserID: party.ID, CaseID: c.ID, Role: model.RoleParty, Status: model.StatusApproved, PartyID: &p.ID},
	}
	for _, r := range rows {
		if err := db.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct{ openID, kind, cause, lastError string }{
		{"o-lawyer", model.PushMeetingResult, "meeting:1:confirmed", ""},
		{"o-party", model.PushCaseEvent, "event:3", "wechat send: errcode 43004: require subscribe rid: 6543"},
	} {
		key := r.cause + ":" + r.openID
		row := model.PushMessage{OpenID: r.openID, Kind: r.kind, DedupKey: key, ClientMsgID: service.ClientMsgID(key),
			Data: "{}", Status: model.StatusFailed, NextAttemptAt: time.Now(), LastError: r.lastError}
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	page, err := svc.ListPushes(context.Background(), service.System, "", service.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]service.PushItem{}
	for _, it := range page.Items {
		got[it.Cause] = it
	}
	for cause, want := range map[string][4]string{
		"meeting:1:confirmed": {"会见结果", "会见申请 #1 · 已确认", "", "律师 王**"},
		"event:3":             {"案件进展", "案件进程 #3", "用户未关注公众号", "当事人 张*"},
	} {
		it := got[cause]
		if have := [4]string{it.KindLabel, it.CauseLabel, it.ErrorLabel, it.Recipient}; have != want {
			t.Errorf("%s: %q, want %q", cause, have, want)
		}
	}
}
