package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
)

// errUnknownUnit answers a disclosure filter naming no unit. The unit tree
// is public, so saying so reveals nothing, and a stale link learns why it
// shows nothing.
var errUnknownUnit = model.NewError(model.KindNotFound, "unit_not_found", "没有该单位")

// PublicUnit is a unit as the public pages' unit picker shows it.
type PublicUnit struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      string `json:"level"`
	ParentCode string `json:"parent_code"`
}

// PublicUnits is the unit tree, depth-first: each unit before the units
// below it, siblings by code.
func (s *Service) PublicUnits(ctx context.Context) ([]PublicUnit, error) {
	var units []model.Unit
	if err := s.db.WithContext(ctx).Select("id", "code", "name", "level", "parent_id").Find(&units).Error; err != nil {
		return nil, fmt.Errorf("public units: %w", err)
	}
	children := map[uint64][]model.Unit{} // parent id (0: top level) → units
	codes := map[uint64]string{}
	for _, u := range units {
		codes[u.ID] = u.Code
		var parent uint64
		if u.ParentID != nil {
			parent = *u.ParentID
		}
		children[parent] = append(children[parent], u)
	}
	out := make([]PublicUnit, 0, len(units))
	var walk func(parent uint64)
	walk = func(parent uint64) {
		kids := children[parent]
		slices.SortFunc(kids, func(a, b model.Unit) int { return cmp.Compare(a.Code, b.Code) })
		for _, u := range kids {
			out = append(out, PublicUnit{Code: u.Code, Name: u.Name, Level: u.Level, ParentCode: codes[parent]})
			walk(u.ID)
		}
	}
	walk(0)
	return out, nil
}

// subtreeUnitIDs are the ids of the unit with code and of every unit below
// it; "" means no filter (nil). Cases written before cases had units
// (unit_id 0) belong to the root unit, so they are in its subtree.
func subtreeUnitIDs(db *gorm.DB, code string) ([]uint64, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, nil
	}
	var top model.Unit
	if err := db.Select("id", "path").Where("code = ?", code).Take(&top).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errUnknownUnit
		}
		return nil, fmt.Errorf("unit %q: %w", code, err)
	}
	var units []model.Unit
	if err := db.Select("id", "code").Where("path LIKE ?", top.Path+"%").Find(&units).Error; err != nil {
		return nil, fmt.Errorf("units below %q: %w", code, err)
	}
	ids := make([]uint64, 0, len(units)+1)
	for _, u := range units {
		ids = append(ids, u.ID)
		if u.Code == model.RootUnitCode {
			ids = append(ids, 0)
		}
	}
	return ids, nil
}

// unitLabels names the units with the given ids (0: the root unit).
func unitLabels(db *gorm.DB, ids []uint64) (map[uint64]UnitLabel, error) {
	var units []model.Unit
	if err := db.Select("id", "code", "name").Where("id IN ? OR code = ?", append([]uint64{0}, ids...), model.RootUnitCode).
		Find(&units).Error; err != nil {
		return nil, fmt.Errorf("unit names: %w", err)
	}
	labels := make(map[uint64]UnitLabel, len(units)+1)
	for _, u := range units {
		labels[u.ID] = UnitLabel{Code: u.Code, Name: u.Name}
		if u.Code == model.RootUnitCode {
			labels[0] = labels[u.ID]
		}
	}
	return labels, nil
}
