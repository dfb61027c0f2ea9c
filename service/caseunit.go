package service

import (
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// caseUnit is the unit a case belongs to: its reading rooms, queues and
// contact details.
func caseUnit(db *gorm.DB, caseID uint64) (model.Unit, error) {
	var c model.Case
	if err := db.Select("id", "unit_id").Take(&c, caseID).Error; err != nil {
		return model.Unit{}, notFoundIf(err)
	}
	return unitOf(db, c.UnitID)
}

// unitOf loads a unit by id.
func unitOf(db *gorm.DB, unitID uint64) (model.Unit, error) {
	var u model.Unit
	if err := db.Take(&u, unitID).Error; err != nil {
		return model.Unit{}, fmt.Errorf("unit %d: %w", unitID, notFoundIf(err))
	}
	return u, nil
}
