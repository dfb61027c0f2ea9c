package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"zsjc/model"
)

// StatsQuery asks for the figures of a unit over inclusive office-time-zone
// dates; Rollup (the default) covers each unit's whole subtree.
type StatsQuery struct {
	Unit   string
	From   string
	To     string
	Rollup bool
}

// StatsView is the figures of a unit and of each unit directly below it.
type StatsView struct {
	Unit     UnitView       `json:"unit"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Rollup   bool           `json:"rollup"`
	Figures  map[string]any `json:"figures"`
	Children []StatsChild   `json:"children"`
}

// StatsChild is one child unit's figures.
type StatsChild struct {
	Unit    UnitView       `json:"unit"`
	Figures map[string]any `json:"figures"`
}

// maxStatsDays bounds a period (ten years).
const maxStatsDays = 3660

// statsPeriod reads from/to (default: the current month so far) into the
// half-open UTC window of those office dates.
func (s *Service) statsPeriod(fe model.FieldErrors, from, to string) (string, string, statWindow) {
	today := s.today()
	if strings.TrimSpace(from) == "" {
		from = today.AddDate(0, 0, 1-today.Day()).Format(model.DateLayout)
	}
	if strings.TrimSpace(to) == "" {
		to = today.Format(model.DateLayout)
	}
	start, end := s.parseDate(fe, "from", from), s.parseDate(fe, "to", to)
	if len(fe) > 0 {
		return from, to, statWindow{}
	}
	switch {
	case end.Before(start):
		fe.Add("to", "结束日期不能早于开始日期")
	case daysBetween(start, end) > maxStatsDays:
		fe.Add("to", "统计期间不能超过十年")
	}
	w := statWindow{start: start.UTC(), end: end.AddDate(0, 0, 1).UTC()}
	w.cut = w.end
	if now := s.Now(); now.Before(w.cut) {
		w.cut = now
	}
	return from, to, w
}

// statsUnit is the unit a statistic or report is about: the one named (in
// scope, else the same 404 as an absent code), or the actor's own.
func (s *Service) statsUnit(ctx context.Context, a Actor, code string) (*unitTree, *model.Unit, error) {
	t, err := s.units(ctx)
	if err != nil {
		return nil, nil, err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		if u, ok := t.byID[a.UnitID]; ok {
			return t, u, nil
		}
		return nil, nil, model.ErrNotFound // the system actor names its unit
	}
	u, ok := t.byCode[code]
	if !ok || !a.Scope.Contains(u.ID) {
		return nil, nil, model.ErrNotFound
	}
	return t, u, nil
}

// Stats computes the figures of a unit (rolled up or alone) and of each
// unit directly below it, over a period.
func (s *Service) Stats(ctx context.Context, a Actor, q StatsQuery) (StatsView, error) {
	t, u, err := s.statsUnit(ctx, a, q.Unit)
	if err != nil {
		return StatsView{}, err
	}
	fe := model.FieldErrors{}
	from, to, w := s.statsPeriod(fe, q.From, q.To)
	if err := fe.Err(); err != nil {
		return StatsView{}, err
	}
	w.units = t.subtree(u.ID)
	m, err := s.measure(ctx, w)
	if err != nil {
		return StatsView{}, err
	}
	of := func(id uint64) map[string]any {
		if q.Rollup {
			return values(m, t.subtree(id))
		}
		return values(m, []uint64{id})
	}
	v := StatsView{Unit: t.view(u), From: from, To: to, Rollup: q.Rollup, Figures: of(u.ID), Children: []StatsChild{}}
	for _, c := range t.children[u.ID] {
		v.Children = append(v.Children, StatsChild{Unit: t.view(t.byID[c]), Figures: of(c)})
	}
	return v, nil
}

// StatsSeries is one figure per month over the last months, for a chart.
type StatsSeries struct {
	Unit   UnitView          `json:"unit"`
	Months []string          `json:"months"`
	Values map[string][]any  `json:"values"`
	Labels map[string]string `json:"labels"`
}

// MonthlySeries computes the figures (rolled up) of the unit for each of
// the last n months up to and including the current one.
func (s *Service) MonthlySeries(ctx context.Context, a Actor, unit string, names []string, n int) (StatsSeries, error) {
	t, u, err := s.statsUnit(ctx, a, unit)
	if err != nil {
		return StatsSeries{}, err
	}
	out := StatsSeries{Unit: t.view(u), Values: map[string][]any{}, Labels: map[string]string{}}
	only := map[string]bool{}
	for _, f := range Figures {
		if slices.Contains(names, f.Name) {
			out.Labels[f.Name] = f.Label
			only[f.Name] = true
			for _, part := range f.sumOf {
				only[part] = true
			}
		}
	}
	if len(only) == 0 {
		return StatsSeries{}, model.Invalid(map[string]string{"figures": "请选择要统计的指标"})
	}
	first := s.today().AddDate(0, 1-n, 1-s.today().Day())
	for i := range n {
		start := first.AddDate(0, i, 0)
		w := statWindow{start: start.UTC(), end: start.AddDate(0, 1, 0).UTC(), units: t.subtree(u.ID), only: only}
		w.cut = w.end
		if now := s.Now(); now.Before(w.cut) {
			w.cut = now
		}
		m, err := s.measure(ctx, w)
		if err != nil {
			return StatsSeries{}, err
		}
		vals := values(m, w.units)
		out.Months = append(out.Months, start.Format("2006-01"))
		for name := range out.Labels {
			out.Values[name] = append(out.Values[name], vals[name])
		}
	}
	return out, nil
}

// monthStart is the first instant of a YYYY-MM month in the office zone.
func (s *Service) monthStart(fe model.FieldErrors, field, month string) time.Time {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(month), s.opt.Location)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		fe.Add(field, "月份格式为 YYYY-MM，例如 2026-11")
		return time.Time{}
	}
	return t
}
