package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// MeetingTypes are what a lawyer can ask to meet for (申请事项).
var MeetingTypes = []string{"约见承办检察官", "提交书面意见", "申请调取证据", "其他"}

const (
	meetingWhat     = "会见申请"
	maxPlaceLength  = 200 // model.MeetingRequest.Place
	preferredCount  = 2
	meetingHorizon  = 48 * time.Hour // reminders look this far ahead
	officeHoursText = "工作日 09:00-12:00、14:00-17:00"
)

var errMeetingPast = model.NewError(model.KindConflict, "meeting_past", "会见时间已过，不能取消")

// MeetingInput is a lawyer's meeting request: two preferred times (RFC3339)
// on working days within office hours.
type MeetingInput struct {
	CaseID         uint64   `json:"case_id"`
	Type           string   `json:"type"`
	PreferredTimes []string `json:"preferred_times"`
	Note           string   `json:"note"`
}

// MeetingDecision is staff fixing a meeting: any future time (not
// necessarily a preferred one) and a place.
type MeetingDecision struct {
	Time  string `json:"time"`
	Place string `json:"place"`
	// OutsideHoursReason lets staff confirm a time outside working days
	// and reception hours; it is kept in the audit log.
	OutsideHoursReason string `json:"outside_hours_reason"`
}

// MeetingView is a meeting request with its case, as the lawyer's and the
// staff's lists show it.
type MeetingView struct {
	requestFields
	Type           string      `json:"type"`
	Time           *time.Time  `json:"time,omitempty"` // confirmed time
	Place          string      `json:"place,omitempty"`
	StatusLabel    string      `json:"status_label"`
	PreferredTimes []time.Time `json:"preferred_times"`
	CaseNo         string      `json:"case_no"`
	CaseName       string      `json:"case_name"`
	// Lawyer is who asked (staff views only).
	Lawyer *LawyerInfo `json:"lawyer,omitempty"`
	ReplyStatus
}

// RequestMeeting files a meeting request for a case the user is an
// approved lawyer of.
func (s *Service) RequestMeeting(ctx context.Context, userID uint64, in MeetingInput) (MeetingView, error) {
	fe := model.FieldErrors{}
	if in.CaseID == 0 {
		fe.Add("case_id", "请选择案件")
	}
	kind := strings.TrimSpace(in.Type)
	if !slices.Contains(MeetingTypes, kind) {
		fe.Add("type", "申请事项只能是："+strings.Join(MeetingTypes, "、"))
	}
	preferred := s.preferredTimes(fe, in.PreferredTimes)
	checkText(fe, "note", in.Note, maxNoteLength)
	if err := fe.Err(); err != nil {
		return MeetingView{}, err
	}
	m := model.MeetingRequest{UserID: userID, CaseID: in.CaseID, Type: kind,
		Preferred1: preferred[0], Preferred2: preferred[1], Note: strings.TrimSpace(in.Note),
		Status: model.StatusPending, ReplyBy: s.replyBy(earliest(preferred[:]))}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.checkLiveMeetings(tx, userID, in.CaseID); err != nil {
			return err
		}
		binding, err := approvedLawyerBinding(lockForUpdate(tx), userID, in.CaseID)
		if err != nil {
			return err
		}
		m.BindingID, m.UnitID = binding.ID, binding.UnitID
		return tx.Create(&m).Error
	})
	if err != nil {
		return MeetingView{}, fmt.Errorf("request meeting for case %d: %w", in.CaseID, err)
	}
	return s.meetingView(ctx, m.ID, false)
}

// preferredTimes checks the two preferred times: distinct, in the future,
// on working days within office hours.
func (s *Service) preferredTimes(fe model.FieldErrors, raw []string) [preferredCount]time.Time {
	var out [preferredCount]time.Time
	if len(raw) != preferredCount {
		fe.Add("preferred_times", "请提供两个意向时间")
		return out
	}
	for i, v := range raw {
		t, err := time.Parse(time.RFC3339, v)
		switch {
		case err != nil:
			fe.Add("preferred_times", "时间格式有误，请按 2026-12-03 09:30 的形式填写")
		case !t.After(s.Now()):
			fe.Add("preferred_times", "意向时间须晚于当前时间")
		case !s.CheckDate(fe, "preferred_times", t):
		case !s.withinOfficeHours(t):
			fe.Add("preferred_times", "意向时间须在"+officeHoursText)
		}
		out[i] = t.UTC().Truncate(time.Second)
	}
	if out[0].Equal(out[1]) {
		fe.Add("preferred_times", "两个意向时间不能相同")
	}
	return out
}

// earliest is the first of times.
func earliest(times []time.Time) time.Time {
	return slices.MinFunc(times, func(a, b time.Time) int { return a.Compare(b) })
}

// CancelMeeting is the lawyer withdrawing a pending or confirmed request
// before the meeting.
func (s *Service) CancelMeeting(ctx context.Context, userID, id uint64) (MeetingView, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockStatus(tx, &model.MeetingRequest{}, id, userID); err != nil {
			return err
		}
		var m model.MeetingRequest
		if err := tx.Take(&m, id).Error; err != nil {
			return err
		}
		if !model.MeetingMachine.Can(m.Status, model.StatusCancelled) {
			return model.StateConflict(meetingWhat, m.Status)
		}
		if m.Time != nil && !m.Time.After(s.Now()) {
			return errMeetingPast
		}
		return meetingKind.transition(tx, id, userID, model.StatusCancelled, meetingKind.ended())
	})
	if err != nil {
		return MeetingView{}, fmt.Errorf("cancel meeting %d: %w", id, err)
	}
	return s.meetingView(ctx, id, false)
}

// ConfirmMeeting is staff fixing the time and place of a pending request.
func (s *Service) ConfirmMeeting(ctx context.Context, a Actor, id uint64, in MeetingDecision) (MeetingView, error) {
	fe := model.FieldErrors{}
	at, err := time.Parse(time.RFC3339, in.Time)
	switch {
	case err != nil:
		fe.Add("time", "时间格式有误，请按 2026-12-03 09:30 的形式填写")
	case !at.After(s.Now()):
		fe.Add("time", "会见时间须晚于当前时间")
	case !s.withinOfficeHours(at) && strings.TrimSpace(in.OutsideHoursReason) == "":
		fe.Add("time", "会见时间须在"+officeHoursText+"；确需安排在其他时间的，请填写原因")
	default:
		s.CheckDate(fe, "time", at)
	}
	checkText(fe, "outside_hours_reason", in.OutsideHoursReason, maxNoteLength)
	place := strings.TrimSpace(in.Place)
	if place == "" {
		// Meetings take place at the case's unit unless staff say otherwise.
		if place, err = s.meetingUnitAddress(ctx, id); err != nil {
			return MeetingView{}, fmt.Errorf("confirm meeting %d: %w", id, err)
		}
	}
	if place == "" {
		fe.Add("place", "请填写会见地点")
	}
	checkText(fe, "place", place, maxPlaceLength)
	if err := fe.Err(); err != nil {
		return MeetingView{}, err
	}
	at = at.UTC().Truncate(time.Second)
	set := s.decided(a)
	set["time"], set["place"] = at, place
	s.reminderMarker(set, at)
	note := ""
	if r := strings.TrimSpace(in.OutsideHoursReason); r != "" && !s.withinOfficeHours(at) {
		note = "非工作时间：" + r
	}
	return s.decideMeeting(ctx, a, id, model.StatusConfirmed, set, note)
}

// meetingUnitAddress is the address of the unit of the meeting's case.
func (s *Service) meetingUnitAddress(ctx context.Context, id uint64) (string, error) {
	db := s.db.WithContext(ctx)
	var m model.MeetingRequest
	if err := db.Select("id", "case_id").Take(&m, id).Error; err != nil {
		return "", notFoundIf(err)
	}
	u, err := caseUnit(db, m.CaseID)
	return u.Address, err
}

// RejectMeeting is staff refusing a pending request, with a reason.
func (s *Service) RejectMeeting(ctx context.Context, a Actor, id uint64, reason string) (MeetingView, error) {
	if err := requiredReason(reason); err != nil {
		return MeetingView{}, err
	}
	set := s.decided(a)
	set["reason"] = strings.TrimSpace(reason)
	return s.decideMeeting(ctx, a, id, model.StatusRejected, set, "")
}

// decideMeeting runs one staff decision: a guarded transition, an audit row
// (with the request's reason, or note when given) and a push to the lawyer,
// in one transaction.
func (s *Service) decideMeeting(ctx context.Context, a Actor, id uint64, to model.Status, set map[string]any, note string) (MeetingView, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.MeetingRequest{}, id, a); err != nil {
			return err
		}
		if err := meetingKind.transition(tx, id, 0, to, set); err != nil {
			return err
		}
		var m model.MeetingRequest
		if err := tx.Take(&m, id).Error; err != nil {
			return err
		}
		target := fmt.Sprintf("meeting:%d", id)
		detail := m.Reason
		if note != "" {
			detail = note
		}
		if err := s.audit(tx, a, "meeting."+string(to), target, detail); err != nil {
			return err
		}
		c, err := caseLabel(tx, m.CaseID)
		if err != nil {
			return err
		}
		data := map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": m.Type,
			"result": to.Label(), "place": m.Place, "reason": m.Reason}
		if m.Time != nil {
			data["time"] = s.localTimeLabel(*m.Time)
		}
		err = s.lawyerPush(tx, m.UserID, Push{Kind: model.PushMeetingResult, UnitID: m.UnitID, Cause: target + ":" + string(to),
			Path: "/h5/meetings", Data: data})
		if err != nil {
			return err
		}
		return s.inviteRating(tx, meetingOwned, id, m.UserID, m.UnitID, to, c.Name)
	})
	if err != nil {
		return MeetingView{}, fmt.Errorf("%s meeting %d: %w", to, id, err)
	}
	return s.meetingView(ctx, id, true)
}

// MyMeetings lists the user's meeting requests, newest first.
func (s *Service) MyMeetings(ctx context.Context, userID uint64) ([]MeetingView, error) {
	db := s.db.WithContext(ctx)
	return listRows(db, db.Where("user_id = ?", userID).Order("id DESC"), s.meetingViews, false,
		fmt.Sprintf("meetings of user %d", userID))
}

// StaffMeetings is the staff queue of meeting requests (optionally of one
// status), the most urgent reply deadline first. It shows the lawyers'
// profiles, so each read is audited.
func (s *Service) StaffMeetings(ctx context.Context, a Actor, status string, p Paging) (Page[MeetingView], error) {
	if status != "" && !isMachineStatus(model.MeetingMachine, model.Status(status)) {
		return Page[MeetingView]{}, model.Invalid(map[string]string{"status": "未知的申请状态"})
	}
	if err := s.Audit(ctx, a, "meeting.list", "meetings", "status="+status); err != nil {
		return Page[MeetingView]{}, err
	}
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.MeetingRequest{}), "unit_id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	return pageRows(db, q, p, "reply_by, id", s.meetingViews, "meeting queue")
}

func (s *Service) meetingView(ctx context.Context, id uint64, staff bool) (MeetingView, error) {
	return viewOne(s.db.WithContext(ctx), id, s.meetingViews, staff, "meeting")
}

func (s *Service) meetingViews(db *gorm.DB, rows []model.MeetingRequest, staff bool) ([]MeetingView, error) {
	caseIDs, userIDs := make([]uint64, len(rows)), make([]uint64, 0, len(rows))
	for i, m := range rows {
		caseIDs[i] = m.CaseID
		if staff {
			userIDs = append(userIDs, m.UserID)
		}
	}
	parties, err := loadRequestParties(db, caseIDs, userIDs)
	if err != nil {
		return nil, err
	}
	views := make([]MeetingView, len(rows))
	for i, m := range rows {
		c := parties.cases[m.CaseID]
		views[i] = MeetingView{requestFields: requestFields{ID: m.ID, BindingID: m.BindingID, CaseID: m.CaseID, Status: m.Status,
			Note: m.Note, ReplyBy: m.ReplyBy, Reason: m.Reason, DecidedAt: m.DecidedAt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt},
			Type: m.Type, Time: m.Time, Place: m.Place, StatusLabel: m.Status.Label(),
			PreferredTimes: []time.Time{m.Preferred1, m.Preferred2}, CaseNo: c.CaseNo, CaseName: c.Name,
			ReplyStatus: s.replyStatus(m.Status, m.ReplyBy)}
		if staff {
			views[i].Lawyer = parties.lawyer(m.UserID)
		}
	}
	return views, nil
}
