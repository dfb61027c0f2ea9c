package model_test

import (
	"context"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/testenv"
)

// prePush is the outbox row before channels: WeChat only, and a push to a
// follower known to have unfollowed recorded failed with a reason.
type prePush struct {
	ID            uint64       `gorm:"primaryKey"`
	OpenID        string       `gorm:"size:64;not null;index"`
	Kind          string       `gorm:"size:32;not null"`
	DedupKey      string       `gorm:"size:191;not null;uniqueIndex"`
	ClientMsgID   string       `gorm:"size:64;not null;uniqueIndex"`
	Status        model.Status `gorm:"size:16;not null"`
	NextAttemptAt time.Time    `gorm:"not null"`
	LastError     string       `gorm:"size:512"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (prePush) TableName() string { return "push_messages" }

// TestUpgradeGivesPushesAChannel: rows written before channels are
// template messages, and those recorded failed because their recipient had
// unfollowed become unreachable; other failures stay failed.
func TestUpgradeGivesPushesAChannel(t *testing.T) {
	db := testenv.DB(t)
	ctx := context.Background()
	if err := db.Migrator().DropTable(model.All()...); err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&prePush{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := db.Create(&[]prePush{
		{OpenID: "o1", Kind: model.PushCaseEvent, DedupKey: "a", ClientMsgID: "a", Status: model.StatusFailed, NextAttemptAt: now, LastError: "用户已取消关注公众号，未发送"},
		{OpenID: "o2", Kind: model.PushCaseEvent, DedupKey: "b", ClientMsgID: "b", Status: model.StatusFailed, NextAttemptAt: now, LastError: "wechat errcode 47003"},
		{OpenID: "o3", Kind: model.PushCaseEvent, DedupKey: "c", ClientMsgID: "c", Status: model.StatusSent, NextAttemptAt: now},
	}).Error; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	var rows []model.PushMessage
	if err := db.Order("dedup_key").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	want := []model.Status{model.StatusUnreachable, model.StatusFailed, model.StatusSent}
	for i, r := range rows {
		if r.Channel != model.ChannelWeChatTemplate || r.Status != want[i] {
			t.Errorf("%s: %s on %q, want %s on %s", r.DedupKey, r.Status, r.Channel, want[i], model.ChannelWeChatTemplate)
		}
	}
}
