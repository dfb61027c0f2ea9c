package service

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// unitByCode loads the unit with the given code; model.ErrNotFound when
// there is none.
func (s *Service) unitByCode(db *gorm.DB, code string) (model.Unit, error) {
	var u model.Unit
	err := db.Where("code = ?", code).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return model.Unit{}, model.ErrNotFound
	}
	if err != nil {
		return model.Unit{}, fmt.Errorf("load unit %q: %w", code, err)
	}
	return u, nil
}
