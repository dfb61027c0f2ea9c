package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// Stages is the fixed vocabulary of case stages and procedural events
// (案件程序性信息), in the order the procuratorate's flow usually takes them.
var Stages = []string{
	"受理", "审查逮捕", "批准逮捕", "不批准逮捕", "审查起诉", "退回补充侦查", "补充侦查完毕重新移送",
	"延长审查起诉期限", "改变管辖", "提起公诉", "不起诉", "撤回起诉", "变更强制措施", "审结",
}

// Event sources.
const (
	SourceStaff       = "staff"
	SourceIntegration = "integration"
	SourceImport      = "import"
)

// Dates in input and output are office-local calendar days.
const dateLayout = "2006-01-02"

// ErrCaseNoTaken is a second case with an existing 部门受案号.
var ErrCaseNoTaken = model.NewError(model.KindConflict, "case_no_taken", "该部门受案号已存在")

// CaseInput is a case as staff, the integration API or an import file give it.
type CaseInput struct {
	CaseNo string `json:"case_no"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Cause  string `json:"cause"`
	// UnitCode is the unit (院) the case belongs to; it may be left out
	// while the caller's scope holds one unit only. Unit is the old
	// free-text 承办单位, still stored.
	UnitCode     string  `json:"unit_code"`
	Unit         string  `json:"unit"`
	Prosecutor   string  `json:"prosecutor"`
	ProsecutorID *uint64 `json:"prosecutor_id"`
	// AcceptedAt is RFC 3339 or an office-local date YYYY-MM-DD.
	AcceptedAt string `json:"accepted_at"`
	// Deadline (办案期限) is an office-local date YYYY-MM-DD, "" for none.
	Deadline  string `json:"deadline"`
	Measure   string `json:"measure"`
	Stage     string `json:"stage"`
	Result    string `json:"result"`
	Important bool   `json:"important"`
	Summary   string `json:"summary"`
}

// CaseView is a case as the APIs show it: the deadline as a date and the
// days left to it.
type CaseView struct {
	model.Case
	// Unit names the case's unit, in place of the free-text unit.
	Unit     *UnitRef `json:"unit"`
	Deadline string   `json:"deadline"`
	// DaysLeft counts calendar days from today (office time) to the
	// deadline; negative when overdue, null without a deadline.
	DaysLeft *int `json:"days_left"`
}

// CaseDetail is a case with its timeline.
type CaseDetail struct {
	CaseView
	Timeline []model.CaseEvent `json:"timeline"`
}

// EventInput is a stage change or procedural event.
type EventInput struct {
	// EventID is the case system's id (integration only).
	EventID     string `json:"event_id"`
	Stage       string `json:"stage"`
	Description string `json:"description"`
	// OccurredAt is RFC 3339; empty means now (staff only).
	OccurredAt string `json:"occurred_at"`
}

// view renders c for the APIs.
func (s *Service) view(c model.Case) CaseView {
	v := CaseView{Case: c, Unit: s.unitRef(c.UnitID)}
	if c.Deadline != nil {
		d := c.Deadline.In(s.opt.Location)
		v.Deadline = d.Format(dateLayout)
		today := s.Now().In(s.opt.Location)
		t0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		t1 := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		left := int(t1.Sub(t0).Hours() / 24)
		v.DaysLeft = &left
	}
	return v
}

func (s *Service) views(cases []model.Case) []CaseView {
	out := make([]CaseView, len(cases))
	for i, c := range cases {
		out[i] = s.view(c)
	}
	return out
}

// textField trims v and checks it is present (when required) and at most
// max runes long.
func textField(fe model.FieldErrors, field, v string, required bool, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		fe.Add(field, "不能为空")
	case len([]rune(v)) > max:
		fe.Add(field, fmt.Sprintf("不能超过 %d 个字", max))
	}
	return v
}

// parseInstant reads RFC 3339, or an office-local date (midnight).
func (s *Service) parseInstant(fe model.FieldErrors, field, v string) time.Time {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	if t, err := time.ParseInLocation(dateLayout, v, s.opt.Location); err == nil {
		return t.UTC()
	}
	fe.Add(field, "日期格式有误，请按 2026-01-02 的形式填写")
	return time.Time{}
}

// parseCaseDate reads an optional office-local date.
func (s *Service) parseCaseDate(fe model.FieldErrors, field, v string) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	t, err := time.ParseInLocation(dateLayout, v, s.opt.Location)
	if err != nil {
		fe.Add(field, "须为日期 YYYY-MM-DD")
		return nil
	}
	t = t.UTC()
	return &t
}

func checkStage(fe model.FieldErrors, field, stage string) string {
	stage = strings.TrimSpace(stage)
	if !slices.Contains(Stages, stage) {
		fe.Add(field, "阶段须为以下之一："+strings.Join(Stages, "、"))
	}
	return stage
}

// validCase checks in and copies it onto c (the case number excepted).
func (s *Service) validCase(fe model.FieldErrors, in CaseInput, c *model.Case) {
	c.Name = textField(fe, "name", in.Name, true, 200)
	c.Type = textField(fe, "type", in.Type, false, 64)
	c.Cause = textField(fe, "cause", in.Cause, false, 200)
	c.Unit = textField(fe, "unit", in.Unit, false, 200)
	c.Prosecutor = textField(fe, "prosecutor", in.Prosecutor, false, 64)
	c.Measure = textField(fe, "measure", in.Measure, false, 64)
	c.Result = textField(fe, "result", in.Result, false, 200)
	c.Summary = textField(fe, "summary", in.Summary, false, 2000)
	c.Important = in.Important
	if strings.TrimSpace(in.Stage) == "" {
		in.Stage = Stages[0]
	}
	c.Stage = checkStage(fe, "stage", in.Stage)
	c.AcceptedAt = s.parseInstant(fe, "accepted_at", in.AcceptedAt)
	c.Deadline = s.parseCaseDate(fe, "deadline", in.Deadline)
}

func validCaseNo(fe model.FieldErrors, caseNo string) string {
	return textField(fe, "case_no", caseNo, true, 64)
}

// linkProsecutor checks the optional staff account of the handling
// prosecutor and takes its display name.
func linkProsecutor(tx *gorm.DB, id *uint64, c *model.Case) error {
	c.ProsecutorID = nil
	if id == nil {
		return nil
	}
	var st model.Staff
	err := tx.Where("id = ? AND disabled = ?", *id, false).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return model.Invalid(map[string]string{"prosecutor_id": "没有该工作人员"})
	}
	if err != nil {
		return fmt.Errorf("load prosecutor %d: %w", *id, err)
	}
	c.ProsecutorID = &st.ID
	c.Prosecutor = st.DisplayName
	return nil
}

// CreateCase stores a new case entered by staff, in a unit of their scope.
func (s *Service) CreateCase(ctx context.Context, a Actor, in CaseInput) (CaseView, error) {
	fe := model.FieldErrors{}
	c := model.Case{CaseNo: validCaseNo(fe, in.CaseNo)}
	s.validCase(fe, in, &c)
	c.UnitID = s.pickUnit(ctx, a.Scope, fe, in.UnitCode)
	if err := fe.Err(); err != nil {
		return CaseView{}, err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := holdUnit(tx, c.UnitID, "unit_code"); err != nil {
			return err
		}
		if err := linkProsecutor(tx, in.ProsecutorID, &c); err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			if model.IsDuplicate(err) {
				return ErrCaseNoTaken
			}
			return fmt.Errorf("create case: %w", err)
		}
		return s.audit(tx, a, "case.create", caseTarget(c.ID), "")
	})
	return s.view(c), err
}

// UpdateCase edits a case's fields; the case number and timeline stay. A
// unit_code moves the case to another unit of the actor's scope; without
// one the case stays in its unit.
func (s *Service) UpdateCase(ctx context.Context, a Actor, id uint64, in CaseInput) (CaseView, error) {
	fe := model.FieldErrors{}
	var upd model.Case
	s.validCase(fe, in, &upd)
	if strings.TrimSpace(in.UnitCode) != "" {
		upd.UnitID = s.pickUnit(ctx, a.Scope, fe, in.UnitCode)
	}
	if err := fe.Err(); err != nil {
		return CaseView{}, err
	}
	var c model.Case
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if c, err = caseInScope(tx, a, id); err != nil {
			return err
		}
		if err := linkProsecutor(tx, in.ProsecutorID, &upd); err != nil {
			return err
		}
		upd.ID, upd.CaseNo, upd.CreatedAt = c.ID, c.CaseNo, c.CreatedAt
		if upd.UnitID == 0 {
			upd.UnitID = c.UnitID
		}
		if upd.Unit == "" { // the old free-text 承办部门, no longer edited in the console
			upd.Unit = c.Unit
		}
		if upd.UnitID != c.UnitID {
			if err := holdUnit(tx, upd.UnitID, "unit_code"); err != nil {
				return err
			}
		}
		if err := moveCaseRequests(tx, c, upd.UnitID); err != nil {
			return err
		}
		if err := tx.Save(&upd).Error; err != nil {
			return fmt.Errorf("update case %d: %w", id, err)
		}
		c = upd
		return s.audit(tx, a, "case.update", caseTarget(id), "")
	})
	return s.view(c), err
}

func caseTarget(id uint64) string { return fmt.Sprintf("case:%d", id) }

// caseInScope loads case id inside db, answering ErrNotFound when it is
// absent or outside the actor's scope: the one check every staff route on
// a case (and its documents, parties, events) goes through.
func caseInScope(db *gorm.DB, a Actor, id uint64) (model.Case, error) {
	var c model.Case
	if err := db.Take(&c, id).Error; err != nil {
		return c, notFoundIf(err)
	}
	if !a.Scope.Contains(c.UnitID) {
		return c, model.ErrNotFound
	}
	return c, nil
}

// moveCaseRequests gives the case's requests (which carry their case's
// unit for the queues) the case's new unit.
func moveCaseRequests(tx *gorm.DB, c model.Case, unitID uint64) error {
	if c.UnitID == unitID {
		return nil
	}
	for _, m := range []any{&model.Binding{}, &model.ReviewBooking{}, &model.MeetingRequest{}} {
		if err := tx.Model(m).Where("case_id = ?", c.ID).Update("unit_id", unitID).Error; err != nil {
			return fmt.Errorf("move requests of case %d: %w", c.ID, err)
		}
	}
	return nil
}

// CaseFilter selects cases for the staff console.
type CaseFilter struct {
	// Query matches the case number or name.
	Query string
	// WholeUnit shows a prosecutor every case of the scope, not only the
	// cases assigned to them (the default for prosecutors).
	WholeUnit bool
	Paging
}

// ListCases is the staff console's case list in the actor's scope, newest
// first.
func (s *Service) ListCases(ctx context.Context, a Actor, f CaseFilter) (Page[CaseView], error) {
	q := a.Scope.where(s.db.WithContext(ctx).Model(&model.Case{}), "unit_id")
	if a.Role == model.StaffProsecutor && !f.WholeUnit {
		q = q.Where("prosecutor_id = ?", a.StaffID)
	}
	if t := strings.TrimSpace(f.Query); t != "" {
		// "!" escapes the wildcards the same way on MySQL and SQLite.
		like := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(t) + "%"
		q = q.Where("(case_no LIKE ? ESCAPE '!' OR name LIKE ? ESCAPE '!')", like, like)
	}
	page, err := pageOf[model.Case](q, f.Paging, "id DESC", "cases")
	if err != nil {
		return Page[CaseView]{}, err
	}
	return Page[CaseView]{Items: s.views(page.Items), Page: page.Page, PageSize: page.PageSize, Total: page.Total}, nil
}

// CaseDetail returns a case of the actor's scope with its timeline.
func (s *Service) CaseDetail(ctx context.Context, a Actor, id uint64) (CaseDetail, error) {
	db := s.db.WithContext(ctx)
	c, err := caseInScope(db, a, id)
	if err != nil {
		return CaseDetail{}, err
	}
	return s.withTimeline(db, c)
}

// withTimeline is the CaseDetail of c, with its events read from db.
func (s *Service) withTimeline(db *gorm.DB, c model.Case) (CaseDetail, error) {
	var events []model.CaseEvent
	if err := db.Where("case_id = ?", c.ID).Order("occurred_at, id").Find(&events).Error; err != nil {
		return CaseDetail{}, fmt.Errorf("timeline of case %d: %w", c.ID, err)
	}
	if events == nil {
		events = []model.CaseEvent{}
	}
	return CaseDetail{CaseView: s.view(c), Timeline: events}, nil
}

// UserCases lists the cases the user has an approved binding to.
func (s *Service) UserCases(ctx context.Context, userID uint64) ([]CaseView, error) {
	var cases []model.Case
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&model.Binding{}).Select("case_id").
			Where("user_id = ? AND status = ?", userID, model.StatusApproved)).
		Order("id DESC").Find(&cases).Error
	if err != nil {
		return nil, fmt.Errorf("cases of user %d: %w", userID, err)
	}
	return s.views(cases), nil
}

// requireApproved answers ErrNotFound unless the user holds an approved
// binding to the case.
func requireApproved(db *gorm.DB, userID, caseID uint64) error {
	var n int64
	err := db.Model(&model.Binding{}).
		Where("user_id = ? AND case_id = ? AND status = ?", userID, caseID, model.StatusApproved).
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("check binding of user %d to case %d: %w", userID, caseID, err)
	}
	if n == 0 {
		return model.ErrNotFound
	}
	return nil
}

// PublicCase is an important case (重要案件信息) as everyone may see it.
type PublicCase struct {
	ID         uint64           `json:"id"`
	CaseNo     string           `json:"case_no"`
	Name       string           `json:"name"`
	Cause      string           `json:"cause"`
	Unit       *UnitRef         `json:"unit"`
	Stage      string           `json:"stage"`
	Result     string           `json:"result"`
	Summary    string           `json:"summary"`
	AcceptedAt time.Time        `json:"accepted_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	Documents  []model.Document `json:"documents"`
}

// PublicCases lists the important cases with their public documents: of
// the unit with unitCode and the units below it, or of all ("").
func (s *Service) PublicCases(ctx context.Context, unitCode string) ([]PublicCase, error) {
	db := s.db.WithContext(ctx)
	units, err := s.publicSubtree(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	q := db.Where("important = ?", true).Order("updated_at DESC, id DESC").Limit(200)
	if units != nil {
		q = q.Where("unit_id IN ?", units)
	}
	var cases []model.Case
	if err := q.Find(&cases).Error; err != nil {
		return nil, fmt.Errorf("public cases: %w", err)
	}
	ids := make([]uint64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	var docs []model.Document
	if len(ids) > 0 {
		if err := db.Where("case_id IN ? AND public = ?", ids, true).Order("published_at DESC, id DESC").Find(&docs).Error; err != nil {
			return nil, fmt.Errorf("public documents: %w", err)
		}
	}
	byCase := map[uint64][]model.Document{}
	for _, d := range docs {
		byCase[d.CaseID] = append(byCase[d.CaseID], d)
	}
	out := make([]PublicCase, len(cases))
	for i, c := range cases {
		out[i] = PublicCase{ID: c.ID, CaseNo: c.CaseNo, Name: c.Name, Cause: c.Cause, Unit: s.unitRef(c.UnitID), Stage: c.Stage,
			Result: c.Result, Summary: c.Summary, AcceptedAt: c.AcceptedAt, UpdatedAt: c.UpdatedAt,
			Documents: byCase[c.ID]}
		if out[i].Documents == nil {
			out[i].Documents = []model.Document{}
		}
	}
	return out, nil
}

// RecordEvent adds a staff-entered event to a case's timeline and queues
// a push to every approved binding.
func (s *Service) RecordEvent(ctx context.Context, a Actor, caseID uint64, in EventInput) (model.CaseEvent, error) {
	fe := model.FieldErrors{}
	ev := s.validEvent(fe, in, false)
	if err := fe.Err(); err != nil {
		return model.CaseEvent{}, err
	}
	ev.Source = SourceStaff
	if a.StaffID != 0 {
		id := a.StaffID
		ev.CreatedBy = &id
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := caseInScope(tx, a, caseID)
		if err != nil {
			return err
		}
		ev.CaseID = c.ID
		if err := s.addEvent(tx, c, &ev); err != nil {
			return err
		}
		return s.audit(tx, a, "case.event", caseTarget(c.ID), ev.Stage)
	})
	return ev, err
}

// validEvent checks an event; the case system must name its event id.
func (s *Service) validEvent(fe model.FieldErrors, in EventInput, external bool) model.CaseEvent {
	ev := model.CaseEvent{
		Stage:       checkStage(fe, "stage", in.Stage),
		Description: textField(fe, "description", in.Description, false, 1000),
	}
	if external {
		id := textField(fe, "event_id", in.EventID, true, 64)
		ev.ExternalID = &id
	}
	if strings.TrimSpace(in.OccurredAt) == "" && !external {
		ev.OccurredAt = s.Now()
	} else if t, err := time.Parse(time.RFC3339, strings.TrimSpace(in.OccurredAt)); err != nil {
		fe.Add("occurred_at", "时间格式有误，请按 2026-01-02 15:04 的形式填写")
	} else {
		ev.OccurredAt = t.UTC()
	}
	return ev
}

// addEvent stores ev, moves the case's current stage when ev is its latest
// event, and queues one push per approved binding, all inside tx.
func (s *Service) addEvent(tx *gorm.DB, c model.Case, ev *model.CaseEvent) error {
	if err := tx.Create(ev).Error; err != nil {
		return fmt.Errorf("add event to case %d: %w", c.ID, err)
	}
	var later int64
	if err := tx.Model(&model.CaseEvent{}).Where("case_id = ? AND occurred_at > ?", c.ID, ev.OccurredAt).
		Count(&later).Error; err != nil {
		return fmt.Errorf("order events of case %d: %w", c.ID, err)
	}
	if later == 0 {
		if err := tx.Model(&model.Case{}).Where("id = ?", c.ID).Update("stage", ev.Stage).Error; err != nil {
			return fmt.Errorf("move case %d to %s: %w", c.ID, ev.Stage, err)
		}
	}
	openids, err := approvedOpenIDs(tx, c.ID)
	if err != nil {
		return err
	}
	pushes := make([]Push, len(openids))
	for i, oid := range openids {
		pushes[i] = Push{OpenID: oid, Kind: model.PushCaseEvent, UnitID: c.UnitID, Cause: fmt.Sprintf("event:%d", ev.ID),
			Path: casePath(c.ID), Data: map[string]string{
				"case_name": c.Name, "stage": ev.Stage,
				"time": ev.OccurredAt.In(s.opt.Location).Format("2006-01-02 15:04"),
			}}
	}
	return s.enqueue(tx, pushes...)
}

func casePath(id uint64) string { return fmt.Sprintf("/h5/cases/%d", id) }

// approvedOpenIDs lists the openids of the case's approved bindings.
func approvedOpenIDs(tx *gorm.DB, caseID uint64) ([]string, error) {
	var ids []string
	err := tx.Model(&model.WeChatUser{}).
		Joins("JOIN bindings ON bindings.user_id = we_chat_users.id").
		Where("bindings.case_id = ? AND bindings.status = ?", caseID, model.StatusApproved).
		Order("bindings.id").Pluck("we_chat_users.open_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("recipients of case %d: %w", caseID, err)
	}
	return ids, nil
}
