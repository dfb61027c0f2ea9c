package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// ReportUnit names a unit in the 通报, with its responsible person.
type ReportUnit struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Head string `json:"head"`
}

// PlanActual is the planned or actual documents and events of a month.
type PlanActual struct {
	Documents *int64 `json:"documents"`
	Events    *int64 `json:"events"`
}

// ReportRow is one unit's line in the monthly 通报: its own figures, not
// rolled up.
type ReportRow struct {
	UnitID         uint64     `json:"-"`
	Unit           ReportUnit `json:"unit"`
	Planned        PlanActual `json:"planned"`
	Actual         PlanActual `json:"actual"`
	CompletionRate *float64   `json:"completion_rate"`
	EventsRate     *float64   `json:"events_rate"`
	OnTimeRate     *float64   `json:"on_time_rate"`
	OverdueOpen    int64      `json:"overdue_open"`
	BelowThreshold bool       `json:"below_threshold"`
}

// MonthlyReport is a month's 通报 for the units in a scope.
type MonthlyReport struct {
	Month     string      `json:"month"`
	Title     string      `json:"title"`
	Threshold float64     `json:"threshold"`
	Frozen    bool        `json:"frozen"`
	FrozenAt  *time.Time  `json:"frozen_at,omitempty"`
	Rows      []ReportRow `json:"rows"`
}

// reportRows computes every unit's row for the month starting at start
// (office zone), worst first.
func (s *Service) reportRows(ctx context.Context, t *unitTree, units []uint64, start time.Time, threshold float64) ([]ReportRow, error) {
	w := statWindow{start: start.UTC(), end: start.AddDate(0, 1, 0).UTC(), units: units}
	w.cut = w.end
	if now := s.Now(); now.Before(w.cut) {
		w.cut = now
	}
	m, err := s.measure(ctx, w)
	if err != nil {
		return nil, err
	}
	var plans []model.MonthlyPlan
	if err := s.db.WithContext(ctx).Where("month = ? AND unit_id IN ?", start.Format("2006-01"), units).Find(&plans).Error; err != nil {
		return nil, fmt.Errorf("plans of %s: %w", start.Format("2006-01"), err)
	}
	planOf := map[uint64]model.MonthlyPlan{}
	for _, p := range plans {
		planOf[p.UnitID] = p
	}
	rows := make([]ReportRow, 0, len(units))
	for _, id := range units {
		u, ok := t.byID[id]
		if !ok {
			continue
		}
		v := values(m, []uint64{id})
		docs, events := v["documents_published"].(int64), v["events_recorded"].(int64)
		row := ReportRow{UnitID: id, Unit: ReportUnit{Code: u.Code, Name: u.Name, Head: u.Head},
			Actual: PlanActual{Documents: &docs, Events: &events}}
		if p, ok := planOf[id]; ok {
			pd, pe := int64(p.DocumentsPlanned), int64(p.EventsPlanned)
			row.Planned = PlanActual{Documents: &pd, Events: &pe}
			row.CompletionRate, row.EventsRate = rate(docs, pd), rate(events, pe)
		}
		var onTime, answered int64
		for _, kind := range []string{"bindings", "reviews", "meetings"} {
			onTime += v[kind+"_answered_on_time"].(int64)
			answered += v[kind+"_answered_on_time"].(int64) + v[kind+"_answered_late"].(int64)
			row.OverdueOpen += v[kind+"_overdue_open"].(int64)
		}
		row.OnTimeRate = rate(onTime, answered)
		row.BelowThreshold = row.CompletionRate != nil && *row.CompletionRate < threshold
		rows = append(rows, row)
	}
	sortReport(rows)
	return rows, nil
}

// rate is part ÷ whole to three decimals, nil when whole is zero.
func rate(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	r := math.Round(float64(part)/float64(whole)*1000) / 1000
	return &r
}

// sortReport puts the worst completion rate first and units without a
// plan last, keeping tree order among equals.
func sortReport(rows []ReportRow) {
	slices.SortStableFunc(rows, func(a, b ReportRow) int {
		switch {
		case a.CompletionRate == nil && b.CompletionRate == nil:
			return 0
		case a.CompletionRate == nil:
			return 1
		case b.CompletionRate == nil:
			return -1
		case *a.CompletionRate < *b.CompletionRate:
			return -1
		case *a.CompletionRate > *b.CompletionRate:
			return 1
		}
		return 0
	})
}

// reportTitle names the 通报 after the top of the report's tree:
// 江西省人民检察院 → 江西省检察机关案件信息公开工作情况通报（2026年11月）.
func reportTitle(top *model.Unit, start time.Time) string {
	region := strings.TrimSuffix(strings.TrimSuffix(top.Name, "人民检察院"), "检察院")
	return fmt.Sprintf("%s检察机关案件信息公开工作情况通报（%d年%d月）", region, start.Year(), start.Month())
}

// Report is the month's 通报 for the unit and every unit below it in the
// actor's scope. A month that has ended is read from its frozen snapshot
// (frozen now if no instance has yet), so later edits don't rewrite it.
func (s *Service) Report(ctx context.Context, a Actor, unit, month string) (MonthlyReport, error) {
	t, u, err := s.statsUnit(ctx, a, unit)
	if err != nil {
		return MonthlyReport{}, err
	}
	fe := model.FieldErrors{}
	if strings.TrimSpace(month) == "" {
		month = s.today().Format("2006-01")
	}
	start := s.monthStart(fe, "month", month)
	if err := fe.Err(); err != nil {
		return MonthlyReport{}, err
	}
	rep := MonthlyReport{Month: start.Format("2006-01"), Title: reportTitle(u, start), Threshold: s.opt.ReportThreshold}
	units := t.subtree(u.ID)
	if s.Now().Before(start.AddDate(0, 1, 0).UTC()) {
		rep.Rows, err = s.reportRows(ctx, t, units, start, rep.Threshold)
		return rep, err
	}
	snap, err := s.freezeReport(ctx, t, start)
	if err != nil {
		return MonthlyReport{}, err
	}
	var rows []snapshotRow
	if err := json.Unmarshal([]byte(snap.Rows), &rows); err != nil {
		return MonthlyReport{}, fmt.Errorf("read report snapshot %s: %w", snap.Month, err)
	}
	rep.Threshold, rep.Frozen, rep.FrozenAt = snap.Threshold, true, &snap.CreatedAt
	rep.Rows = []ReportRow{}
	for _, r := range rows {
		if slices.Contains(units, r.UnitID) {
			r.ReportRow.UnitID = r.UnitID
			rep.Rows = append(rep.Rows, r.ReportRow)
		}
	}
	return rep, nil
}

// snapshotRow is a ReportRow as the snapshot keeps it: with its unit id.
type snapshotRow struct {
	ReportRow
	UnitID uint64 `json:"unit_id"`
}

// freezeReport returns the month's snapshot, making it (every unit's
// rows) if there is none yet. The month's primary key makes exactly one
// snapshot, whichever instance gets there first.
func (s *Service) freezeReport(ctx context.Context, t *unitTree, start time.Time) (model.ReportSnapshot, error) {
	month := start.Format("2006-01")
	db := s.db.WithContext(ctx)
	var snap model.ReportSnapshot
	err := db.Take(&snap, "month = ?", month).Error
	if err == nil {
		return snap, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return snap, fmt.Errorf("report snapshot %s: %w", month, err)
	}
	rows, err := s.reportRows(ctx, t, t.order, start, s.opt.ReportThreshold)
	if err != nil {
		return snap, err
	}
	keep := make([]snapshotRow, len(rows))
	for i, r := range rows {
		keep[i] = snapshotRow{ReportRow: r, UnitID: r.UnitID}
	}
	raw, err := json.Marshal(keep)
	if err != nil {
		return snap, fmt.Errorf("encode report snapshot %s: %w", month, err)
	}
	snap = model.ReportSnapshot{Month: month, Threshold: s.opt.ReportThreshold, Rows: string(raw), CreatedAt: s.Now()}
	if err := db.Create(&snap).Error; err != nil && !model.IsDuplicate(err) {
		return snap, fmt.Errorf("freeze report %s: %w", month, err)
	}
	// Whoever won, the stored snapshot is the one.
	if err := db.Take(&snap, "month = ?", month).Error; err != nil {
		return snap, fmt.Errorf("report snapshot %s: %w", month, err)
	}
	return snap, nil
}

// FreezeLastMonth freezes the previous month's 通报 if no instance has;
// every instance runs it (hourly), the snapshot's key keeps it to one.
func (s *Service) FreezeLastMonth(ctx context.Context) error {
	t, err := s.units(ctx)
	if err != nil {
		return err
	}
	today := s.today()
	_, err = s.freezeReport(ctx, t, today.AddDate(0, -1, 1-today.Day()))
	return err
}

// RunReportFreeze runs FreezeLastMonth every interval until ctx ends.
func (s *Service) RunReportFreeze(ctx context.Context, every time.Duration) {
	s.runEvery(ctx, every, func(ctx context.Context) {
		if err := s.FreezeLastMonth(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("freezing last month's report failed", "err", err)
		}
	})
}
