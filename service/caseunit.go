package service

import (
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// UnitContact is the case's unit as the H5 case page shows it: where to go
// and whom to call.
type UnitContact struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	Address        string `json:"address"`
	Phone          string `json:"phone"`
	ReceptionHours string `json:"reception_hours"`
}

func unitContact(u model.Unit) UnitContact {
	return UnitContact{Code: u.Code, Name: u.Name, Address: u.Address, Phone: u.Phone, ReceptionHours: u.ReceptionHours}
}

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
