package model

import "time"

// Unit levels (院的层级).
const (
	UnitProvince = "province" // 省院
	UnitCity     = "city"     // 市院
	UnitCounty   = "county"   // 基层院
	UnitSpecial  = "special"  // 铁路、林区等专门检察院
)

// UnitLevels lists every unit level.
var UnitLevels = []string{UnitProvince, UnitCity, UnitCounty, UnitSpecial}

// RootUnitCode is the code of the unit a fresh database starts with, so a
// single-procuratorate deployment needs no unit set-up.
const RootUnitCode = "root"

// Unit is a procuratorate (院). Units form a forest: a unit without a parent
// is top-level. Staff of a unit act on that unit and every unit below it.
type Unit struct {
	ID       uint64  `gorm:"primaryKey"`
	Code     string  `gorm:"size:32;not null;uniqueIndex"`
	Name     string  `gorm:"size:100;not null"`
	Level    string  `gorm:"size:16;not null"`
	ParentID *uint64 `gorm:"index"`
	// Path is the chain of ids from the top-level unit down to this one,
	// "/1/4/9/": a subtree is every unit whose path starts with its root's.
	Path           string `gorm:"size:255;not null;index"`
	Address        string `gorm:"size:200"`
	Phone          string `gorm:"size:32"`
	ReceptionHours string `gorm:"size:100"`
	Head           string `gorm:"size:64"` // responsible person, named in the monthly report
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// UnitTally counts a unit's cases, so that a staff case list's total is a
// sum over the scope's units rather than a count of every case in it. It
// is kept in the transaction of every case insert (a GORM callback, see
// service) and move, and recounted by the units upgrade step at every start.
type UnitTally struct {
	UnitID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Cases  int64  `gorm:"not null;default:0"`
}

// Room is a unit's reading room (阅卷室); review slots belong to a room.
type Room struct {
	ID        uint64 `gorm:"primaryKey"`
	UnitID    uint64 `gorm:"not null;uniqueIndex:idx_room_name,priority:1"`
	Name      string `gorm:"size:64;not null;uniqueIndex:idx_room_name,priority:2"`
	Address   string `gorm:"size:200"`
	Capacity  int    `gorm:"not null;default:1"`
	CreatedAt time.Time
	UpdatedAt time.Time
}
