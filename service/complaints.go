package service

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// ComplaintCategoryLabels name the categories of a complaint (served as
// complaint_categories of /api/vocab).
var ComplaintCategoryLabels = map[string]string{
	"disclosure_missing": "应公开未公开",
	"disclosure_wrong":   "不应公开而公开",
	"lawyer_rights":      "阻碍律师执业",
	"other":              "其他",
}

const (
	complaintWhat           = "控告申诉"
	maxComplaintText        = 2000 // content, result and step notes
	maxComplaintAttachments = 5
	// complaintAcknowledgeDays is how long the unit a complaint reaches
	// (by submission or transfer) has to acknowledge it (受理).
	complaintAcknowledgeDays = 7
)

var errTransferSameUnit = model.Invalid(map[string]string{"unit_code": "请选择其他单位"})

// complaintDeadline is one of a complaint's two deadlines: its column,
// the column of the answer that meets it, and the states in which it is
// still open. The overdue flags, the overdue metric and the statistics
// read them from here.
type complaintDeadline struct {
	name, column, answered string
	open                   []model.Status
	due                    func(c model.Complaint) time.Time
}

// overdue reports whether complaint c is past this deadline at now.
func (d complaintDeadline) overdue(c model.Complaint, now time.Time) bool {
	return slices.Contains(d.open, c.Status) && now.After(d.due(c))
}

var (
	acknowledgeDeadline = complaintDeadline{name: "complaint_acknowledge", column: "acknowledge_by", answered: "acknowledged_at",
		open: []model.Status{model.StatusSubmitted, model.StatusTransferred},
		due:  func(c model.Complaint) time.Time { return c.AcknowledgeBy }}
	resultDeadline = complaintDeadline{name: "complaint_result", column: "result_by", answered: "resolved_at",
		open: []model.Status{model.StatusSubmitted, model.StatusTransferred, model.StatusAcknowledged},
		due:  func(c model.Complaint) time.Time { return c.ResultBy }}
	complaintDeadlines = []complaintDeadline{acknowledgeDeadline, resultDeadline}
)

// ComplaintInput is a complaint as a WeChat user files it; CaseID (0:
// none) and Attachments (upload ids of the user's) are optional.
type ComplaintInput struct {
	Category    string   `json:"category"`
	UnitCode    string   `json:"unit_code"`
	CaseID      uint64   `json:"case_id"`
	Content     string   `json:"content"`
	Attachments []uint64 `json:"attachments"`
}

// ComplaintStepView is one step of a complaint's timeline.
type ComplaintStepView struct {
	Action      model.Status `json:"action"`
	ActionLabel string       `json:"action_label"`
	At          time.Time    `json:"at"`
	Note        string       `json:"note"`
	// Unit is the unit the complaint is with after the step.
	Unit *UnitRef `json:"unit,omitempty"`
}

// ComplaintAttachmentView names an attached file.
type ComplaintAttachmentView struct {
	ID          uint64 `json:"id"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// ComplaintView is a complaint with its timeline, as the complainant and
// the staff see it.
type ComplaintView struct {
	ID            uint64                    `json:"id"`
	Category      string                    `json:"category"`
	CategoryLabel string                    `json:"category_label"`
	Unit          *UnitRef                  `json:"unit"`
	CaseID        *uint64                   `json:"case_id,omitempty"`
	CaseNo        string                    `json:"case_no,omitempty"`
	CaseName      string                    `json:"case_name,omitempty"`
	Content       string                    `json:"content"`
	Status        model.Status              `json:"status"`
	StatusLabel   string                    `json:"status_label"`
	AcknowledgeBy time.Time                 `json:"acknowledge_by"`
	ResultBy      time.Time                 `json:"result_by"`
	Result        string                    `json:"result,omitempty"`
	Attachments   []ComplaintAttachmentView `json:"attachments"`
	Steps         []ComplaintStepView       `json:"steps"`
	CreatedAt     time.Time                 `json:"created_at"`
	// The overdue flags: not acknowledged, or without a result, past the
	// deadline.
	AcknowledgeOverdue bool `json:"acknowledge_overdue"`
	ResultOverdue      bool `json:"result_overdue"`
	// Complainant is who filed it, masked with role (staff views only).
	Complainant string `json:"complainant,omitempty"`
}

// SubmitComplaint files a complaint. A case_id must name a case the user
// holds an approved binding to: any other id — absent or not the user's —
// is the same 404, so the answer tells nothing of other cases. The
// complaint goes to the unit named, else to the case's unit.
func (s *Service) SubmitComplaint(ctx context.Context, u UserSession, ip string, in ComplaintInput) (ComplaintView, error) {
	fe := model.FieldErrors{}
	category := strings.TrimSpace(in.Category)
	if _, ok := ComplaintCategoryLabels[category]; !ok {
		fe.Add("category", "请选择类别")
	}
	content := strings.TrimSpace(in.Content)
	if content == "" {
		fe.Add("content", "请填写具体内容")
	}
	checkText(fe, "content", content, maxComplaintText)
	attachments := uniq(in.Attachments)
	if len(in.Attachments) > maxComplaintAttachments {
		fe.Add("attachments", fmt.Sprintf("附件至多 %d 个", maxComplaintAttachments))
	}
	db := s.db.WithContext(ctx)
	var caseID *uint64
	var unitID uint64
	if in.CaseID != 0 {
		if err := requireApproved(db, u.UserID, in.CaseID); err != nil {
			return ComplaintView{}, fmt.Errorf("complaint about case %d: %w", in.CaseID, err)
		}
		var c model.Case
		if err := db.Select("id", "unit_id").Take(&c, in.CaseID).Error; err != nil {
			return ComplaintView{}, fmt.Errorf("complaint about case %d: %w", in.CaseID, notFoundIf(err))
		}
		caseID, unitID = &c.ID, c.UnitID
	}
	if strings.TrimSpace(in.UnitCode) != "" || caseID == nil {
		unitID = s.pickUnit(ctx, AllUnits, fe, in.UnitCode)
	}
	if len(attachments) > 0 && len(fe) == 0 {
		var n int64
		if err := db.Model(&model.Upload{}).Where("id IN ? AND user_id = ?", attachments, u.UserID).Count(&n).Error; err != nil {
			return ComplaintView{}, fmt.Errorf("attachments of a complaint: %w", err)
		}
		if n != int64(len(attachments)) {
			fe.Add("attachments", "附件须为您本人上传的文件")
		}
	}
	if err := fe.Err(); err != nil {
		return ComplaintView{}, err
	}
	now := s.Now()
	c := model.Complaint{UserID: u.UserID, UnitID: unitID, Category: category, CaseID: caseID, Content: content,
		Status: model.StatusSubmitted, AcknowledgeBy: s.acknowledgeBy(now),
		ResultBy: now.In(s.opt.Location).AddDate(0, s.opt.ComplaintResultMonths, 0).UTC(), CreatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := holdUnit(tx, unitID, "unit_code"); err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		for _, id := range attachments {
			if err := tx.Create(&model.ComplaintAttachment{ComplaintID: c.ID, UploadID: id}).Error; err != nil {
				return err
			}
		}
		if err := s.audit(tx, userActor(u, ip), "complaint.submit", complaintTarget(c.ID), category); err != nil {
			return err
		}
		return s.recordComplaintStep(tx, c, model.StatusSubmitted, nil, "")
	})
	if err != nil {
		return ComplaintView{}, fmt.Errorf("submit complaint: %w", err)
	}
	return s.complaintView(ctx, c.ID, false)
}

func complaintTarget(id uint64) string { return fmt.Sprintf("complaint:%d", id) }

// acknowledgeBy is the acknowledgement deadline of a complaint reaching a
// unit at t.
func (s *Service) acknowledgeBy(t time.Time) time.Time {
	return t.AddDate(0, 0, complaintAcknowledgeDays).UTC()
}

// recordComplaintStep writes step `action` of complaint c (as it is after
// the step) to its trail and pushes it to the complainant, inside tx.
func (s *Service) recordComplaintStep(tx *gorm.DB, c model.Complaint, action model.Status, actor *uint64, note string) error {
	step := model.ComplaintStep{ComplaintID: c.ID, Action: action, UnitID: c.UnitID, ActorID: actor, Note: note, At: s.Now()}
	if err := tx.Create(&step).Error; err != nil {
		return fmt.Errorf("step %s of complaint %d: %w", action, c.ID, err)
	}
	data := map[string]string{"item": complaintWhat + "：" + ComplaintCategoryLabels[c.Category], "result": action.Label(),
		"time": s.localTimeLabel(step.At), "reason": note}
	return s.lawyerPush(tx, c.UserID, Push{Kind: model.PushComplaintStep, UnitID: c.UnitID,
		Cause: fmt.Sprintf("complaint:%d:%d", c.ID, step.ID), Path: complaintOwned.path(c.ID), Data: data})
}

// AcknowledgeComplaint is the unit the complaint is with accepting it (受理).
func (s *Service) AcknowledgeComplaint(ctx context.Context, a Actor, id uint64, note string) (ComplaintView, error) {
	return s.moveComplaint(ctx, a, id, model.StatusAcknowledged, note, func(tx *gorm.DB, c model.Complaint, set map[string]any) error {
		set["acknowledged_at"] = s.Now()
		return nil
	})
}

// TransferComplaint hands the complaint to another unit, whose queue it
// joins and whose staff then acknowledge it (within 7 days of the
// transfer); the result deadline stays that of the submission.
func (s *Service) TransferComplaint(ctx context.Context, a Actor, id uint64, unitCode, note string) (ComplaintView, error) {
	fe := model.FieldErrors{}
	if strings.TrimSpace(unitCode) == "" {
		fe.Add("unit_code", "请选择移送的单位")
	}
	if err := fe.Err(); err != nil {
		return ComplaintView{}, err
	}
	target := s.pickUnit(ctx, AllUnits, fe, unitCode)
	if err := fe.Err(); err != nil {
		return ComplaintView{}, err
	}
	return s.moveComplaint(ctx, a, id, model.StatusTransferred, note, func(tx *gorm.DB, c model.Complaint, set map[string]any) error {
		if c.UnitID == target {
			return errTransferSameUnit
		}
		if err := holdUnit(tx, target, "unit_code"); err != nil {
			return err
		}
		set["unit_id"], set["acknowledge_by"], set["acknowledged_at"] = target, s.acknowledgeBy(s.Now()), nil
		return nil
	})
}

// ResolveComplaint gives an acknowledged complaint its result (办结); the
// complainant is invited to rate the handling.
func (s *Service) ResolveComplaint(ctx context.Context, a Actor, id uint64, result string) (ComplaintView, error) {
	result = strings.TrimSpace(result)
	fe := model.FieldErrors{}
	if result == "" {
		fe.Add("result", "请填写办理结果")
	}
	checkText(fe, "result", result, maxComplaintText)
	if err := fe.Err(); err != nil {
		return ComplaintView{}, err
	}
	return s.moveComplaint(ctx, a, id, model.StatusResolved, result, func(tx *gorm.DB, c model.Complaint, set map[string]any) error {
		set["resolved_at"], set["result"] = s.Now(), result
		return nil
	})
}

// moveComplaint runs one staff step on a complaint of the actor's scope: a
// guarded transition under the row's lock (a complaint transferred away
// meanwhile is out of scope, the same 404 as an absent one), the trail,
// an audit row, the push to the complainant and, once resolved, the rating
// invitation — one transaction.
func (s *Service) moveComplaint(ctx context.Context, a Actor, id uint64, to model.Status, note string,
	prepare func(tx *gorm.DB, c model.Complaint, set map[string]any) error) (ComplaintView, error) {
	note = strings.TrimSpace(note)
	fe := model.FieldErrors{}
	checkText(fe, "note", note, maxComplaintText)
	if err := fe.Err(); err != nil {
		return ComplaintView{}, err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.Complaint{}, id, a); err != nil {
			return err
		}
		var c model.Complaint
		if err := tx.Take(&c, id).Error; err != nil {
			return err
		}
		if !model.ComplaintMachine.Can(c.Status, to) {
			return model.StateConflict(complaintWhat, c.Status)
		}
		set := map[string]any{}
		if err := prepare(tx, c, set); err != nil {
			return err
		}
		if err := transition(tx, &model.Complaint{}, complaintWhat, model.ComplaintMachine, id, 0, to, set); err != nil {
			return err
		}
		if err := tx.Take(&c, id).Error; err != nil {
			return err
		}
		if err := s.audit(tx, a, "complaint."+string(to), complaintTarget(id), note); err != nil {
			return err
		}
		actor := a.StaffID
		if err := s.recordComplaintStep(tx, c, to, &actor, note); err != nil {
			return err
		}
		return s.inviteRating(tx, complaintOwned, c.ID, c.UserID, c.UnitID, to, ComplaintCategoryLabels[c.Category])
	})
	if err != nil {
		return ComplaintView{}, fmt.Errorf("%s complaint %d: %w", to, id, err)
	}
	return s.complaintView(ctx, id, true)
}

// MyComplaints lists the user's complaints, newest first.
func (s *Service) MyComplaints(ctx context.Context, userID uint64) ([]ComplaintView, error) {
	db := s.db.WithContext(ctx)
	return listRows(db, db.Where("user_id = ?", userID).Order("id DESC"), s.complaintViews, false,
		fmt.Sprintf("complaints of user %d", userID))
}

// MyComplaint is one of the user's complaints; someone else's is the same
// 404 as an absent one.
func (s *Service) MyComplaint(ctx context.Context, userID, id uint64) (ComplaintView, error) {
	db := s.db.WithContext(ctx)
	items, err := listRows(db, db.Where("id = ? AND user_id = ?", id, userID), s.complaintViews, false, fmt.Sprintf("complaint %d", id))
	if err != nil {
		return ComplaintView{}, err
	}
	if len(items) == 0 {
		return ComplaintView{}, model.ErrNotFound
	}
	return items[0], nil
}

// StaffComplaints is the 控申 queue of the actor's scope (optionally of one
// status), the earliest acknowledgement deadline first. The complaints'
// texts can hold personal data, so each read is audited.
func (s *Service) StaffComplaints(ctx context.Context, a Actor, status string, p Paging) (Page[ComplaintView], error) {
	if status != "" && !isMachineStatus(model.ComplaintMachine, model.Status(status)) {
		return Page[ComplaintView]{}, model.Invalid(map[string]string{"status": "未知的状态"})
	}
	if err := s.Audit(ctx, a, "complaint.list", "complaints", "status="+status); err != nil {
		return Page[ComplaintView]{}, err
	}
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.Complaint{}), "unit_id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	return pageRows(db, q, p, "acknowledge_by, id", s.complaintViews, "complaint queue")
}

// ComplaintAttachment opens an attachment of a complaint of the actor's
// scope for staff; the view is audited.
func (s *Service) ComplaintAttachment(ctx context.Context, a Actor, id, uploadID uint64) (model.Upload, io.ReadSeekCloser, error) {
	db := s.db.WithContext(ctx)
	var c model.Complaint
	if err := db.Select("id", "unit_id").Take(&c, id).Error; err != nil {
		return model.Upload{}, nil, notFoundIf(err)
	}
	if !a.Scope.Contains(c.UnitID) {
		return model.Upload{}, nil, model.ErrNotFound
	}
	var up model.Upload
	err := db.Where("id = ? AND id IN (?)", uploadID,
		db.Model(&model.ComplaintAttachment{}).Select("upload_id").Where("complaint_id = ?", id)).Take(&up).Error
	if err != nil {
		return model.Upload{}, nil, notFoundIf(err)
	}
	if err := s.Audit(ctx, a, "complaint.attachment_view", complaintTarget(id), fmt.Sprintf("upload:%d", uploadID)); err != nil {
		return model.Upload{}, nil, err
	}
	f, err := s.files.Open(ctx, up.FileKey)
	return up, f, err
}

func (s *Service) complaintView(ctx context.Context, id uint64, staff bool) (ComplaintView, error) {
	return viewOne(s.db.WithContext(ctx), id, s.complaintViews, staff, "complaint")
}

// complaintViews decorates complaints with their cases, steps and
// attachments (and, for staff, the masked complainants), in a few queries.
func (s *Service) complaintViews(db *gorm.DB, rows []model.Complaint, staff bool) ([]ComplaintView, error) {
	ids, caseIDs, userIDs := make([]uint64, len(rows)), []uint64{}, []uint64{}
	for i, c := range rows {
		ids[i] = c.ID
		if c.CaseID != nil {
			caseIDs = append(caseIDs, *c.CaseID)
		}
		userIDs = append(userIDs, c.UserID)
	}
	parties, err := loadRequestParties(db, caseIDs, nil)
	if err != nil {
		return nil, err
	}
	var steps []model.ComplaintStep
	if err := db.Where("complaint_id IN ?", ids).Order("id").Find(&steps).Error; err != nil {
		return nil, fmt.Errorf("complaint steps: %w", err)
	}
	var links []model.ComplaintAttachment
	if err := db.Where("complaint_id IN ?", ids).Order("upload_id").Find(&links).Error; err != nil {
		return nil, fmt.Errorf("complaint attachments: %w", err)
	}
	uploadIDs := make([]uint64, len(links))
	for i, l := range links {
		uploadIDs[i] = l.UploadID
	}
	var uploads []model.Upload
	if len(uploadIDs) > 0 {
		if err := db.Where("id IN ?", uploadIDs).Find(&uploads).Error; err != nil {
			return nil, fmt.Errorf("complaint attachments: %w", err)
		}
	}
	uploadByID := make(map[uint64]model.Upload, len(uploads))
	for _, up := range uploads {
		uploadByID[up.ID] = up
	}
	complainants := map[uint64]string{}
	if staff {
		if complainants, err = maskedUsers(db, userIDs); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	views := make([]ComplaintView, len(rows))
	for i, c := range rows {
		v := ComplaintView{ID: c.ID, Category: c.Category, CategoryLabel: ComplaintCategoryLabels[c.Category], Unit: s.unitRef(c.UnitID),
			CaseID: c.CaseID, Content: c.Content, Status: c.Status, StatusLabel: c.Status.Label(),
			AcknowledgeBy: c.AcknowledgeBy, ResultBy: c.ResultBy, Result: c.Result, CreatedAt: c.CreatedAt,
			Attachments: []ComplaintAttachmentView{}, Steps: []ComplaintStepView{}, Complainant: complainants[c.UserID]}
		if c.CaseID != nil {
			v.CaseNo, v.CaseName = parties.cases[*c.CaseID].CaseNo, parties.cases[*c.CaseID].Name
		}
		v.AcknowledgeOverdue, v.ResultOverdue = acknowledgeDeadline.overdue(c, now), resultDeadline.overdue(c, now)
		for _, st := range steps {
			if st.ComplaintID == c.ID {
				v.Steps = append(v.Steps, ComplaintStepView{Action: st.Action, ActionLabel: st.Action.Label(), At: st.At, Note: st.Note,
					Unit: s.unitRef(st.UnitID)})
			}
		}
		for _, l := range links {
			if up, ok := uploadByID[l.UploadID]; ok && l.ComplaintID == c.ID {
				v.Attachments = append(v.Attachments, ComplaintAttachmentView{ID: up.ID, FileName: up.FileName,
					ContentType: up.ContentType, Size: up.Size})
			}
		}
		views[i] = v
	}
	return views, nil
}
