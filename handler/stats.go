package handler

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"zsjc/chart"
	"zsjc/export"
	"zsjc/model"
	"zsjc/service"
)

func (s *Server) statsStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/stats", everyStaff, must(s.stats)},
		{http.MethodGet, "/stats.xlsx", everyStaff, must(s.statsXLSX)},
		{http.MethodGet, "/stats.csv", everyStaff, must(s.statsCSV)},
		{http.MethodGet, "/stats/trend.svg", everyStaff, must(s.statsTrend)},
		{http.MethodGet, "/stats/children.svg", everyStaff, must(s.statsChildren)},
		{http.MethodGet, "/plans/:unit_code/:month", anyStaff, must(s.plan)},
		{http.MethodPut, "/plans/:unit_code/:month", caseOffice, must(s.setPlan)},
		{http.MethodGet, "/reports/monthly", everyStaff, must(s.monthlyReport)},
		{http.MethodGet, "/reports/monthly.xlsx", everyStaff, must(s.monthlyReportXLSX)},
	}
}

// statsQuery reads ?unit=&from=&to=&rollup= (rollup defaults to true).
func statsQuery(c *gin.Context) (service.StatsQuery, error) {
	q := service.StatsQuery{Unit: c.Query("unit"), From: c.Query("from"), To: c.Query("to"), Rollup: true}
	if raw := c.Query("rollup"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return q, model.Invalid(map[string]string{"rollup": "须为 true 或 false"})
		}
		q.Rollup = b
	}
	return q, nil
}

func (s *Server) statsView(c *gin.Context) (service.StatsView, error) {
	q, err := statsQuery(c)
	if err != nil {
		return service.StatsView{}, err
	}
	return s.svc.Stats(c.Request.Context(), actor(c), q)
}

func (s *Server) stats(c *gin.Context) error {
	v, err := s.statsView(c)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, v)
	return nil
}

// statsTables are the figures as a summary sheet and a sheet of the units
// below, with Chinese headers.
func statsTables(v service.StatsView) (summary, children export.Table) {
	summary = export.Table{Sheet: "汇总", Header: []string{"指标", "代码", v.Unit.Name + "（" + v.From + " 至 " + v.To + "）"}}
	children = export.Table{Sheet: "下级单位", Header: []string{"单位代码", "单位"}}
	for _, f := range service.Figures {
		summary.Rows = append(summary.Rows, []any{f.Label, f.Name, v.Figures[f.Name]})
		children.Header = append(children.Header, f.Label)
	}
	for _, ch := range append([]service.StatsChild{{Unit: v.Unit, Figures: v.Figures}}, v.Children...) {
		row := []any{ch.Unit.Code, ch.Unit.Name}
		for _, f := range service.Figures {
			row = append(row, ch.Figures[f.Name])
		}
		children.Rows = append(children.Rows, row)
	}
	return summary, children
}

// attachment names the download (RFC 2231 encoding for the Chinese name).
func attachment(c *gin.Context, contentType, name string) {
	c.Header("Content-Type", contentType)
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) statsXLSX(c *gin.Context) error {
	v, err := s.statsView(c)
	if err != nil {
		return err
	}
	summary, children := statsTables(v)
	attachment(c, xlsxType, fmt.Sprintf("统计_%s_%s_%s.xlsx", v.Unit.Code, v.From, v.To))
	return export.XLSX(c.Writer, summary, children)
}

func (s *Server) statsCSV(c *gin.Context) error {
	v, err := s.statsView(c)
	if err != nil {
		return err
	}
	_, children := statsTables(v)
	attachment(c, "text/csv; charset=utf-8", fmt.Sprintf("统计_%s_%s_%s.csv", v.Unit.Code, v.From, v.To))
	return export.CSV(c.Writer, children)
}

// chartFigures reads ?figures=a,b (one to five of service.Figures) or
// takes the defaults.
func chartFigures(c *gin.Context, defaults ...string) ([]string, error) {
	raw := strings.TrimSpace(c.Query("figures"))
	if raw == "" {
		return defaults, nil
	}
	names := strings.Split(raw, ",")
	if len(names) > 5 {
		return nil, model.Invalid(map[string]string{"figures": "一张图至多 5 项指标"})
	}
	for _, name := range names {
		if labelOf(name) == "" {
			return nil, model.Invalid(map[string]string{"figures": "没有指标 " + name})
		}
	}
	return names, nil
}

// labelOf is the figure's label, "" for no such figure.
func labelOf(name string) string {
	for _, f := range service.Figures {
		if f.Name == name {
			return f.Label
		}
	}
	return ""
}

func number(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// statsTrend draws the figures of the unit over the last twelve months.
func (s *Server) statsTrend(c *gin.Context) error {
	names, err := chartFigures(c, "events_recorded", "documents_published", "bindings_received")
	if err != nil {
		return err
	}
	series, err := s.svc.MonthlySeries(c.Request.Context(), actor(c), c.Query("unit"), names, 12)
	if err != nil {
		return err
	}
	var lines []chart.Series
	for _, name := range names {
		if vals, ok := series.Values[name]; ok {
			line := chart.Series{Name: series.Labels[name]}
			for _, v := range vals {
				line.Values = append(line.Values, number(v))
			}
			lines = append(lines, line)
		}
	}
	c.Header("Content-Type", "image/svg+xml")
	return chart.Lines(c.Writer, series.Unit.Name+" 近十二个月", series.Months, lines)
}

// statsChildren draws the units below as bars of the chosen figures.
func (s *Server) statsChildren(c *gin.Context) error {
	v, err := s.statsView(c)
	if err != nil {
		return err
	}
	names, err := chartFigures(c, "events_recorded", "documents_published")
	if err != nil {
		return err
	}
	var cats []string
	bars := make([]chart.Series, len(names))
	for i, name := range names {
		bars[i].Name = labelOf(name)
	}
	for _, ch := range v.Children {
		cats = append(cats, ch.Unit.Name)
		for i, name := range names {
			bars[i].Values = append(bars[i].Values, number(ch.Figures[name]))
		}
	}
	c.Header("Content-Type", "image/svg+xml")
	return chart.Bars(c.Writer, v.Unit.Name+" 下级单位对比（"+v.From+" 至 "+v.To+"）", cats, bars)
}

func (s *Server) plan(c *gin.Context) error {
	p, err := s.svc.Plan(c.Request.Context(), actor(c), c.Param("unit_code"), c.Param("month"))
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, p)
	return nil
}

func (s *Server) setPlan(c *gin.Context) error {
	var in service.PlanInput
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := s.svc.SetPlan(c.Request.Context(), actor(c), c.Param("unit_code"), c.Param("month"), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, p)
	return nil
}

func (s *Server) report(c *gin.Context) (service.MonthlyReport, error) {
	return s.svc.Report(c.Request.Context(), actor(c), c.Query("unit"), c.Query("month"))
}

func (s *Server) monthlyReport(c *gin.Context) error {
	r, err := s.report(c)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, r)
	return nil
}

// percent is a rate cell (empty without a rate).
func percent(r *float64) any {
	if r == nil {
		return nil
	}
	return export.Percent(*r)
}

func count(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

func (s *Server) monthlyReportXLSX(c *gin.Context) error {
	r, err := s.report(c)
	if err != nil {
		return err
	}
	t := export.Table{Sheet: "通报", Header: []string{"单位", "负责人", "计划公开文书", "实际公开文书", "完成率",
		"计划公开信息", "实际公开信息", "信息完成率", "按期答复率", "超期未答复", "低于通报线"}}
	for _, row := range r.Rows {
		below := ""
		if row.BelowThreshold {
			below = "是"
		}
		t.Rows = append(t.Rows, []any{row.Unit.Name, row.Unit.Head, count(row.Planned.Documents), count(row.Actual.Documents),
			percent(row.CompletionRate), count(row.Planned.Events), count(row.Actual.Events), percent(row.EventsRate),
			percent(row.OnTimeRate), row.OverdueOpen, below})
	}
	attachment(c, xlsxType, r.Title+".xlsx")
	return export.XLSX(c.Writer, t)
}
