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
	// PublicTitle is the title published as 重要案件信息 (staff only);
	// empty: the name with the parties' names masked.
	PublicTitle string `json:"public_title"`
	// Given names the fields the request's body carried; an update keeps
	// the stored value of every other field (nil: all given).
	Given map[string]bool `json:"-"`
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

// textField trims v and checks it is present (when required) and at most
// max runes long.
func textField(fe model.FieldErrors, field, v string, required bool, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		fe.Add(field, "不能为空")
	case len([]rune(v)) > max:
		fe.Add(field, fmt.Sprintf("不能超过 %d 个字", max))
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }):
		fe.Add(field, "不能包含控制字符")
	}
	return v
}

// parseInstant reads RFC 3339, or an office-local date (midnight).
func (s *Service) parseInstant(fe model.FieldErrors, field, v string) time.Time {
	v = strings.TrimSpace(v)
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.ParseInLocation(dateLayout, v, s.opt.Location)
	}
	if err != nil {
		fe.Add(field, "日期格式有误，请按 2026-01-02 的形式填写")
		return time.Time{}
	}
	if !s.CheckDate(fe, field, t) {
		return time.Time{}
	}
	return t.UTC()
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
	if !s.CheckDate(fe, field, t) {
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
	c.PublicTitle = textField(fe, "public_title", in.PublicTitle, false, 200)
	c.Important = in.Important
	if strings.TrimSpace(in.Stage) == "" {
		in.Stage = Stages[0]
	}
	c.Stage = checkStage(fe, "stage", in.Stage)
	c.AcceptedAt = s.parseInstant(fe, "accepted_at", in.AcceptedAt)
	c.Deadline = s.parseCaseDate(fe, "deadline", in.Deadline)
	if c.Deadline != nil && !c.AcceptedAt.IsZero() && c.Deadline.In(s.opt.Location).Format(dateLayout) < c.AcceptedAt.In(s.opt.Location).Format(dateLayout) {
		fe.Add("deadline", "办案期限不能早于受理日期")
	}
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
func (s *Service) CreateCase(ctx context.Context, a Actor, in CaseInput) (StaffCase, error) {
	fe := model.FieldErrors{}
	c := model.Case{CaseNo: validCaseNo(fe, in.CaseNo)}
	s.validCase(fe, in, &c)
	c.UnitID = s.pickUnit(ctx, a.Scope, fe, in.UnitCode)
	if err := fe.Err(); err != nil {
		return StaffCase{}, err
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
	if err != nil {
		return StaffCase{}, err
	}
	return s.staffCase(s.db.WithContext(ctx), c)
}

// UpdateCase edits a case's fields; the case number and timeline stay.
// Fields the body leaves out keep their value; a unit_code moves the case
// to another unit of the actor's scope.
func (s *Service) UpdateCase(ctx context.Context, a Actor, id uint64, in CaseInput) (StaffCase, error) {
	var c model.Case
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if c, err = caseInScope(lockForUpdate(tx), a, id); err != nil {
			return err
		}
		merged := in.keepOmitted(c, s.opt.Location)
		fe := model.FieldErrors{}
		var upd model.Case
		s.validCase(fe, merged, &upd)
		if strings.TrimSpace(in.UnitCode) != "" {
			upd.UnitID = s.pickUnit(ctx, a.Scope, fe, in.UnitCode)
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := linkProsecutor(tx, merged.ProsecutorID, &upd); err != nil {
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
	if err != nil {
		return StaffCase{}, err
	}
	return s.staffCase(s.db.WithContext(ctx), c)
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
	if err := errors.Join(addToTally(tx, c.UnitID, -1), addToTally(tx, unitID, 1)); err != nil {
		return err
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
func (s *Service) ListCases(ctx context.Context, a Actor, f CaseFilter) (Page[StaffCase], error) {
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.Case{}), "unit_id")
	filtered := false
	if a.Role == model.StaffProsecutor && !f.WholeUnit {
		q, filtered = q.Where("prosecutor_id = ?", a.StaffID), true
	}
	if t := strings.TrimSpace(f.Query); t != "" {
		// "!" escapes the wildcards the same way on MySQL and SQLite.
		like := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(t) + "%"
		q, filtered = q.Where("(case_no LIKE ? ESCAPE '!' OR name LIKE ? ESCAPE '!')", like, like), true
	}
	var page Page[model.Case]
	var err error
	if filtered {
		page, err = pageOf[model.Case](q, f.Paging, "id DESC", "cases")
	} else {
		// Every case of the scope: the total is the units' tallies.
		var total int64
		if total, err = scopeCaseTotal(db, a.Scope); err == nil {
			page, err = readPage[model.Case](q, f.Paging, total, "id DESC", "cases")
		}
	}
	if err != nil {
		return Page[StaffCase]{}, err
	}
	items, err := s.staffCases(db, page.Items)
	if err != nil {
		return Page[StaffCase]{}, err
	}
	return Page[StaffCase]{Items: items, Page: page.Page, PageSize: page.PageSize, Total: page.Total}, nil
}

// CaseDetail returns a case of the actor's scope with its timeline.
func (s *Service) CaseDetail(ctx context.Context, a Actor, id uint64) (StaffCaseDetail, error) {
	db := s.db.WithContext(ctx)
	c, err := caseInScope(db, a, id)
	if err != nil {
		return StaffCaseDetail{}, err
	}
	events, err := timeline(db, c.ID)
	if err != nil {
		return StaffCaseDetail{}, err
	}
	sc, err := s.staffCase(db, c)
	return StaffCaseDetail{StaffCase: sc, Timeline: eventRecords(events)}, err
}

// timeline reads the events of case id, oldest first.
func timeline(db *gorm.DB, id uint64) ([]model.CaseEvent, error) {
	var events []model.CaseEvent
	if err := db.Where("case_id = ?", id).Order("occurred_at, id").Find(&events).Error; err != nil {
		return nil, fmt.Errorf("timeline of case %d: %w", id, err)
	}
	return events, nil
}

// UserCases lists the cases the user has an approved binding to.
func (s *Service) UserCases(ctx context.Context, userID uint64) ([]H5Case, error) {
	var cases []model.Case
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&model.Binding{}).Select("case_id").
			Where("user_id = ? AND status = ?", userID, model.StatusApproved)).
		Order("id DESC").Find(&cases).Error
	if err != nil {
		return nil, fmt.Errorf("cases of user %d: %w", userID, err)
	}
	return s.h5Cases(s.db.WithContext(ctx), cases)
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

// PublicCase is an important case (重要案件信息) as everyone may see it:
// no party is named (see publictitle.go).
type PublicCase struct {
	ID         uint64         `json:"id"`
	CaseNo     string         `json:"case_no"`
	Name       string         `json:"name"`
	Cause      string         `json:"cause"`
	Department string         `json:"department"`
	Unit       *UnitRef       `json:"unit,omitempty"`
	Stage      string         `json:"stage"`
	Result     string         `json:"result"`
	Summary    string         `json:"summary"`
	AcceptedAt time.Time      `json:"accepted_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	Documents  []DocumentView `json:"documents"`
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
	names, err := partyNames(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PublicCase, len(cases))
	for i, c := range cases {
		out[i] = PublicCase{ID: c.ID, CaseNo: c.CaseNo, Name: publicTitle(c, names[c.ID]), Cause: c.Cause, Department: c.Unit,
			Unit: s.unitRef(c.UnitID), Stage: c.Stage, Result: maskNames(c.Result, names[c.ID]), Summary: maskNames(c.Summary, names[c.ID]),
			AcceptedAt: c.AcceptedAt, UpdatedAt: c.UpdatedAt, Documents: maskedDocuments(byCase[c.ID], names)}
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
	} else if s.checkEventTime(fe, "occurred_at", t) {
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
	// The current stage is the latest event's that is not in the future:
	// an event dated ahead does not pin the stage.
	var latest []model.CaseEvent
	if err := tx.Select("stage").Where("case_id = ? AND occurred_at <= ?", c.ID, s.Now()).
		Order("occurred_at DESC, id DESC").Limit(1).Find(&latest).Error; err != nil {
		return fmt.Errorf("order events of case %d: %w", c.ID, err)
	}
	if len(latest) == 1 {
		if err := tx.Model(&model.Case{}).Where("id = ?", c.ID).Update("stage", latest[0].Stage).Error; err != nil {
			return fmt.Errorf("move case %d to %s: %w", c.ID, latest[0].Stage, err)
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
				"case_name": c.Name, "case_no": c.CaseNo, "stage": ev.Stage, "description": ev.Description,
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
