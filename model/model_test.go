package model_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/testenv"
)

// The database itself refuses duplicates, whatever the code above it does.
func TestUniqueConstraintsHoldInTheDatabase(t *testing.T) {
	db := testenv.DB(t)
	t.Logf("engine: %s", testenv.Describe())
	now := time.Now().UTC()

	c := model.Case{CaseNo: "A-1", Name: "n", Stage: "受理", AcceptedAt: now}
	if err := db.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&model.Case{CaseNo: "A-1", Name: "other", Stage: "受理", AcceptedAt: now}).Error; !model.IsDuplicate(err) {
		t.Fatalf("second case with the same case_no: %v", err)
	}

	u := model.WeChatUser{OpenID: "o-1"}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&model.WeChatUser{OpenID: "o-1"}).Error; !model.IsDuplicate(err) {
		t.Fatalf("second user with the same openid: %v", err)
	}

	live := model.Binding{UserID: u.ID, CaseID: c.ID, Role: model.RoleParty, Status: model.StatusPending, LiveKey: model.LiveKey(u.ID, c.ID)}
	if err := db.Create(&live).Error; err != nil {
		t.Fatal(err)
	}
	second := model.Binding{UserID: u.ID, CaseID: c.ID, Role: model.RoleParty, Status: model.StatusPending, LiveKey: model.LiveKey(u.ID, c.ID)}
	if err := db.Create(&second).Error; !model.IsDuplicate(err) {
		t.Fatalf("second live binding of one user and case: %v", err)
	}
	// Ended bindings release the key (NULL), and any number of them may exist.
	for i := 0; i < 2; i++ {
		ended := model.Binding{UserID: u.ID, CaseID: c.ID, Role: model.RoleParty, Status: model.StatusRejected}
		if err := db.Create(&ended).Error; err != nil {
			t.Fatalf("ended binding %d: %v", i, err)
		}
	}

	p := model.PushMessage{OpenID: "o-1", Kind: model.PushCaseEvent, DedupKey: "event:1:o-1", ClientMsgID: "c1", Status: model.StatusQueued, NextAttemptAt: now}
	if err := db.Create(&p).Error; err != nil {
		t.Fatal(err)
	}
	dup := p
	dup.ID, dup.ClientMsgID = 0, "c2"
	if err := db.Create(&dup).Error; !model.IsDuplicate(err) {
		t.Fatalf("second push with the same dedup key: %v", err)
	}

	slot := model.ReviewSlot{Date: "2026-12-01", Period: "am", RoomID: 1, Capacity: 2}
	if err := db.Create(&slot).Error; err != nil {
		t.Fatal(err)
	}
	again := model.ReviewSlot{Date: "2026-12-01", Period: "am", RoomID: 1, Capacity: 3}
	if err := db.Create(&again).Error; !model.IsDuplicate(err) {
		t.Fatalf("second slot for the same date, period and room: %v", err)
	}
	otherRoom := model.ReviewSlot{Date: "2026-12-01", Period: "am", RoomID: 2, Capacity: 3}
	if err := db.Create(&otherRoom).Error; err != nil {
		t.Fatalf("a second room at the same time: %v", err)
	}
}

// Two instances starting at once both migrate without error.
func TestConcurrentMigrate(t *testing.T) {
	db, dsn := testenv.DBWithDSN(t)
	other := testenv.Open(t, db, dsn)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, d := range []*gorm.DB{db, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- model.Migrate(context.Background(), d)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
