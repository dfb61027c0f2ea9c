package model_test

import (
	"context"
	"testing"

	"zsjc/model"
	"zsjc/testenv"
)

// legacySlot is a review slot of the schema before rooms were rows: the
// room a free-text name, unique per date and period.
type legacySlot struct {
	ID       uint64 `gorm:"primaryKey"`
	Date     string `gorm:"size:10;not null;uniqueIndex:idx_slot,priority:1"`
	Period   string `gorm:"size:8;not null;uniqueIndex:idx_slot,priority:2"`
	Room     string `gorm:"size:64;not null;uniqueIndex:idx_slot,priority:3"`
	Capacity int    `gorm:"not null"`
	Booked   int    `gorm:"not null;default:0"`
}

func (legacySlot) TableName() string { return "review_slots" }

// A database of the previous schema upgrades in place: every room name
// becomes a room of the root unit, every slot keeps its date, period,
// places and bookings and points at its room, and a second migration
// changes nothing.
func TestMigrateMovesSlotRoomsToRoomRows(t *testing.T) {
	db := testenv.DB(t)
	ctx := context.Background()
	if err := db.Migrator().DropTable("review_slots", "rooms", "units"); err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&legacySlot{}); err != nil {
		t.Fatal(err)
	}
	old := []legacySlot{
		{Date: "2026-12-03", Period: "am", Room: "第一阅卷室", Capacity: 3, Booked: 2},
		{Date: "2026-12-03", Period: "am", Room: "第二阅卷室", Capacity: 1},
		{Date: "2026-12-03", Period: "pm", Room: "第一阅卷室", Capacity: 4, Booked: 1},
	}
	if err := db.Create(&old).Error; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatalf("migrate the previous schema: %v", err)
		}
	}
	var root model.Unit
	if err := db.Where("code = ?", model.RootUnitCode).Take(&root).Error; err != nil {
		t.Fatalf("root unit: %v", err)
	}
	var rooms []model.Room
	if err := db.Order("name").Find(&rooms).Error; err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 2 || rooms[0].UnitID != root.ID || rooms[1].UnitID != root.ID {
		t.Fatalf("rooms after upgrade: %+v (root %d)", rooms, root.ID)
	}
	byName := map[string]uint64{}
	for _, r := range rooms {
		byName[r.Name] = r.ID
	}
	if db.Migrator().HasColumn(&model.ReviewSlot{}, "room") {
		t.Fatal("the free-text room column is still there")
	}
	for _, o := range old {
		var got model.ReviewSlot
		if err := db.Take(&got, o.ID).Error; err != nil {
			t.Fatalf("slot %d after upgrade: %v", o.ID, err)
		}
		if got.RoomID != byName[o.Room] || got.Date != o.Date || got.Period != o.Period ||
			got.Capacity != o.Capacity || got.Booked != o.Booked {
			t.Fatalf("slot %d: %+v, was %+v", o.ID, got, o)
		}
	}
	// The new key holds: one slot per date, period and room, any room.
	again := model.ReviewSlot{Date: "2026-12-03", Period: "am", RoomID: byName["第二阅卷室"], Capacity: 1}
	if err := db.Create(&again).Error; !model.IsDuplicate(err) {
		t.Fatalf("second slot of a room in one period after upgrade: %v", err)
	}
}
