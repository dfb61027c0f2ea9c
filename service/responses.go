package service

import (
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// The response types of each API surface — H5 (lawyers and parties),
// staff, public, integration — list exactly what that surface sends, so a
// new column of a model is never exposed by default (docs/design.md §9).

// ClosedStages are the stages after which a case is concluded (已办结):
// its pages show no countdown to the handling deadline.
var ClosedStages = []string{"审结"}

// UnitContact is a case's unit (院) as its lawyer or party sees it.
type UnitContact struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	Address        string `json:"address"`
	Phone          string `json:"phone"`
	ReceptionHours string `json:"reception_hours"`
}

// caseFacts are the procedural fields (案件程序性信息) every surface shows.
type caseFacts struct {
	ID     uint64 `json:"id"`
	CaseNo string `json:"case_no"`
	Name   string `json:"name"`
	Type   string `json:"type"`  // 案件类别
	Cause  string `json:"cause"` // 案由
	// Department is the handling department (办案部门) within the unit.
	Department string    `json:"department"`
	Prosecutor string    `json:"prosecutor"`
	AcceptedAt time.Time `json:"accepted_at"`
	// Deadline (办案期限) is an office-local date, "" for none.
	Deadline string `json:"deadline"`
	// DaysLeft counts calendar days from today (office time) to the
	// deadline; negative when overdue, null without a deadline or once the
	// case is closed.
	DaysLeft *int   `json:"days_left"`
	Measure  string `json:"measure"` // 强制措施
	Stage    string `json:"stage"`   // 办案进程
	Result   string `json:"result"`  // 处理结果
	// Closed is true once the case is concluded (ClosedStages).
	Closed    bool      `json:"closed"`
	UpdatedAt time.Time `json:"updated_at"`
}

// H5Case is a case as its approved lawyer or party sees it.
type H5Case struct {
	caseFacts
	Unit *UnitContact `json:"unit,omitempty"`
}

// H5Event is one entry of a case's timeline on the H5 pages.
type H5Event struct {
	ID          uint64    `json:"id"`
	Stage       string    `json:"stage"`
	Description string    `json:"description"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// H5CaseDetail is an H5 case with its timeline.
type H5CaseDetail struct {
	H5Case
	Timeline []H5Event `json:"timeline"`
}

// StaffCase is a case as the staff console shows and edits it.
type StaffCase struct {
	caseFacts
	Unit         *UnitRef `json:"unit,omitempty"`
	ProsecutorID *uint64  `json:"prosecutor_id,omitempty"`
	Important    bool     `json:"important"`
	Summary      string   `json:"summary"`
	// PublicTitle is the title staff set for publishing ("" for none);
	// PublishedTitle is what the public pages show (see publictitle.go).
	PublicTitle    string    `json:"public_title"`
	PublishedTitle string    `json:"published_title"`
	CreatedAt      time.Time `json:"created_at"`
}

// EventRecord is one entry of a case's timeline as staff and the case
// system see it.
type EventRecord struct {
	ID          uint64    `json:"id"`
	CaseID      uint64    `json:"case_id"`
	EventID     *string   `json:"event_id,omitempty"`
	Stage       string    `json:"stage"`
	Description string    `json:"description"`
	OccurredAt  time.Time `json:"occurred_at"`
	Source      string    `json:"source"`
	CreatedAt   time.Time `json:"created_at"`
}

// StaffCaseDetail is a staff case with its timeline.
type StaffCaseDetail struct {
	StaffCase
	Timeline []EventRecord `json:"timeline"`
}

// requestFields are what every view of a lawyer's request (file review,
// meeting) sends of its row.
type requestFields struct {
	ID        uint64       `json:"id"`
	BindingID uint64       `json:"binding_id"`
	CaseID    uint64       `json:"case_id"`
	Status    model.Status `json:"status"`
	Note      string       `json:"note"`
	ReplyBy   time.Time    `json:"reply_by"`
	Reason    string       `json:"reason,omitempty"`
	DecidedAt *time.Time   `json:"decided_at,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// DocumentView is a published document as the H5 and public pages list it.
type DocumentView struct {
	ID          uint64    `json:"id"`
	CaseID      uint64    `json:"case_id"`
	DocNo       string    `json:"doc_no"`
	Title       string    `json:"title"`
	Type        string    `json:"type"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	PublishedAt time.Time `json:"published_at"`
}

// PartyView is a party of a case as staff and the integration API see it
// (the id number masked).
type PartyView struct {
	ID             uint64    `json:"id"`
	CaseID         uint64    `json:"case_id"`
	Name           string    `json:"name"`
	Role           string    `json:"role"`
	IDNumberMasked string    `json:"id_number_masked"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// PartyViews renders parties for staff and the case system.
func PartyViews(parties []model.Party) []PartyView {
	out := make([]PartyView, len(parties))
	for i, p := range parties {
		out[i] = PartyView{ID: p.ID, CaseID: p.CaseID, Name: p.Name, Role: p.Role, IDNumberMasked: p.IDNumberMask,
			CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	}
	return out
}

// DocumentViews renders documents for the H5 and public pages.
func DocumentViews(docs []model.Document) []DocumentView {
	out := make([]DocumentView, len(docs))
	for i, d := range docs {
		out[i] = DocumentView{ID: d.ID, CaseID: d.CaseID, DocNo: d.DocNo, Title: d.Title, Type: d.Type,
			FileName: d.FileName, ContentType: d.ContentType, Size: d.Size, PublishedAt: d.PublishedAt}
	}
	return out
}

// facts renders the procedural fields of c.
func (s *Service) facts(c model.Case) caseFacts {
	f := caseFacts{ID: c.ID, CaseNo: c.CaseNo, Name: c.Name, Type: c.Type, Cause: c.Cause, Department: c.Unit,
		Prosecutor: c.Prosecutor, AcceptedAt: c.AcceptedAt, Measure: c.Measure, Stage: c.Stage, Result: c.Result,
		Closed: slices.Contains(ClosedStages, c.Stage), UpdatedAt: c.UpdatedAt}
	if c.Deadline != nil {
		d := c.Deadline.In(s.opt.Location)
		f.Deadline = d.Format(dateLayout)
		if !f.Closed {
			today := s.Now().In(s.opt.Location)
			t0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
			t1 := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
			left := int(t1.Sub(t0).Hours() / 24)
			f.DaysLeft = &left
		}
	}
	return f
}

// unitsOf loads the units of cases, by id; cases without a unit row have
// none.
func unitsOf(db *gorm.DB, cases ...model.Case) (map[uint64]model.Unit, error) {
	ids := make([]uint64, 0, len(cases))
	for _, c := range cases {
		if c.UnitID != 0 {
			ids = append(ids, c.UnitID)
		}
	}
	out := map[uint64]model.Unit{}
	if len(ids) == 0 {
		return out, nil
	}
	var units []model.Unit
	if err := db.Where("id IN ?", uniq(ids)).Find(&units).Error; err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	for _, u := range units {
		out[u.ID] = u
	}
	return out, nil
}

func unitContact(u model.Unit, ok bool) *UnitContact {
	if !ok {
		return nil
	}
	return &UnitContact{Code: u.Code, Name: u.Name, Address: u.Address, Phone: u.Phone, ReceptionHours: u.ReceptionHours}
}

// h5Cases renders cases for their lawyers and parties.
func (s *Service) h5Cases(db *gorm.DB, cases []model.Case) ([]H5Case, error) {
	units, err := unitsOf(db, cases...)
	if err != nil {
		return nil, err
	}
	out := make([]H5Case, len(cases))
	for i, c := range cases {
		u, ok := units[c.UnitID]
		out[i] = H5Case{caseFacts: s.facts(c), Unit: unitContact(u, ok)}
	}
	return out, nil
}

func h5Events(events []model.CaseEvent) []H5Event {
	out := make([]H5Event, len(events))
	for i, e := range events {
		out[i] = H5Event{ID: e.ID, Stage: e.Stage, Description: e.Description, OccurredAt: e.OccurredAt}
	}
	return out
}

// staffCases renders cases for the console.
func (s *Service) staffCases(db *gorm.DB, cases []model.Case) ([]StaffCase, error) {
	ids := make([]uint64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	names, err := partyNames(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]StaffCase, len(cases))
	for i, c := range cases {
		out[i] = StaffCase{caseFacts: s.facts(c), Unit: s.unitRef(c.UnitID), ProsecutorID: c.ProsecutorID,
			Important: c.Important, Summary: c.Summary, PublicTitle: c.PublicTitle,
			PublishedTitle: publicTitle(c, names[c.ID]), CreatedAt: c.CreatedAt}
	}
	return out, nil
}

// staffCase renders one case for the console.
func (s *Service) staffCase(db *gorm.DB, c model.Case) (StaffCase, error) {
	out, err := s.staffCases(db, []model.Case{c})
	if err != nil {
		return StaffCase{}, err
	}
	return out[0], nil
}

// EventRecordOf renders an event for staff and the case system.
func EventRecordOf(e model.CaseEvent) EventRecord {
	return EventRecord{ID: e.ID, CaseID: e.CaseID, EventID: e.ExternalID, Stage: e.Stage, Description: e.Description,
		OccurredAt: e.OccurredAt, Source: e.Source, CreatedAt: e.CreatedAt}
}

func eventRecords(events []model.CaseEvent) []EventRecord {
	out := make([]EventRecord, len(events))
	for i, e := range events {
		out[i] = EventRecordOf(e)
	}
	return out
}
