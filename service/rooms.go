package service

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// Limits of a reading room (model.Room).
const (
	maxRoomName     = 64
	maxRoomAddress  = 200
	maxRoomCapacity = 200
)

var errRoomExists = model.NewError(model.KindConflict, "room_exists", "该单位已有同名阅卷室")

// RoomRef is the reading room every slot answer names, so that two rooms
// open at the same time can be told apart. Address is the room's own, or
// its unit's when the room has none.
type RoomRef struct {
	ID      uint64 `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

// RoomInput is a new reading room. UnitCode may be left out while the
// actor's scope holds a single unit.
type RoomInput struct {
	UnitCode string `json:"unit_code"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Capacity int    `json:"capacity"`
}

// RoomPatch changes the fields it carries.
type RoomPatch struct {
	Name     *string `json:"name"`
	Address  *string `json:"address"`
	Capacity *int    `json:"capacity"`
}

// RoomView is a reading room as the staff console lists it.
type RoomView struct {
	ID       uint64  `json:"id"`
	Unit     UnitRef `json:"unit"`
	Name     string  `json:"name"`
	Address  string  `json:"address"`
	Capacity int     `json:"capacity"`
}

// Rooms lists the reading rooms of the units in the actor's scope, by
// unit (parents first) and name.
func (s *Service) Rooms(ctx context.Context, a Actor) ([]RoomView, error) {
	q := s.db.WithContext(ctx).Table("rooms").
		Select("rooms.id, rooms.name, rooms.address, rooms.capacity, units.code AS unit_code, units.name AS unit_name").
		Joins("JOIN units ON units.id = rooms.unit_id").Order("units.path, rooms.name")
	q = a.Scope.where(q, "rooms.unit_id")
	var rows []struct {
		ID                 uint64
		Name, Address      string
		Capacity           int
		UnitCode, UnitName string
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	out := make([]RoomView, len(rows))
	for i, r := range rows {
		out[i] = RoomView{ID: r.ID, Unit: UnitRef{Code: r.UnitCode, Name: r.UnitName}, Name: r.Name,
			Address: r.Address, Capacity: r.Capacity}
	}
	return out, nil
}

// CreateRoom adds a reading room to a unit in the actor's scope.
func (s *Service) CreateRoom(ctx context.Context, a Actor, in RoomInput) (RoomView, error) {
	fe := model.FieldErrors{}
	room := model.Room{
		Name:     textField(fe, "name", in.Name, true, maxRoomName),
		Address:  textField(fe, "address", in.Address, false, maxRoomAddress),
		Capacity: roomCapacity(fe, in.Capacity),
	}
	room.UnitID = s.pickUnit(ctx, a.Scope, fe, in.UnitCode)
	if err := fe.Err(); err != nil {
		return RoomView{}, err
	}
	var unit model.Unit
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := holdUnit(tx, room.UnitID, "unit_code"); err != nil {
			return err
		}
		if err := tx.Take(&unit, room.UnitID).Error; err != nil {
			return fmt.Errorf("unit %d: %w", room.UnitID, err)
		}
		if err := tx.Create(&room).Error; err != nil {
			if model.IsDuplicate(err) {
				return errRoomExists
			}
			return err
		}
		return s.audit(tx, a, "room.create", fmt.Sprintf("room:%d", room.ID), unit.Code+" "+room.Name)
	})
	if err != nil {
		return RoomView{}, fmt.Errorf("create room %q: %w", in.Name, err)
	}
	return roomView(room, unit), nil
}

// UpdateRoom changes a room of the actor's scope; a room outside it is
// not found.
func (s *Service) UpdateRoom(ctx context.Context, a Actor, id uint64, in RoomPatch) (RoomView, error) {
	fe := model.FieldErrors{}
	set := map[string]any{}
	if in.Name != nil {
		set["name"] = textField(fe, "name", *in.Name, true, maxRoomName)
	}
	if in.Address != nil {
		set["address"] = textField(fe, "address", *in.Address, false, maxRoomAddress)
	}
	if in.Capacity != nil {
		set["capacity"] = roomCapacity(fe, *in.Capacity)
	}
	if err := fe.Err(); err != nil {
		return RoomView{}, err
	}
	var room model.Room
	var unit model.Unit
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if room, err = roomInScope(tx, a, id); err != nil {
			return err
		}
		if len(set) > 0 {
			if err := tx.Model(&room).Updates(set).Error; err != nil {
				if model.IsDuplicate(err) {
					return errRoomExists
				}
				return err
			}
		}
		if err := tx.Take(&unit, room.UnitID).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "room.update", fmt.Sprintf("room:%d", id), unit.Code+" "+room.Name)
	})
	if err != nil {
		return RoomView{}, fmt.Errorf("update room %d: %w", id, err)
	}
	return roomView(room, unit), nil
}

func roomView(r model.Room, u model.Unit) RoomView {
	return RoomView{ID: r.ID, Unit: UnitRef{Code: u.Code, Name: u.Name}, Name: r.Name, Address: r.Address, Capacity: r.Capacity}
}

// roomCapacity checks a room's places; 0 means the default of one.
func roomCapacity(fe model.FieldErrors, n int) int {
	if n == 0 {
		return 1
	}
	if n < 1 || n > maxRoomCapacity {
		fe.Add("capacity", fmt.Sprintf("容纳人数须在 1 到 %d 之间", maxRoomCapacity))
	}
	return n
}

// roomInScope loads a room of the actor's scope; any other id is
// model.ErrNotFound.
func roomInScope(db *gorm.DB, a Actor, id uint64) (model.Room, error) {
	var r model.Room
	if err := db.Take(&r, id).Error; err != nil {
		return model.Room{}, notFoundIf(err)
	}
	if !a.Scope.Contains(r.UnitID) {
		return model.Room{}, model.ErrNotFound
	}
	return r, nil
}

// roomRefs names the rooms with the given ids, each with its address or,
// when it has none, its unit's.
func roomRefs(db *gorm.DB, ids []uint64) (map[uint64]RoomRef, error) {
	var rows []struct {
		ID                         uint64
		Name, Address, UnitAddress string
	}
	err := db.Table("rooms").Select("rooms.id, rooms.name, rooms.address, units.address AS unit_address").
		Joins("LEFT JOIN units ON units.id = rooms.unit_id").Where("rooms.id IN ?", append([]uint64{0}, ids...)).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("rooms %v: %w", ids, err)
	}
	refs := make(map[uint64]RoomRef, len(rows))
	for _, r := range rows {
		addr := r.Address
		if addr == "" {
			addr = r.UnitAddress
		}
		refs[r.ID] = RoomRef{ID: r.ID, Name: r.Name, Address: addr}
	}
	return refs, nil
}

// roomRef names one slot's room.
func roomRef(db *gorm.DB, roomID uint64) (RoomRef, error) {
	refs, err := roomRefs(db, []uint64{roomID})
	return refs[roomID], err
}
