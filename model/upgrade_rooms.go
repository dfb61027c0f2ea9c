package model

import (
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"
)

// DefaultUnitName names the root unit a fresh database starts with.
const DefaultUnitName = "人民检察院"

// slotRoomIndex is the unique key of review slots: one slot per date,
// period and room. It is created here rather than by AutoMigrate because a
// database of the previous schema holds slots whose room_id is still 0
// until UpgradeRooms has given them their rooms.
const slotRoomIndex = "idx_slot_room"

// UpgradeRooms moves review slots from the free-text room of the previous
// schema to Room rows: every distinct room name becomes a room of the root
// unit, its slots point at it, and the old column and its unique key go.
// It is idempotent: on an upgraded or fresh database it only makes sure the
// root unit and the slot key exist.
func UpgradeRooms(db *gorm.DB) error {
	db = db.Session(&gorm.Session{NewDB: true}) // each statement below starts clean
	root, err := ensureRootUnit(db)
	if err != nil {
		return err
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

// ensureRootUnit returns the root unit, creating it on a database that has
// none, so that a single-procuratorate deployment needs no unit set-up.
// The path names the unit's own id, known only after the insert; a path
// left unset by an interrupted run is completed by the next.
func ensureRootUnit(db *gorm.DB) (Unit, error) {
	var u Unit
	err := db.Where("code = ?", RootUnitCode).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		u = Unit{Code: RootUnitCode, Name: DefaultUnitName, Level: UnitCounty, Path: "/"}
		err = db.Create(&u).Error
		if IsDuplicate(err) { // another instance created it meanwhile
			return ensureRootUnit(db)
		}
	}
	if err != nil {
		return Unit{}, fmt.Errorf("root unit: %w", err)
	}
	if u.Path == "/" {
		path := "/" + strconv.FormatUint(u.ID, 10) + "/"
		if err := db.Model(&u).Update("path", path).Error; err != nil {
			return Unit{}, fmt.Errorf("root unit path: %w", err)
		}
	}
	return u, nil
}
