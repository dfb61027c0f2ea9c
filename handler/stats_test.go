package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// cst is an office-time instant.
func cst(day, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, shanghai)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// staffIn logs in a new staff account of the unit.
func staffIn(e *handlertest.Env, role, unit string) handlertest.Caller {
	e.T.Helper()
	st, err := e.Svc.CreateStaff(context.Background(), service.System,
		service.NewStaff{Username: e.Unique("staff"), Role: role, Password: handlertest.StaffPassword, UnitCode: unit})
	if err != nil {
		e.T.Fatalf("create staff of %s: %v", unit, err)
	}
	id, sess, err := e.Svc.NewStaffSession(context.Background(), st)
	if err != nil {
		e.T.Fatal(err)
	}
	return handlertest.Caller{Cookie: &http.Cookie{Name: "zsjc_staff", Value: id}, CSRF: sess.CSRFToken, StaffID: st.ID}
}

// statsHistory is a known history across three units (root → city →
// county) and two months, on the test clock (2026-12-02 10:00 CST).
type statsHistory struct {
	*handlertest.Env
	t               *testing.T
	root, city, cty model.Unit
}

func newStatsHistory(t *testing.T) *statsHistory {
	e := handlertest.New(t)
	h := &statsHistory{Env: e, t: t}
	ctx := context.Background()
	str := func(s string) *string { return &s }
	for _, u := range []service.UnitInput{
		{Code: str("360100"), Name: str("南昌市人民检察院"), ParentCode: str(model.RootUnitCode), Head: str("李市长")},
		{Code: str("360102"), Name: str("东湖区人民检察院"), ParentCode: str("360100"), Head: str("王区长")},
	} {
		if _, err := e.Svc.CreateUnit(ctx, service.System, u); err != nil {
			t.Fatal(err)
		}
	}
	for code, dst := range map[string]*model.Unit{model.RootUnitCode: &h.root, "360100": &h.city, "360102": &h.cty} {
		if err := e.DB.Where("code = ?", code).Take(dst).Error; err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *statsHistory) create(rows ...any) {
	h.t.Helper()
	for _, r := range rows {
		if err := h.DB.Create(r).Error; err != nil {
			h.t.Fatalf("create %T: %v", r, err)
		}
	}
}

func (h *statsHistory) kase(unit model.Unit, no string, accepted time.Time) model.Case {
	c := model.Case{CaseNo: no, Name: no + "案", Stage: "受理", UnitID: unit.ID, AcceptedAt: accepted}
	h.create(&c)
	return c
}

func ptr(t time.Time) *time.Time { return &t }

// seed writes the history: every figure has rows in and out of November,
// and the acceptance of two cases falls either side of midnight CST on
// 1 December (both on 30 November in UTC).
func (h *statsHistory) seed() {
	r1 := h.kase(h.root, "R1", cst("2026-11-10", "09:00"))
	a1 := h.kase(h.city, "A1", cst("2026-11-30", "23:30"))
	b0 := h.kase(h.cty, "B0", cst("2026-11-05", "09:00"))
	h.kase(h.cty, "B1", cst("2026-12-01", "00:10"))
	h.kase(h.cty, "B-old", cst("2026-10-31", "23:59"))
	h.create(
		&model.CaseEvent{CaseID: a1.ID, Stage: "受理", OccurredAt: cst("2026-11-30", "23:40"), Source: "staff", CreatedAt: cst("2026-11-30", "23:40")},
		&model.CaseEvent{CaseID: a1.ID, Stage: "审查起诉", OccurredAt: cst("2026-11-30", "23:50"), Source: "integration", CreatedAt: cst("2026-11-30", "23:50")},
		&model.CaseEvent{CaseID: b0.ID, Stage: "审查起诉", OccurredAt: cst("2026-12-01", "08:00"), Source: "staff", CreatedAt: cst("2026-12-01", "08:00")},
		&model.Document{CaseID: a1.ID, Title: "起诉书", Public: true, FileKey: "k1", PublishedAt: cst("2026-11-20", "10:00")},
		&model.Document{CaseID: a1.ID, Title: "告知书", Public: false, FileKey: "k2", PublishedAt: cst("2026-11-21", "10:00")},
		&model.Document{CaseID: b0.ID, Title: "不起诉决定书", Public: true, FileKey: "k3", PublishedAt: cst("2026-12-01", "09:00")},
	)
	user := model.WeChatUser{OpenID: "o-stats"}
	h.create(&user)
	binding := func(unit model.Unit, c model.Case, status model.Status, created, replyBy time.Time, answered *time.Time) {
		n := fmt.Sprint(time.Now().UnixNano())
		h.create(&model.Binding{UserID: user.ID, CaseID: c.ID, UnitID: unit.ID, Role: model.RoleLawyer, Status: status, CaseNo: c.CaseNo + n,
			CreatedAt: created, ReplyBy: &replyBy, AnsweredAt: answered})
	}
	binding(h.cty, b0, model.StatusApproved, cst("2026-11-10", "10:00"), cst("2026-11-13", "17:00"), ptr(cst("2026-11-12", "10:00"))) // on time, 48 h
	binding(h.cty, b0, model.StatusRejected, cst("2026-11-10", "10:00"), cst("2026-11-13", "17:00"), ptr(cst("2026-11-20", "10:00"))) // late, 240 h
	binding(h.cty, b0, model.StatusPending, cst("2026-11-20", "10:00"), cst("2026-11-25", "17:00"), nil)                              // overdue open
	binding(h.cty, b0, model.StatusRevoked, cst("2026-11-15", "10:00"), cst("2026-11-15", "10:00"), ptr(cst("2026-11-15", "10:00")))  // a party, at once, later revoked
	binding(h.cty, b0, model.StatusCancelled, cst("2026-11-16", "10:00"), cst("2026-11-18", "17:00"), nil)                            // withdrawn: never overdue

	slot := model.ReviewSlot{Date: "2026-11-06", Period: "am", Capacity: 4}
	h.create(&slot)
	h.create(
		&model.ReviewBooking{UserID: user.ID, CaseID: a1.ID, UnitID: h.city.ID, SlotID: slot.ID, Status: model.StatusConfirmed,
			CreatedAt: cst("2026-11-03", "09:00"), ReplyBy: cst("2026-11-06", "09:00"), DecidedAt: ptr(cst("2026-11-05", "09:00"))},
		&model.ReviewBooking{UserID: user.ID, CaseID: a1.ID, UnitID: h.city.ID, SlotID: slot.ID, Status: model.StatusPending,
			CreatedAt: cst("2026-11-28", "09:00"), ReplyBy: cst("2026-12-03", "09:00")},
		&model.MeetingRequest{UserID: user.ID, CaseID: r1.ID, UnitID: h.root.ID, Type: "听取意见", Status: model.StatusRejected,
			CreatedAt: cst("2026-11-02", "09:00"), ReplyBy: cst("2026-11-05", "17:00"), DecidedAt: ptr(cst("2026-11-09", "09:00"))},
	)
	push := func(unit model.Unit, key string, status model.Status, sent, delivered *time.Time, updated time.Time) {
		h.create(&model.PushMessage{OpenID: user.OpenID, Kind: model.PushCaseEvent, UnitID: unit.ID, DedupKey: key, ClientMsgID: key,
			Status: status, NextAttemptAt: updated, SentAt: sent, DeliveredAt: delivered, UpdatedAt: updated})
	}
	push(h.city, "p1", model.StatusDelivered, ptr(cst("2026-11-20", "10:00")), ptr(cst("2026-11-20", "10:01")), cst("2026-11-20", "10:01"))
	push(h.cty, "p2", model.StatusFailed, nil, nil, cst("2026-11-21", "10:00"))
	push(h.cty, "p3", model.StatusSent, ptr(cst("2026-12-01", "10:00")), nil, cst("2026-12-01", "10:00"))
}

type statsAnswer struct {
	Unit     struct{ Code string }
	From, To string
	Figures  map[string]any
	Children []struct {
		Unit    struct{ Code string }
		Figures map[string]any
	}
}

func (h *statsHistory) stats(who handlertest.Caller, query string) statsAnswer {
	h.t.Helper()
	r := h.Do(who, "GET", "/api/staff/stats?"+query, nil)
	if r.Code != 200 {
		h.t.Fatalf("stats %s: %d %s", query, r.Code, r.Body)
	}
	var a statsAnswer
	r.JSON(h.t, &a)
	return a
}

func expectFigures(t *testing.T, where string, got map[string]any, want map[string]any) {
	t.Helper()
	for name, w := range want {
		g := got[name]
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %v, want %v", where, name, g, w)
		}
	}
	for _, f := range service.Figures {
		if _, ok := got[f.Name]; !ok {
			t.Errorf("%s: figure %s missing", where, f.Name)
		}
	}
}

// TestStatisticsOfAKnownHistory checks every figure, the roll-up, the
// period edges in Asia/Shanghai and the scope of the statistics API.
func TestStatisticsOfAKnownHistory(t *testing.T) {
	h := newStatsHistory(t)
	h.seed()
	admin := staffIn(h.Env, model.StaffAdmin, model.RootUnitCode)
	nov := "from=2026-11-01&to=2026-11-30"

	whole := h.stats(admin, nov+"&unit=root")
	expectFigures(t, "root rolled up, November", whole.Figures, map[string]any{
		"cases_accepted": 3, "events_recorded": 2, "documents_published_public": 1, "documents_published_bound": 1, "documents_published": 2,
		"bindings_received": 5, "bindings_approved": 2, "bindings_rejected": 1,
		"bindings_answered_on_time": 2, "bindings_answered_late": 1, "bindings_overdue_open": 1, "bindings_avg_reply_hours": 96,
		"reviews_received": 2, "reviews_answered_on_time": 1, "reviews_answered_late": 0, "reviews_overdue_open": 0, "reviews_avg_reply_hours": 48,
		"meetings_received": 1, "meetings_answered_on_time": 0, "meetings_answered_late": 1, "meetings_overdue_open": 0, "meetings_avg_reply_hours": 168,
		"pushes_sent": 1, "pushes_delivered": 1, "pushes_failed": 1,
	})
	if len(whole.Children) != 1 || whole.Children[0].Unit.Code != "360100" {
		t.Fatalf("children of root: %+v", whole.Children)
	}
	expectFigures(t, "city rolled up (as root's child)", whole.Children[0].Figures, map[string]any{
		"cases_accepted": 2, "events_recorded": 2, "bindings_received": 5, "reviews_received": 2, "meetings_received": 0, "pushes_failed": 1})

	alone := h.stats(admin, nov+"&unit=360100&rollup=false")
	expectFigures(t, "city alone", alone.Figures, map[string]any{
		"cases_accepted": 1, "events_recorded": 2, "documents_published": 2, "bindings_received": 0, "reviews_received": 2,
		"bindings_avg_reply_hours": nil, "pushes_delivered": 1, "pushes_failed": 0})
	expectFigures(t, "county alone (city's child)", alone.Children[0].Figures, map[string]any{"cases_accepted": 1, "bindings_received": 5})

	dec := h.stats(admin, "from=2026-12-01&to=2026-12-31&unit=root")
	expectFigures(t, "root, December so far", dec.Figures, map[string]any{
		"cases_accepted": 1, "events_recorded": 1, "documents_published_public": 1, "pushes_sent": 1,
		// The pending binding is still open now, past its reply-by.
		"bindings_overdue_open": 1, "reviews_overdue_open": 0})
	oct := h.stats(admin, "from=2026-10-31&to=2026-10-31&unit=360102")
	expectFigures(t, "county, 31 October", oct.Figures, map[string]any{"cases_accepted": 1})

	// Scope: the county's staff see their own unit only.
	county := staffIn(h.Env, model.StaffProsecutor, "360102")
	if r := h.Do(county, "GET", "/api/staff/stats?unit=360100", nil); r.Code != 404 {
		t.Errorf("county staff reading the city's figures: %d %s", r.Code, r.Body)
	}
	if r := h.Do(county, "GET", "/api/staff/stats?unit=nosuch", nil); r.Code != 404 {
		t.Errorf("unknown unit: %d", r.Code)
	}
	if own := h.stats(county, nov); own.Unit.Code != "360102" || fmt.Sprint(own.Figures["bindings_received"]) != "5" {
		t.Errorf("county staff's default unit: %+v", own)
	}
	for _, bad := range []string{"from=2026-11-31", "from=2026-12-02&to=2026-12-01", "rollup=maybe", "from=1990-01-01&to=2026-01-01"} {
		if r := h.Do(admin, "GET", "/api/staff/stats?"+bad, nil); r.Code != 422 {
			t.Errorf("%s: %d %s", bad, r.Code, r.Body)
		}
	}
}

// TestMonthlyPlanReportAndSnapshot: plans freeze after the 5th (an admin
// above may still correct), the 通报 rates and threshold list, worst
// first, and the frozen snapshot of an ended month.
func TestMonthlyPlanReportAndSnapshot(t *testing.T) {
	h := newStatsHistory(t)
	h.seed()
	admin := staffIn(h.Env, model.StaffAdmin, model.RootUnitCode)
	cityManager := staffIn(h.Env, model.StaffCaseManager, "360100")
	prosecutor := staffIn(h.Env, model.StaffProsecutor, "360100")
	plan := func(who handlertest.Caller, unit, month string, docs, events int) handlertest.Response {
		return h.Do(who, "PUT", "/api/staff/plans/"+unit+"/"+month, map[string]int{"documents_planned": docs, "events_planned": events})
	}
	// December is still open (the clock is on the 2nd), November frozen.
	if r := plan(cityManager, "360100", "2026-12", 5, 5); r.Code != 200 {
		t.Fatalf("December plan: %d %s", r.Code, r.Body)
	}
	if r := plan(cityManager, "360100", "2026-11", 4, 2); r.Code != 409 || r.ErrorCode() != "plan_frozen" {
		t.Fatalf("November plan by the city itself: %d %s", r.Code, r.Body)
	}
	if r := plan(prosecutor, "360100", "2026-12", 1, 1); r.Code != 403 {
		t.Errorf("a prosecutor entering a plan: %d", r.Code)
	}
	if r := plan(cityManager, "root", "2026-12", 1, 1); r.Code != 404 {
		t.Errorf("the city planning for the province: %d", r.Code)
	}
	if r := plan(cityManager, "360100", "2026-13", 1, 1); r.Code != 422 {
		t.Errorf("month 13: %d", r.Code)
	}
	for unit, p := range map[string][2]int{"360100": {4, 2}, "360102": {1, 2}} {
		if r := plan(admin, unit, "2026-11", p[0], p[1]); r.Code != 200 {
			t.Fatalf("the province correcting %s's November plan: %d %s", unit, r.Code, r.Body)
		}
	}
	var audit int64
	h.DB.Model(&model.AuditLog{}).Where("action = ?", "plan.correct").Count(&audit)
	if audit != 2 {
		t.Errorf("%d plan corrections audited, want 2", audit)
	}
	var got service.PlanView
	h.Do(prosecutor, "GET", "/api/staff/plans/360100/2026-11", nil).JSON(t, &got)
	if got.DocumentsPlanned == nil || *got.DocumentsPlanned != 4 || !got.Frozen {
		t.Errorf("plan read back: %+v", got)
	}

	report := func() service.MonthlyReport {
		t.Helper()
		r := h.Do(admin, "GET", "/api/staff/reports/monthly?month=2026-11&unit=root", nil)
		if r.Code != 200 {
			t.Fatalf("report: %d %s", r.Code, r.Body)
		}
		var rep service.MonthlyReport
		r.JSON(t, &rep)
		return rep
	}
	rep := report()
	if !rep.Frozen || rep.Threshold != 0.9 || !strings.HasSuffix(rep.Title, "检察机关案件信息公开工作情况通报（2026年11月）") {
		t.Errorf("report header: frozen %v threshold %v title %q", rep.Frozen, rep.Threshold, rep.Title)
	}
	var order []string
	for _, r := range rep.Rows {
		order = append(order, fmt.Sprintf("%s:%v:%v:%v:%d:%v", r.Unit.Code, deref(r.CompletionRate), deref(r.EventsRate), deref(r.OnTimeRate), r.OverdueOpen, r.BelowThreshold))
	}
	want := "[360102:0:0:0.667:1:true 360100:0.5:1:1:0:true root:<nil>:<nil>:0:0:false]"
	if fmt.Sprint(order) != want {
		t.Errorf("report rows\n got %v\nwant %s", order, want)
	}
	if rep.Rows[0].Unit.Head != "王区长" {
		t.Errorf("the county's head: %q", rep.Rows[0].Unit.Head)
	}

	// Later changes don't rewrite the frozen month.
	plan(admin, "360100", "2026-11", 2, 2)
	h.create(&model.Document{CaseID: 1, Title: "补录", Public: true, FileKey: "k9", PublishedAt: cst("2026-11-25", "10:00")})
	before, _ := json.Marshal(rep)
	if after, _ := json.Marshal(report()); !bytes.Equal(before, after) {
		t.Errorf("the snapshot changed:\n%s\n%s", after, before)
	}
	var snaps int64
	h.DB.Model(&model.ReportSnapshot{}).Count(&snaps)
	if snaps != 1 {
		t.Errorf("%d snapshots, want 1", snaps)
	}
	// The city sees its own subtree of the same snapshot.
	var cityRep service.MonthlyReport
	h.Do(cityManager, "GET", "/api/staff/reports/monthly?month=2026-11", nil).JSON(t, &cityRep)
	if len(cityRep.Rows) != 2 || cityRep.Rows[0].Unit.Code != "360102" {
		t.Errorf("the city's report: %+v", cityRep.Rows)
	}

	// The spreadsheet reads back with numbers as numbers.
	x := h.Do(admin, "GET", "/api/staff/reports/monthly.xlsx?month=2026-11&unit=root", nil)
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatalf("open report xlsx (%d): %v", x.Code, err)
	}
	rows, _ := f.GetRows("通报")
	if len(rows) != 4 || rows[0][0] != "单位" || rows[1][0] != "东湖区人民检察院" {
		t.Fatalf("report sheet: %v", rows)
	}
	if typ, _ := f.GetCellType("通报", "E3"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("completion rate cell type %v", typ)
	}
	if v, _ := f.GetCellValue("通报", "D3", excelize.Options{RawCellValue: true}); v != "2" {
		t.Errorf("the city's actual documents: %q", v)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestStatisticsExports: the XLSX has a summary and a child-unit sheet
// with Chinese headers and numeric cells; the CSV starts with a BOM; the
// charts are SVG.
func TestStatisticsExports(t *testing.T) {
	h := newStatsHistory(t)
	h.seed()
	admin := staffIn(h.Env, model.StaffAdmin, model.RootUnitCode)
	q := "?unit=root&from=2026-11-01&to=2026-11-30"
	x := h.Do(admin, "GET", "/api/staff/stats.xlsx"+q, nil)
	if x.Code != 200 || !strings.Contains(x.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("xlsx: %d %v", x.Code, x.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	if sheets := f.GetSheetList(); fmt.Sprint(sheets) != "[汇总 下级单位]" {
		t.Fatalf("sheets %v", sheets)
	}
	summary, _ := f.GetRows("汇总")
	if summary[0][0] != "指标" || summary[1][0] != "受理案件" || summary[1][2] != "3" {
		t.Errorf("summary sheet starts %v", summary[:2])
	}
	if typ, _ := f.GetCellType("汇总", "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("a count is stored as %v, want a number", typ)
	}
	children, _ := f.GetRows("下级单位")
	if len(children) != 3 || children[2][0] != "360100" {
		t.Errorf("child sheet: %v", children)
	}
	c := h.Do(admin, "GET", "/api/staff/stats.csv"+q, nil)
	if !bytes.HasPrefix(c.Body, []byte("\xef\xbb\xbf单位代码,单位,受理案件")) {
		t.Errorf("csv starts %q", c.Body[:min(len(c.Body), 60)])
	}
	for _, bad := range []string{"/api/staff/stats/trend.svg?figures=nosuch", "/api/staff/stats/children.svg" + q + "&figures=a,b,c,d,e,f"} {
		if r := h.Do(admin, "GET", bad, nil); r.Code != 422 || r.ErrorCode() != "invalid_input" {
			t.Errorf("%s: %d %s, want 422", bad, r.Code, r.Body)
		}
	}
	for _, path := range []string{"/api/staff/stats/trend.svg?unit=root", "/api/staff/stats/children.svg" + q} {
		r := h.Do(admin, "GET", path, nil)
		if r.Code != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || !bytes.HasPrefix(r.Body, []byte("<svg")) {
			t.Errorf("%s: %d %s %.60s", path, r.Code, r.Header.Get("Content-Type"), r.Body)
		}
	}
}
