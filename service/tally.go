package service

import (
	"fmt"
	"reflect"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// tallyCallback is the name of the callback that counts created cases
// into their units' tallies: one per database handle, however many
// services share it.
const tallyCallback = "zsjc:unit_tally"

// countCreatedCases registers, once per database handle, the callback that
// adds every inserted case to its unit's tally in the insert's own
// transaction (whoever inserts it: use cases, import, tests).
func countCreatedCases(db *gorm.DB) error {
	cb := db.Callback().Create()
	if cb.Get(tallyCallback) != nil {
		return nil
	}
	return cb.After("gorm:create").Before("gorm:commit_or_rollback_transaction").Register(tallyCallback, func(db *gorm.DB) {
		if db.Error != nil || db.RowsAffected == 0 || db.Statement.Table != "cases" {
			return
		}
		per := map[uint64]int64{}
		add := func(v reflect.Value) {
			if c, ok := reflect.Indirect(v).Interface().(model.Case); ok {
				per[c.UnitID]++
			}
		}
		rv := db.Statement.ReflectValue
		if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			for i := range rv.Len() {
				add(rv.Index(i))
			}
		} else {
			add(rv)
		}
		for unit, n := range per {
			if err := addToTally(db.Session(&gorm.Session{NewDB: true}), unit, n); err != nil {
				_ = db.AddError(err)
			}
		}
	})
}

// addToTally adds n (negative: removes) cases to the unit's tally.
func addToTally(tx *gorm.DB, unitID uint64, n int64) error {
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "unit_id"}},
		DoUpdates: clause.Assignments(map[string]any{"cases": gorm.Expr("unit_tallies.cases + ?", n)})}).
		Create(&model.UnitTally{UnitID: unitID, Cases: n}).Error
	if err != nil {
		return fmt.Errorf("tally unit %d: %w", unitID, err)
	}
	return nil
}

// scopeCaseTotal is the number of cases in the scope, from the tallies.
func scopeCaseTotal(db *gorm.DB, sc Scope) (int64, error) {
	var total int64
	err := sc.where(db.Model(&model.UnitTally{}), "unit_id").Select("COALESCE(SUM(cases), 0)").Scan(&total).Error
	if err != nil {
		return 0, fmt.Errorf("cases in scope: %w", err)
	}
	return total, nil
}
