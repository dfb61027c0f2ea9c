package service

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// Request kinds, as the overdue metric labels them.
const (
	KindReview  = "review"
	KindMeeting = "meeting"
	KindEfile   = "efile"
)

// requestKind is one kind of lawyer request answered by staff (file review,
// meeting, online file review). The jobs that must see every kind — the revocation cascade, the
// reminders, the overdue count — run over requestKinds, so a new kind is
// added to that table and nowhere else.
type requestKind struct {
	name    string // the overdue metric's label
	what    string // names a request in state-conflict messages
	machine model.Machine
	// row returns a pointer to the kind's model, naming its table.
	row func() any
	// ended are the columns a request clears when it stops being live.
	ended func() map[string]any
	// release gives back what live request id held (a booked place); nil
	// when a request holds nothing.
	release func(s *Service, tx *gorm.DB, id uint64) error
	// dueReminders lists the not yet reminded requests (in state
	// remindIn) whose reminder time has come.
	dueReminders func(s *Service, db *gorm.DB) ([]dueReminder, error)
	// remindIn is the state a request is reminded in: an appointment once
	// confirmed, an online file review while approved (before it expires).
	remindIn model.Status
}

// dueReminder is one reminder to claim and push.
type dueReminder struct {
	id, userID uint64
	push       func(tx *gorm.DB) (Push, error)
}

var (
	reviewKind = requestKind{
		name: KindReview, what: reviewWhat, machine: model.ReviewMachine,
		row:          func() any { return &model.ReviewBooking{} },
		ended:        func() map[string]any { return map[string]any{"live_key": nil, "slot_key": nil} },
		release:      releaseReviewPlace,
		dueReminders: dueReviewReminders,
		remindIn:     model.StatusConfirmed,
	}
	meetingKind = requestKind{
		name: KindMeeting, what: meetingWhat, machine: model.MeetingMachine,
		row:          func() any { return &model.MeetingRequest{} },
		ended:        func() map[string]any { return map[string]any{} },
		dueReminders: dueMeetingReminders,
		remindIn:     model.StatusConfirmed,
	}
	efileKind = requestKind{
		name: KindEfile, what: efileWhat, machine: model.EfileMachine,
		row:          func() any { return &model.EfileRequest{} },
		ended:        func() map[string]any { return map[string]any{} },
		dueReminders: dueEfileReminders,
		remindIn:     model.StatusApproved,
	}
	// requestKinds is every kind of request.
	requestKinds = []requestKind{reviewKind, meetingKind, efileKind}
)

// transition moves request id of this kind; see transition.
func (k requestKind) transition(tx *gorm.DB, id, owner uint64, to model.Status, set map[string]any) error {
	return transition(tx, k.row(), k.what, k.machine, id, owner, to, set)
}

// end cancels live request id of this kind with reason (cascade of a
// revoked binding), giving back what it held.
func (k requestKind) end(s *Service, tx *gorm.DB, id uint64, reason string) error {
	set := k.ended()
	set["reason"] = reason
	if err := k.transition(tx, id, 0, model.StatusCancelled, set); err != nil {
		return err
	}
	if k.release == nil {
		return nil
	}
	return k.release(s, tx, id)
}

func releaseReviewPlace(s *Service, tx *gorm.DB, id uint64) error {
	var b model.ReviewBooking
	if err := tx.Select("id", "slot_id").Take(&b, id).Error; err != nil {
		return fmt.Errorf("slot of review %d: %w", id, err)
	}
	return s.releasePlace(tx, b.SlotID)
}

func dueReviewReminders(s *Service, db *gorm.DB) ([]dueReminder, error) {
	now, today := s.Now(), s.today()
	var reviews []model.ReviewBooking
	err := db.Where("status = ? AND reminded_at IS NULL AND slot_id IN (?)", model.StatusConfirmed,
		db.Model(&model.ReviewSlot{}).Select("id").Where("date IN ?",
			[]string{today.Format(model.DateLayout), today.AddDate(0, 0, 1).Format(model.DateLayout)})).
		Find(&reviews).Error
	if err != nil {
		return nil, fmt.Errorf("due review reminders: %w", err)
	}
	var due []dueReminder
	for _, b := range reviews {
		var slot model.ReviewSlot
		if err := db.Take(&slot, b.SlotID).Error; err != nil {
			return nil, fmt.Errorf("slot %d of review %d: %w", b.SlotID, b.ID, err)
		}
		start := s.slotStart(slot)
		if now.Before(s.reminderDue(start)) || !now.Before(start) {
			continue
		}
		due = append(due, dueReminder{id: b.ID, userID: b.UserID, push: func(tx *gorm.DB) (Push, error) {
			c, err := caseLabel(tx, b.CaseID)
			if err != nil {
				return Push{}, err
			}
			room, err := roomRef(tx, slot.RoomID)
			return Push{Kind: model.PushReminder, UnitID: b.UnitID, Cause: fmt.Sprintf("reminder:review:%d", b.ID), Path: "/h5/reviews",
				Data: map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": reviewItem,
					"time": s.localTimeLabel(start), "place": room.Name}}, err
		}})
	}
	return due, nil
}

func dueMeetingReminders(s *Service, db *gorm.DB) ([]dueReminder, error) {
	now := s.Now()
	var meetings []model.MeetingRequest
	err := db.Where("status = ? AND reminded_at IS NULL AND time > ? AND time <= ?",
		model.StatusConfirmed, now, now.Add(meetingHorizon)).Find(&meetings).Error
	if err != nil {
		return nil, fmt.Errorf("due meeting reminders: %w", err)
	}
	var due []dueReminder
	for _, m := range meetings {
		if m.Time == nil || now.Before(s.reminderDue(*m.Time)) {
			continue
		}
		at := *m.Time
		due = append(due, dueReminder{id: m.ID, userID: m.UserID, push: func(tx *gorm.DB) (Push, error) {
			c, err := caseLabel(tx, m.CaseID)
			return Push{Kind: model.PushReminder, UnitID: m.UnitID, Cause: fmt.Sprintf("reminder:meeting:%d", m.ID), Path: "/h5/meetings",
				Data: map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": m.Type,
					"time": s.localTimeLabel(at), "place": m.Place}}, err
		}})
	}
	return due, nil
}

// replyLeadDefault is how long before an appointment staff must have
// answered it when Options.ReplyLead is unset.
const replyLeadDefault = 2 * time.Hour
