package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MigrateOptions are the values the upgrade steps need from the
// configuration.
type MigrateOptions struct {
	// RootUnitName names the root unit when a database first gets it
	// (ZSJC_UNIT_NAME); DefaultRootUnitName when empty.
	RootUnitName string
}

// DefaultRootUnitName is the root unit's name when none is configured.
const DefaultRootUnitName = "人民检察院"

// upgradeStep brings data written by an older schema up to the current
// one. Every step runs after AutoMigrate on every start, so it must be
// idempotent: a second run finds nothing left to do.
type upgradeStep struct {
	name string
	run  func(tx *gorm.DB, opt MigrateOptions) error
}

// upgradeSteps run in this order; append new steps at the end.
var upgradeSteps = []upgradeStep{
	{"units", upgradeUnits},
	{"rooms", upgradeRooms}, // needs the root unit
	{"unreachable pushes", upgradeUnreachablePushes},
}

// legacyReasonUnfollowed is the last error older versions gave a push to a
// follower who had unfollowed, recorded failed before the unreachable
// status existed.
const legacyReasonUnfollowed = "用户已取消关注公众号，未发送"

// upgradeUnreachablePushes gives those pushes the status they have now.
func upgradeUnreachablePushes(tx *gorm.DB, _ MigrateOptions) error {
	return tx.Model(&PushMessage{}).Where("status = ? AND last_error = ?", StatusFailed, legacyReasonUnfollowed).
		Update("status", StatusUnreachable).Error
}

// runUpgrades runs every upgrade step, each in its own transaction.
func runUpgrades(db *gorm.DB, opt MigrateOptions) error {
	if opt.RootUnitName == "" {
		opt.RootUnitName = DefaultRootUnitName
	}
	for _, st := range upgradeSteps {
		if err := db.Transaction(func(tx *gorm.DB) error { return st.run(tx, opt) }); err != nil {
			return fmt.Errorf("upgrade %s: %w", st.name, err)
		}
	}
	return nil
}

// UnitPath is the materialized path of a unit with the given id under a
// parent path ("" for a top-level unit).
func UnitPath(parentPath string, id uint64) string {
	if parentPath == "" {
		parentPath = "/"
	}
	return parentPath + strconv.FormatUint(id, 10) + "/"
}

// LegacyUnitCode is the code given to the unit made from a pre-unit
// case's free-text unit: derived from the text, so that running the
// upgrade again (or on two instances) finds the same unit.
func LegacyUnitCode(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "legacy-" + hex.EncodeToString(sum[:6])
}

// upgradeUnits gives a database its root unit and moves every case and
// staff account of the single-procuratorate schema into a unit: each
// distinct free-text cases.unit becomes a unit under the root, cases
// without one and every staff account go to the root. The requests
// (bindings, bookings, meetings) take their case's unit.
func upgradeUnits(tx *gorm.DB, opt MigrateOptions) error {
	root, err := ensureUnit(tx, Unit{Code: RootUnitCode, Name: opt.RootUnitName, Level: UnitProvince}, nil)
	if err != nil {
		return err
	}
	var texts []string
	if err := tx.Model(&Case{}).Where("unit_id = 0 AND unit <> ''").Distinct().Order("unit").Pluck("unit", &texts).Error; err != nil {
		return fmt.Errorf("free-text units: %w", err)
	}
	for _, text := range texts {
		name := []rune(text)
		if len(name) > 100 {
			name = name[:100]
		}
		u, err := ensureUnit(tx, Unit{Code: LegacyUnitCode(text), Name: string(name), Level: UnitCounty}, &root)
		if err != nil {
			return err
		}
		if err := tx.Model(&Case{}).Where("unit_id = 0 AND unit = ?", text).Update("unit_id", u.ID).Error; err != nil {
			return fmt.Errorf("move cases of %q: %w", text, err)
		}
	}
	if err := tx.Model(&Case{}).Where("unit_id = 0").Update("unit_id", root.ID).Error; err != nil {
		return fmt.Errorf("move cases to the root unit: %w", err)
	}
	if err := tx.Model(&Staff{}).Where("unit_id = 0").Update("unit_id", root.ID).Error; err != nil {
		return fmt.Errorf("move staff to the root unit: %w", err)
	}
	if err := RecountUnitTallies(tx); err != nil {
		return err
	}
	for _, m := range []any{&Binding{}, &ReviewBooking{}, &MeetingRequest{}} {
		sub := tx.Model(&Case{}).Select("unit_id").Where("cases.id = case_id")
		if err := tx.Model(m).Where("unit_id = 0 AND case_id <> 0").Update("unit_id", sub).Error; err != nil {
			return fmt.Errorf("requests take their case's unit: %w", err)
		}
	}
	return nil
}

// RecountUnitTallies sets every unit's case count from the cases table.
func RecountUnitTallies(tx *gorm.DB) error {
	if err := tx.Where("1 = 1").Delete(&UnitTally{}).Error; err != nil {
		return fmt.Errorf("clear unit tallies: %w", err)
	}
	err := tx.Exec("INSERT INTO unit_tallies (unit_id, cases) SELECT unit_id, COUNT(*) FROM cases GROUP BY unit_id").Error
	if err != nil {
		return fmt.Errorf("count cases per unit: %w", err)
	}
	return nil
}

// ensureUnit returns the unit with u's code, creating it (under parent,
// nil for top-level) when absent. The insert ignores a concurrent twin.
func ensureUnit(tx *gorm.DB, u Unit, parent *Unit) (Unit, error) {
	if parent != nil {
		u.ParentID = &parent.ID
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&u).Error; err != nil {
		return Unit{}, fmt.Errorf("create unit %s: %w", u.Code, err)
	}
	var got Unit
	if err := tx.Where("code = ?", u.Code).Take(&got).Error; err != nil {
		return Unit{}, fmt.Errorf("load unit %s: %w", u.Code, err)
	}
	if got.Path == "" {
		parentPath := ""
		if parent != nil {
			parentPath = parent.Path
		}
		got.Path = UnitPath(parentPath, got.ID)
		if err := tx.Model(&got).Update("path", got.Path).Error; err != nil {
			return Unit{}, fmt.Errorf("set path of unit %s: %w", u.Code, err)
		}
	}
	return got, nil
}
