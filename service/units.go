package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// unitDirectoryTTL bounds how stale this instance's copy of the unit tree
// may be. A unit change made here refreshes it at once; one made on
// another instance is seen here within the TTL.
const unitDirectoryTTL = 5 * time.Second

// unitDirectory is the unit tree held in process: scopes, case views and
// pickers read it without a query. A country has ~3,600 units, so reading
// the whole table every few seconds is cheap.
type unitDirectory struct {
	mu   sync.Mutex
	snap *unitTree
}

// unitTree is one reading of the units table.
type unitTree struct {
	loadedAt time.Time
	byID     map[uint64]*model.Unit
	byCode   map[string]*model.Unit
	children map[uint64][]uint64 // by parent id; 0 holds the top-level units
	order    []uint64            // depth-first, parents before children
}

func newUnitTree(units []model.Unit, at time.Time) *unitTree {
	t := &unitTree{loadedAt: at, byID: map[uint64]*model.Unit{}, byCode: map[string]*model.Unit{}, children: map[uint64][]uint64{}}
	slices.SortFunc(units, func(a, b model.Unit) int { return strings.Compare(a.Code, b.Code) })
	for i := range units {
		u := &units[i]
		t.byID[u.ID], t.byCode[u.Code] = u, u
		var parent uint64
		if u.ParentID != nil {
			parent = *u.ParentID
		}
		t.children[parent] = append(t.children[parent], u.ID)
	}
	var walk func(id uint64)
	walk = func(id uint64) {
		t.order = append(t.order, id)
		for _, c := range t.children[id] {
			walk(c)
		}
	}
	for _, top := range t.children[0] {
		walk(top)
	}
	return t
}

// subtree is the unit id and every id below it, depth-first.
func (t *unitTree) subtree(id uint64) []uint64 {
	out := []uint64{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children[out[i]]...)
	}
	return out
}

// units reads the unit tree, from the process copy while it is fresh.
func (s *Service) units(ctx context.Context) (*unitTree, error) {
	s.unitDir.mu.Lock()
	defer s.unitDir.mu.Unlock()
	if t := s.unitDir.snap; t != nil && s.Now().Sub(t.loadedAt) < unitDirectoryTTL {
		return t, nil
	}
	var units []model.Unit
	if err := s.db.WithContext(ctx).Find(&units).Error; err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	s.unitDir.snap = newUnitTree(units, s.Now())
	return s.unitDir.snap, nil
}

// unitsChanged drops the process copy after a committed unit change.
func (s *Service) unitsChanged() {
	s.unitDir.mu.Lock()
	s.unitDir.snap = nil
	s.unitDir.mu.Unlock()
}

// errNoUnit is a staff session whose account has no unit (any more).
var errNoUnit = model.ErrUnauthorized

// scopeOf is the scope of a staff member of the unit: the unit and every
// unit below it. Staff of a top-level unit also see rows of no unit (a
// lawyer's request for a case number that matches no case).
func (s *Service) scopeOf(ctx context.Context, unitID uint64) (Scope, error) {
	t, err := s.units(ctx)
	if err != nil {
		return Scope{}, err
	}
	u, found := t.byID[unitID]
	if !found {
		return Scope{}, errNoUnit
	}
	ids := t.subtree(unitID)
	sc := Scope{UnitIDs: ids, whole: len(ids) == len(t.byID)}
	if u.ParentID == nil {
		sc.UnitIDs = append(sc.UnitIDs, 0)
	}
	return sc, nil
}

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

// UnitRef names a unit in other objects' answers.
type UnitRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// unitRef names the unit id from the process copy of the tree (nil when
// unknown: a row of no unit).
func (s *Service) unitRef(id uint64) *UnitRef {
	t, err := s.units(context.Background())
	if err != nil {
		return nil
	}
	if u, ok := t.byID[id]; ok {
		return &UnitRef{Code: u.Code, Name: u.Name}
	}
	return nil
}

// pickUnit resolves the unit_code of an input within the scope: the unit
// named, or, when none is named, the only unit in scope. A code outside
// the scope is refused exactly like an unknown one.
func (s *Service) pickUnit(ctx context.Context, sc Scope, fe model.FieldErrors, code string) uint64 {
	t, err := s.units(ctx)
	if err != nil {
		fe.Add("unit_code", "暂时无法读取单位，请稍后再试")
		return 0
	}
	code = strings.TrimSpace(code)
	if code == "" {
		var only []uint64
		for _, id := range t.order {
			if sc.Contains(id) {
				only = append(only, id)
			}
		}
		if len(only) == 1 {
			return only[0]
		}
		fe.Add("unit_code", "请选择单位（unit_code）")
		return 0
	}
	if u, ok := t.byCode[code]; ok && sc.Contains(u.ID) {
		return u.ID
	}
	// A unit added on another instance moments ago is not in the copy yet.
	if u, err := s.unitByCode(s.db.WithContext(ctx), code); err == nil && sc.All {
		return u.ID
	}
	fe.Add("unit_code", "没有该单位")
	return 0
}

// holdUnit share-locks unit id for the rest of tx, so that a concurrent
// DeleteUnit (which locks it for update, then counts what it holds) either
// waits for this write or has removed the unit: then the write is refused
// on field like an unknown unit.
func holdUnit(tx *gorm.DB, id uint64, field string) error {
	var ids []uint64
	if err := tx.Raw("SELECT id FROM units WHERE id = ?"+shareLock(tx), id).Scan(&ids).Error; err != nil {
		return fmt.Errorf("hold unit %d: %w", id, err)
	}
	if len(ids) == 0 {
		return model.Invalid(map[string]string{field: "没有该单位"})
	}
	return nil
}

// shareLock is the clause that share-locks the rows a read finds (MySQL
// and MariaDB; SQLite serialises writers anyway).
func shareLock(db *gorm.DB) string {
	if model.IsMySQL(db) {
		return " LOCK IN SHARE MODE"
	}
	return ""
}

// UnitView is a unit as the staff API shows it.
type UnitView struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	Level          string `json:"level"`
	ParentCode     string `json:"parent_code"`
	Address        string `json:"address"`
	Phone          string `json:"phone"`
	ReceptionHours string `json:"reception_hours"`
	Head           string `json:"head"`
}

func (t *unitTree) view(u *model.Unit) UnitView {
	v := UnitView{Code: u.Code, Name: u.Name, Level: u.Level, Address: u.Address, Phone: u.Phone,
		ReceptionHours: u.ReceptionHours, Head: u.Head}
	if u.ParentID != nil {
		if p, ok := t.byID[*u.ParentID]; ok {
			v.ParentCode = p.Code
		}
	}
	return v
}

// ListUnits lists the units in the actor's scope, parents before children.
func (s *Service) ListUnits(ctx context.Context, a Actor) ([]UnitView, error) {
	t, err := s.units(ctx)
	if err != nil {
		return nil, err
	}
	out := []UnitView{}
	for _, id := range t.order {
		if a.Scope.Contains(id) {
			out = append(out, t.view(t.byID[id]))
		}
	}
	return out, nil
}

// UnitInput is a unit to create, or the fields to change (nil: unchanged).
type UnitInput struct {
	Code           *string `json:"code"`
	Name           *string `json:"name"`
	Level          *string `json:"level"`
	ParentCode     *string `json:"parent_code"`
	Address        *string `json:"address"`
	Phone          *string `json:"phone"`
	ReceptionHours *string `json:"reception_hours"`
	Head           *string `json:"head"`
}

var unitCodePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// Unit errors.
var (
	ErrUnitCodeTaken = model.NewError(model.KindConflict, "unit_code_taken", "该单位代码已存在")
	ErrUnitInUse     = model.NewError(model.KindConflict, "unit_in_use", "该单位仍有案件、工作人员、阅卷室或下级单位，不能删除")
)

// applyUnit validates the fields in carries and copies them onto u.
func applyUnit(fe model.FieldErrors, in UnitInput, u *model.Unit) {
	str := func(p *string, field string, dst *string, required bool, max int) {
		if p != nil {
			*dst = textField(fe, field, *p, required, max)
		}
	}
	str(in.Name, "name", &u.Name, true, 100)
	str(in.Address, "address", &u.Address, false, 200)
	str(in.Phone, "phone", &u.Phone, false, 32)
	str(in.ReceptionHours, "reception_hours", &u.ReceptionHours, false, 100)
	str(in.Head, "head", &u.Head, false, 64)
	if in.Level != nil {
		u.Level = strings.TrimSpace(*in.Level)
		if !slices.Contains(model.UnitLevels, u.Level) {
			fe.Add("level", "级别须为 "+strings.Join(model.UnitLevels, "、")+" 之一")
		}
	}
}

// defaultLevel is the level a unit gets when none is given: one below its
// parent's, province for a top-level unit.
func defaultLevel(parent *model.Unit) string {
	switch {
	case parent == nil:
		return model.UnitProvince
	case parent.Level == model.UnitProvince:
		return model.UnitCity
	default:
		return model.UnitCounty
	}
}

// CreateUnit adds a unit. Staff (admins) add units below their own unit
// only; top-level units are added by the system (CLI, import).
func (s *Service) CreateUnit(ctx context.Context, a Actor, in UnitInput) (UnitView, error) {
	var u model.Unit
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		u, err = s.createUnit(tx, a, in)
		return err
	})
	s.unitsChanged()
	if err != nil {
		return UnitView{}, err
	}
	t, err := s.units(ctx)
	if err != nil {
		return UnitView{}, err
	}
	return t.view(t.byID[u.ID]), nil
}

func (s *Service) createUnit(tx *gorm.DB, a Actor, in UnitInput) (model.Unit, error) {
	fe := model.FieldErrors{}
	var u model.Unit
	if in.Code == nil {
		in.Code = new(string)
	}
	u.Code = strings.TrimSpace(*in.Code)
	if !unitCodePattern.MatchString(u.Code) {
		fe.Add("code", "单位代码须为 1–32 位字母、数字或 _ . -")
	}
	if in.Name == nil {
		in.Name = new(string)
	}
	applyUnit(fe, in, &u)
	parent, err := s.unitParent(tx, a, fe, in.ParentCode)
	if err != nil {
		return u, err
	}
	if parent == nil && !a.Scope.All {
		fe.Add("parent_code", "请选择上级单位（顶级单位只能由命令行添加）")
	}
	if u.Level == "" {
		u.Level = defaultLevel(parent)
	}
	if err := fe.Err(); err != nil {
		return u, err
	}
	parentPath := ""
	if parent != nil {
		u.ParentID, parentPath = &parent.ID, parent.Path
	}
	if err := tx.Create(&u).Error; err != nil {
		if model.IsDuplicate(err) {
			return u, ErrUnitCodeTaken
		}
		return u, fmt.Errorf("create unit %s: %w", u.Code, err)
	}
	u.Path = model.UnitPath(parentPath, u.ID)
	if err := tx.Model(&u).Update("path", u.Path).Error; err != nil {
		return u, fmt.Errorf("set path of unit %s: %w", u.Code, err)
	}
	return u, s.audit(tx, a, "unit.create", "unit:"+u.Code, "")
}

// unitParent resolves a parent_code (nil pointer or "": top-level). A
// parent outside the actor's scope is refused like an unknown one.
func (s *Service) unitParent(tx *gorm.DB, a Actor, fe model.FieldErrors, code *string) (*model.Unit, error) {
	if code == nil || strings.TrimSpace(*code) == "" {
		return nil, nil
	}
	p, err := s.unitByCode(tx, strings.TrimSpace(*code))
	if err == nil {
		err = holdUnit(tx, p.ID, "parent_code") // a parent deleted meanwhile is unknown
	}
	if errors.Is(err, model.ErrNotFound) || (err == nil && !a.Scope.Contains(p.ID)) {
		fe.Add("parent_code", "没有该单位")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// unitInScope loads the unit by code under a row lock, answering
// ErrNotFound when it is absent or outside the actor's scope.
func (s *Service) unitInScope(tx *gorm.DB, a Actor, code string) (model.Unit, error) {
	u, err := s.unitByCode(lockForUpdate(tx), code)
	if err != nil {
		return u, err
	}
	if !a.Scope.Contains(u.ID) {
		return u, model.ErrNotFound
	}
	return u, nil
}

// UpdateUnit changes the fields in carries. An admin edits its own unit
// and those below; moving a unit (parent_code) is for units strictly below
// the actor's own, under a parent in scope and never into its own subtree.
func (s *Service) UpdateUnit(ctx context.Context, a Actor, code string, in UnitInput) (UnitView, error) {
	if in.Code != nil && strings.TrimSpace(*in.Code) != code {
		return UnitView{}, model.Invalid(map[string]string{"code": "单位代码不能修改"})
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.unitInScope(tx, a, code)
		if err != nil {
			return err
		}
		fe := model.FieldErrors{}
		applyUnit(fe, in, &u)
		var moved *model.Unit
		if in.ParentCode != nil {
			if moved, err = s.moveTarget(tx, a, fe, u, in.ParentCode); err != nil {
				return err
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := tx.Model(&u).Select("name", "level", "address", "phone", "reception_hours", "head", "updated_at").
			Updates(&u).Error; err != nil {
			return fmt.Errorf("update unit %s: %w", code, err)
		}
		if moved != nil {
			if err := s.moveUnit(tx, u, moved); err != nil {
				return err
			}
		}
		return s.audit(tx, a, "unit.update", "unit:"+code, "")
	})
	s.unitsChanged()
	if err != nil {
		return UnitView{}, err
	}
	t, err := s.units(ctx)
	if err != nil {
		return UnitView{}, err
	}
	return t.view(t.byCode[code]), nil
}

// moveTarget checks a new parent for u; nil when u stays where it is.
func (s *Service) moveTarget(tx *gorm.DB, a Actor, fe model.FieldErrors, u model.Unit, code *string) (*model.Unit, error) {
	parent, err := s.unitParent(tx, a, fe, code)
	if err != nil || fe["parent_code"] != "" {
		return nil, err
	}
	same := (parent == nil && u.ParentID == nil) || (parent != nil && u.ParentID != nil && *u.ParentID == parent.ID)
	switch {
	case same:
		return nil, nil
	case !a.Scope.All && (u.ID == a.UnitID || parent == nil):
		fe.Add("parent_code", "只能调整本单位以下单位的上级")
	case parent != nil && strings.HasPrefix(parent.Path, u.Path):
		fe.Add("parent_code", "上级单位不能是该单位自身或其下级")
	}
	if parent == nil {
		return &model.Unit{}, nil // top-level (system only)
	}
	return parent, nil
}

// moveUnit puts u under parent (ID 0: top-level) and rewrites the paths
// of its subtree.
func (s *Service) moveUnit(tx *gorm.DB, u model.Unit, parent *model.Unit) error {
	var parentID *uint64
	if parent.ID != 0 {
		parentID = &parent.ID
	}
	newPath := model.UnitPath(parent.Path, u.ID)
	var sub []model.Unit
	if err := tx.Where("path LIKE ?", u.Path+"%").Find(&sub).Error; err != nil {
		return fmt.Errorf("subtree of unit %s: %w", u.Code, err)
	}
	for _, d := range sub {
		upd := map[string]any{"path": newPath + strings.TrimPrefix(d.Path, u.Path)}
		if d.ID == u.ID {
			upd["parent_id"] = parentID
		}
		if err := tx.Model(&model.Unit{}).Where("id = ?", d.ID).Updates(upd).Error; err != nil {
			return fmt.Errorf("move unit %s: %w", d.Code, err)
		}
	}
	return nil
}

// DeleteUnit removes a unit of the actor's scope that holds nothing: no
// cases, staff, rooms or child units (409 otherwise; an admin's own unit
// always holds the admin).
func (s *Service) DeleteUnit(ctx context.Context, a Actor, code string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.unitInScope(tx, a, code)
		if err != nil {
			return err
		}
		for _, held := range []struct {
			m     any
			where string
		}{{&model.Case{}, "unit_id = ?"}, {&model.Staff{}, "unit_id = ?"}, {&model.Room{}, "unit_id = ?"}, {&model.Unit{}, "parent_id = ?"}} {
			var n int64
			if err := tx.Model(held.m).Where(held.where, u.ID).Limit(1).Count(&n).Error; err != nil {
				return fmt.Errorf("check unit %s is empty: %w", code, err)
			}
			if n > 0 {
				return ErrUnitInUse
			}
		}
		if err := tx.Delete(&model.Unit{}, u.ID).Error; err != nil {
			return fmt.Errorf("delete unit %s: %w", code, err)
		}
		if err := tx.Delete(&model.UnitTally{}, u.ID).Error; err != nil {
			return fmt.Errorf("delete tally of unit %s: %w", code, err)
		}
		return s.audit(tx, a, "unit.delete", "unit:"+code, "")
	})
	s.unitsChanged()
	return err
}
