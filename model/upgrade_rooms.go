package model

import (
	"fmt"

	"gorm.io/gorm"
)

// slotRoomIndex is the unique key of review slots: one slot per date,
// period and room. It is created here rather than by AutoMigrate because a
// database of the previous schema holds slots whose room_id is still 0
// until upgradeRooms has given them their rooms.
const slotRoomIndex = "idx_slot_room"

// upgradeRooms moves review slots from the free-text room of the previous
// schema to Room rows: every distinct room name becomes a room of the root
// unit (made by the units step before it), its slots point at it, and the
// old column and its unique key go. On an upgraded or fresh database it
// only makes sure the slot key exists.
func upgradeRooms(db *gorm.DB, _ MigrateOptions) error {
	db = db.Session(&gorm.Session{NewDB: true}) // each statement below starts clean
	var root Unit
	if err := db.Where("code = ?", RootUnitCode).Take(&root).Error; err != nil {
		return fmt.Errorf("root unit: %w", err)
	}
	m := db.Migrator()
	if m.HasColumn(&ReviewSlot{}, "room") {
		var names []string
		if err := db.Table("review_slots").Where("room_id = 0").Distinct().Pluck("room", &names).Error; err != nil {
			return fmt.Errorf("upgrade rooms: read slot rooms: %w", err)
		}
		for _, name := range names {
			room := Room{UnitID: root.ID, Name: name}
			if err := db.Where(Room{UnitID: root.ID, Name: name}).FirstOrCreate(&room).Error; err != nil {
				return fmt.Errorf("upgrade rooms: room %q: %w", name, err)
			}
			if err := db.Table("review_slots").Where("room = ? AND room_id = 0", name).
				Update("room_id", room.ID).Error; err != nil {
				return fmt.Errorf("upgrade rooms: slots of room %q: %w", name, err)
			}
		}
		if m.HasIndex(&ReviewSlot{}, "idx_slot") {
			if err := m.DropIndex(&ReviewSlot{}, "idx_slot"); err != nil {
				return fmt.Errorf("upgrade rooms: drop old slot key: %w", err)
			}
		}
		if err := m.DropColumn(&ReviewSlot{}, "room"); err != nil {
			return fmt.Errorf("upgrade rooms: drop slot room text: %w", err)
		}
	}
	if !m.HasIndex(&ReviewSlot{}, slotRoomIndex) {
		if err := db.Exec("CREATE UNIQUE INDEX " + slotRoomIndex + " ON review_slots (date, period, room_id)").Error; err != nil {
			return fmt.Errorf("upgrade rooms: create slot key: %w", err)
		}
	}
	return nil
}
