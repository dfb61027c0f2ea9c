package service

import (
	"context"
	"errors"
	"strings"

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
	t, err := s.units(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PublicUnit, 0, len(t.order))
	for _, id := range t.order {
		v := t.view(t.byID[id])
		out = append(out, PublicUnit{Code: v.Code, Name: v.Name, Level: v.Level, ParentCode: v.ParentCode})
	}
	return out, nil
}

// publicSubtree are the ids of the unit with code and of every unit below
// it; "" means no filter (nil).
func (s *Service) publicSubtree(ctx context.Context, code string) ([]uint64, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, nil
	}
	t, err := s.units(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := t.byCode[code]; !ok {
		// A unit added on another instance moments ago is not in the copy yet.
		if _, err := s.unitByCode(s.db.WithContext(ctx), code); errors.Is(err, model.ErrNotFound) {
			return nil, errUnknownUnit
		} else if err != nil {
			return nil, err
		}
		s.unitsChanged()
		if t, err = s.units(ctx); err != nil {
			return nil, err
		}
	}
	u, ok := t.byCode[code]
	if !ok {
		return nil, errUnknownUnit
	}
	return t.subtree(u.ID), nil
}
