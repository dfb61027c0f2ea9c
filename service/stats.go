package service

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// Figure is one statistic: its name in the API, its Chinese label, and
// how it is counted (docs/design.md lists them from this table).
type Figure struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	How   string `json:"how"`
	// Hours marks an average in hours, Mean an average of the values
	// counted (stars), both to one decimal and null without data; the
	// others are counts.
	Hours bool `json:"hours,omitempty"`
	Mean  bool `json:"mean,omitempty"`
	// sumOf derives the figure from others.
	sumOf []string
	query func(db *gorm.DB, w statWindow) *gorm.DB
}

// statWindow is the period [start, end) in UTC, and cut: the moment open
// requests are judged at (the period's end, or now if it is earlier).
type statWindow struct {
	start, end, cut time.Time
	// units limits the rows to these units' own (nil: every unit).
	units []uint64
	// only limits the figures measured (nil: all).
	only  map[string]bool
	mysql bool
}

// seconds is the SQL for the seconds from a to b.
func (w statWindow) seconds(a, b string) string {
	if w.mysql {
		return fmt.Sprintf("TIMESTAMPDIFF(SECOND, %s, %s)", a, b)
	}
	return fmt.Sprintf("(julianday(%s) - julianday(%s)) * 86400", b, a)
}

// perUnit groups q by unitCol, limited to the window's units, selecting
// unit_id, total and n.
func (w statWindow) perUnit(q *gorm.DB, unitCol, total string) *gorm.DB {
	if w.units != nil {
		q = q.Where(unitCol+" IN ?", w.units)
	}
	return q.Select(unitCol + " AS unit_id, " + total + " AS total, COUNT(*) AS n").Group(unitCol)
}

// counted counts q's rows per unit.
func (w statWindow) counted(q *gorm.DB, unitCol string) *gorm.DB {
	return w.perUnit(q, unitCol, "COUNT(*)")
}

// requestFigures are the five figures of one request kind (bindings,
// reviews, meetings): received, answered on time and late, open past the
// reply-by time, and the average time to answer. answered is the column
// that holds when staff answered.
func requestFigures(kind, label string, row any, answered string) []Figure {
	t := func(db *gorm.DB) *gorm.DB { return db.Model(row) }
	return []Figure{
		{Name: kind + "_received", Label: label + "：收到", How: "申请提交时间在期间内",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where("created_at >= ? AND created_at < ?", w.start, w.end), "unit_id")
			}},
		{Name: kind + "_answered_on_time", Label: label + "：按期答复", How: "答复时间在期间内且不晚于答复期限",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where(answered+" >= ? AND "+answered+" < ? AND (reply_by IS NULL OR "+answered+" <= reply_by)", w.start, w.end), "unit_id")
			}},
		{Name: kind + "_answered_late", Label: label + "：超期答复", How: "答复时间在期间内且晚于答复期限",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where(answered+" >= ? AND "+answered+" < ? AND reply_by IS NOT NULL AND "+answered+" > reply_by", w.start, w.end), "unit_id")
			}},
		{Name: kind + "_overdue_open", Label: label + "：超期未答复", How: "期间结束时（或现在）已过答复期限仍未答复（撤回的不计）",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where("created_at < ? AND reply_by < ? AND ("+answered+" IS NULL OR "+answered+" > ?) AND status <> ?",
					w.cut, w.cut, w.cut, model.StatusCancelled), "unit_id")
			}},
		{Name: kind + "_avg_reply_hours", Label: label + "：平均答复用时（小时）", How: "期间内答复的申请从提交到答复的平均小时数", Hours: true,
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.perUnit(t(db).Where(answered+" >= ? AND "+answered+" < ?", w.start, w.end),
					"unit_id", "SUM("+w.seconds("created_at", answered)+")")
			}},
	}
}

// Figures is every statistic, defined once.
var Figures = func() []Figure {
	out := []Figure{
		{Name: "cases_accepted", Label: "受理案件", How: "受理时间在期间内的案件",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.Case{}).Where("accepted_at >= ? AND accepted_at < ?", w.start, w.end), "unit_id")
			}},
		{Name: "events_recorded", Label: "公开程序性信息", How: "期间内记录的案件进展（办案人员录入与业务系统推送），新建案件不计",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.CaseEvent{}).Joins("JOIN cases ON cases.id = case_events.case_id").
					Where("case_events.created_at >= ? AND case_events.created_at < ?", w.start, w.end), "cases.unit_id")
			}},
		{Name: "documents_published_public", Label: "公开法律文书（向社会公开）", How: "发布时间在期间内、向社会公开的文书",
			query: documentsPublished(true)},
		{Name: "documents_published_bound", Label: "公开法律文书（向案件当事人公开）", How: "发布时间在期间内、仅向绑定案件的当事人和律师公开的文书",
			query: documentsPublished(false)},
		{Name: "documents_published", Label: "公开法律文书（合计）", How: "以上两项之和",
			sumOf: []string{"documents_published_public", "documents_published_bound"}},
		{Name: "bindings_approved", Label: "绑定申请：通过", How: "期间内通过的绑定（含当事人核验即时通过、其后解除的）",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.Binding{}).Where("answered_at >= ? AND answered_at < ? AND status IN ?",
					w.start, w.end, []model.Status{model.StatusApproved, model.StatusRevoked}), "unit_id")
			}},
		{Name: "bindings_rejected", Label: "绑定申请：驳回", How: "期间内驳回的绑定",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.Binding{}).Where("answered_at >= ? AND answered_at < ? AND status = ?",
					w.start, w.end, model.StatusRejected), "unit_id")
			}},
	}
	out = append(out, requestFigures("bindings", "绑定申请", &model.Binding{}, "answered_at")...)
	out = append(out, requestFigures("reviews", "阅卷预约", &model.ReviewBooking{}, "decided_at")...)
	out = append(out, requestFigures("meetings", "会见申请", &model.MeetingRequest{}, "decided_at")...)
	out = append(out, complaintFigures()...)
	out = append(out,
		Figure{Name: "rating_count", Label: "评价：条数", How: "期间内收到的评价，计入被评价申请所属单位",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.Rating{}).Where("created_at >= ? AND created_at < ?", w.start, w.end), "unit_id")
			}},
		Figure{Name: "rating_avg", Label: "评价：平均星级", How: "期间内收到的评价的平均星级（1–5）", Mean: true,
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.perUnit(db.Model(&model.Rating{}).Where("created_at >= ? AND created_at < ?", w.start, w.end), "unit_id", "SUM(stars)")
			}},
		Figure{Name: "pushes_sent", Label: "推送：已发出", How: "期间内发出的消息",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.PushMessage{}).Where("sent_at >= ? AND sent_at < ?", w.start, w.end), "unit_id")
			}},
		Figure{Name: "pushes_delivered", Label: "推送：已送达", How: "期间内微信确认送达的消息",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.PushMessage{}).Where("delivered_at >= ? AND delivered_at < ?", w.start, w.end), "unit_id")
			}},
		Figure{Name: "pushes_failed", Label: "推送：失败", How: "期间内最终失败的消息",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(db.Model(&model.PushMessage{}).Where("status = ? AND updated_at >= ? AND updated_at < ?",
					model.StatusFailed, w.start, w.end), "unit_id")
			}},
	)
	return out
}()

// complaintFigures count the complaints per unit they are with now: those
// received and resolved in the period, those resolved after their result
// deadline, and those past each deadline without its answer at the
// judging moment.
func complaintFigures() []Figure {
	t := func(db *gorm.DB) *gorm.DB { return db.Model(&model.Complaint{}) }
	out := []Figure{
		{Name: "complaints_received", Label: "控告申诉：收到", How: "提交时间在期间内",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where("created_at >= ? AND created_at < ?", w.start, w.end), "unit_id")
			}},
		{Name: "complaints_resolved", Label: "控告申诉：办结", How: "办结时间在期间内",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where("resolved_at >= ? AND resolved_at < ?", w.start, w.end), "unit_id")
			}},
		{Name: "complaints_resolved_late", Label: "控告申诉：超期办结", How: "办结时间在期间内且晚于办理期限",
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where("resolved_at >= ? AND resolved_at < ? AND resolved_at > result_by", w.start, w.end), "unit_id")
			}},
	}
	labels := map[string][2]string{
		acknowledgeDeadline.name: {"控告申诉：超期未受理", "期间结束时（或现在）已过受理期限（到达本单位后 7 日）仍未受理"},
		resultDeadline.name:      {"控告申诉：超期未办结", "期间结束时（或现在）已过办理期限仍未办结"},
	}
	for _, d := range complaintDeadlines {
		out = append(out, Figure{Name: strings.Replace(d.name, "complaint_", "complaints_", 1) + "_overdue_open",
			Label: labels[d.name][0], How: labels[d.name][1],
			query: func(db *gorm.DB, w statWindow) *gorm.DB {
				return w.counted(t(db).Where("created_at < ? AND "+d.column+" < ? AND ("+d.answered+" IS NULL OR "+d.answered+" > ?)",
					w.cut, w.cut, w.cut), "unit_id")
			}})
	}
	return out
}

func documentsPublished(public bool) func(db *gorm.DB, w statWindow) *gorm.DB {
	return func(db *gorm.DB, w statWindow) *gorm.DB {
		return w.counted(db.Model(&model.Document{}).Joins("JOIN cases ON cases.id = documents.case_id").
			Where("documents.public = ? AND documents.published_at >= ? AND documents.published_at < ?", public, w.start, w.end), "cases.unit_id")
	}
}

// unitTotals is one figure's SQL result: per unit, a total and a count.
type unitTotals map[uint64]struct{ total, n float64 }

// measure runs every figure's aggregation over the units (their own rows
// each, not rolled up), in the database.
func (s *Service) measure(ctx context.Context, w statWindow) (map[string]unitTotals, error) {
	out := map[string]unitTotals{}
	db := s.db.WithContext(ctx)
	w.mysql = model.IsMySQL(s.db)
	for _, f := range Figures {
		if f.query == nil || (w.only != nil && !w.only[f.Name]) {
			continue
		}
		var rows []struct {
			UnitID uint64
			Total  float64
			N      float64
		}
		if err := f.query(db, w).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("statistics %s: %w", f.Name, err)
		}
		t := unitTotals{}
		for _, r := range rows {
			t[r.UnitID] = struct{ total, n float64 }{r.Total, r.N}
		}
		out[f.Name] = t
	}
	return out, nil
}

// values sums the measured figures over units: counts as numbers,
// averages as hours with one decimal (nil without data).
func values(m map[string]unitTotals, units []uint64) map[string]any {
	out := make(map[string]any, len(Figures))
	for _, f := range Figures {
		if f.sumOf != nil {
			var sum int64
			for _, part := range f.sumOf {
				n, _ := out[part].(int64)
				sum += n
			}
			out[f.Name] = sum
			continue
		}
		var total, n float64
		for _, u := range units {
			v := m[f.Name][u]
			total, n = total+v.total, n+v.n
		}
		switch {
		case !f.Hours && !f.Mean:
			out[f.Name] = int64(total)
		case n == 0:
			out[f.Name] = nil
		case f.Hours:
			out[f.Name] = math.Round(total/n/3600*10) / 10
		default:
			out[f.Name] = math.Round(total/n*10) / 10
		}
	}
	return out
}
