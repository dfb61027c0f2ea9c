package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// PlanInput is a unit's plan for a month.
type PlanInput struct {
	DocumentsPlanned *int `json:"documents_planned"`
	EventsPlanned    *int `json:"events_planned"`
}

// PlanView is a unit's plan for a month as the API shows it.
type PlanView struct {
	Unit             UnitRef    `json:"unit"`
	Month            string     `json:"month"`
	DocumentsPlanned *int       `json:"documents_planned"`
	EventsPlanned    *int       `json:"events_planned"`
	Frozen           bool       `json:"frozen"`
	UpdatedAt        *time.Time `json:"updated_at,omitempty"`
}

// planEditDays: a month's plan can be changed until the end of its 5th.
const planEditDays = 5

// errPlanFrozen refuses a change after the month's 5th.
var errPlanFrozen = model.NewError(model.KindConflict, "plan_frozen", "本月计划已于 5 日后冻结，如需更正请联系上级院管理员")

// maxPlanned bounds a planned count.
const maxPlanned = 1_000_000

// planFrozen reports whether month (starting at start) is past its edit window.
func (s *Service) planFrozen(start time.Time) bool {
	return !s.Now().Before(start.AddDate(0, 0, planEditDays).UTC())
}

// planUnit resolves a plan's unit within the actor's scope.
func (s *Service) planUnit(ctx context.Context, a Actor, code, month string) (*unitTree, *model.Unit, time.Time, error) {
	t, u, err := s.statsUnit(ctx, a, code)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	fe := model.FieldErrors{}
	start := s.monthStart(fe, "month", month)
	return t, u, start, fe.Err()
}

// Plan reads a unit's plan for a month (null counts when none was entered).
func (s *Service) Plan(ctx context.Context, a Actor, code, month string) (PlanView, error) {
	_, u, start, err := s.planUnit(ctx, a, code, month)
	if err != nil {
		return PlanView{}, err
	}
	v := PlanView{Unit: UnitRef{Code: u.Code, Name: u.Name}, Month: start.Format("2006-01"), Frozen: s.planFrozen(start)}
	var p model.MonthlyPlan
	err = s.db.WithContext(ctx).Where("unit_id = ? AND month = ?", u.ID, v.Month).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, nil
	}
	if err != nil {
		return PlanView{}, fmt.Errorf("plan of unit %s for %s: %w", u.Code, v.Month, err)
	}
	v.DocumentsPlanned, v.EventsPlanned, v.UpdatedAt = &p.DocumentsPlanned, &p.EventsPlanned, &p.UpdatedAt
	return v, nil
}

// SetPlan enters or changes a unit's plan for a month. After the month's
// 5th only an admin of a unit above it may still correct it (audited as a
// correction).
func (s *Service) SetPlan(ctx context.Context, a Actor, code, month string, in PlanInput) (PlanView, error) {
	t, u, start, err := s.planUnit(ctx, a, code, month)
	if err != nil {
		return PlanView{}, err
	}
	fe := model.FieldErrors{}
	for field, v := range map[string]*int{"documents_planned": in.DocumentsPlanned, "events_planned": in.EventsPlanned} {
		switch {
		case v == nil:
			fe.Add(field, "请填写计划数")
		case *v < 0 || *v > maxPlanned:
			fe.Add(field, fmt.Sprintf("计划数须在 0 到 %d 之间", maxPlanned))
		}
	}
	if err := fe.Err(); err != nil {
		return PlanView{}, err
	}
	action := "plan.update"
	if s.planFrozen(start) {
		if a.Role != model.StaffAdmin || !t.strictlyAbove(a.UnitID, u) {
			return PlanView{}, errPlanFrozen
		}
		action = "plan.correct"
	}
	m := start.Format("2006-01")
	row := model.MonthlyPlan{UnitID: u.ID, Month: m, DocumentsPlanned: *in.DocumentsPlanned, EventsPlanned: *in.EventsPlanned}
	if a.StaffID != 0 {
		row.UpdatedBy = &a.StaffID
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "unit_id"}, {Name: "month"}},
			DoUpdates: clause.AssignmentColumns([]string{"documents_planned", "events_planned", "updated_by", "updated_at"}),
		}).Create(&row).Error
		if err != nil {
			return fmt.Errorf("save plan of unit %s for %s: %w", u.Code, m, err)
		}
		return s.audit(tx, a, action, "unit:"+u.Code, fmt.Sprintf("%s 文书 %d 信息 %d", m, *in.DocumentsPlanned, *in.EventsPlanned))
	})
	if err != nil {
		return PlanView{}, err
	}
	return s.Plan(ctx, a, code, month)
}

// strictlyAbove reports whether unit id is an ancestor of u (not u).
func (t *unitTree) strictlyAbove(id uint64, u *model.Unit) bool {
	above, ok := t.byID[id]
	return ok && above.ID != u.ID && strings.HasPrefix(u.Path, above.Path)
}
