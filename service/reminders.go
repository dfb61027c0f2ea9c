package service

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
)

// Request kinds, as the overdue metric labels them.
const (
	KindReview  = "review"
	KindMeeting = "meeting"
)

// RunReminders queues due reminders every interval until ctx ends. Every
// instance runs it; the claim in remind keeps each reminder to one push.
func (s *Service) RunReminders(ctx context.Context, every time.Duration) {
	s.runEvery(ctx, every, func(ctx context.Context) {
		if n, err := s.SendDueReminders(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reminder pass failed", "err", err)
		} else if n > 0 {
			s.log.Info("reminders queued", "count", n)
		}
	})
}

// SendDueReminders queues the day-before reminder of every confirmed review
// and meeting whose reminder time (ReminderTime the day before) has come and
// which has not started yet. It returns how many it queued.
func (s *Service) SendDueReminders(ctx context.Context) (int, error) {
	now := s.Now()
	db := s.db.WithContext(ctx)
	queued := 0

	today := s.today()
	var reviews []model.ReviewBooking
	err := db.Where("status = ? AND reminded_at IS NULL AND slot_id IN (?)", model.StatusConfirmed,
		db.Model(&model.ReviewSlot{}).Select("id").Where("date IN ?",
			[]string{today.Format(model.DateLayout), today.AddDate(0, 0, 1).Format(model.DateLayout)})).
		Find(&reviews).Error
	if err != nil {
		return 0, fmt.Errorf("due review reminders: %w", err)
	}
	for _, b := range reviews {
		var slot model.ReviewSlot
		if err := db.Take(&slot, b.SlotID).Error; err != nil {
			return queued, fmt.Errorf("slot %d of review %d: %w", b.SlotID, b.ID, err)
		}
		start := s.slotStart(slot)
		if now.Before(s.reminderDue(start)) || !now.Before(start) {
			continue
		}
		push := func(tx *gorm.DB) (Push, error) {
			c, err := caseLabel(tx, b.CaseID)
			if err != nil {
				return Push{}, err
			}
			room, err := roomRef(tx, slot.RoomID)
			return Push{Kind: model.PushReminder, UnitID: b.UnitID, Cause: fmt.Sprintf("reminder:review:%d", b.ID), Path: "/h5/reviews",
				Data: map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": reviewItem,
					"time": s.localTimeLabel(start), "place": room.Name}}, err
		}
		ok, err := s.remind(ctx, &model.ReviewBooking{}, b.ID, b.UserID, push)
		if err != nil {
			return queued, fmt.Errorf("remind review %d: %w", b.ID, err)
		}
		if ok {
			queued++
		}
	}

	var meetings []model.MeetingRequest
	err = db.Where("status = ? AND reminded_at IS NULL AND time > ? AND time <= ?",
		model.StatusConfirmed, now, now.Add(meetingHorizon)).Find(&meetings).Error
	if err != nil {
		return queued, fmt.Errorf("due meeting reminders: %w", err)
	}
	for _, m := range meetings {
		if m.Time == nil || now.Before(s.reminderDue(*m.Time)) {
			continue
		}
		push := func(tx *gorm.DB) (Push, error) {
			c, err := caseLabel(tx, m.CaseID)
			return Push{Kind: model.PushReminder, UnitID: m.UnitID, Cause: fmt.Sprintf("reminder:meeting:%d", m.ID), Path: "/h5/meetings",
				Data: map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": m.Type,
					"time": s.localTimeLabel(*m.Time), "place": m.Place}}, err
		}
		ok, err := s.remind(ctx, &model.MeetingRequest{}, m.ID, m.UserID, push)
		if err != nil {
			return queued, fmt.Errorf("remind meeting %d: %w", m.ID, err)
		}
		if ok {
			queued++
		}
	}
	return queued, nil
}

// remind claims the reminder of one confirmed review or meeting (row is the
// model's pointer) and queues its push in the same transaction. The claim
// sets reminded_at under the row lock a cancel also takes (see transition),
// only while the row is confirmed and not yet reminded: of several
// instances racing, exactly one claims it, and a request cancelled before
// the claim is never reminded.
func (s *Service) remind(ctx context.Context, row any, id, userID uint64, push func(tx *gorm.DB) (Push, error)) (bool, error) {
	claimed := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		cur, err := lockStatus(tx, row, id, 0)
		if err != nil || cur.Status != model.StatusConfirmed || cur.RemindedAt != nil {
			return err
		}
		if err := tx.Model(row).Where("id = ?", id).Update("reminded_at", s.Now()).Error; err != nil {
			return err
		}
		p, err := push(tx)
		if err != nil {
			return err
		}
		claimed = true
		return s.lawyerPush(tx, userID, p)
	})
	return claimed && err == nil, err
}

// OverdueRequests counts the pending requests past their reply deadline,
// by kind (KindReview, KindMeeting).
func (s *Service) OverdueRequests(ctx context.Context) (map[string]int64, error) {
	now := s.Now()
	db := s.db.WithContext(ctx)
	out := map[string]int64{}
	for kind, row := range map[string]any{KindReview: &model.ReviewBooking{}, KindMeeting: &model.MeetingRequest{}} {
		var n int64
		if err := db.Model(row).Where("status = ? AND reply_by < ?", model.StatusPending, now).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count overdue %ss: %w", kind, err)
		}
		out[kind] = n
	}
	return out, nil
}
