package service

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
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
		if n, err := s.ExpireEfiles(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("efile expiry pass failed", "err", err)
		} else if n > 0 {
			s.log.Info("efile requests expired", "count", n)
		}
	})
}

// SendDueReminders queues the day-before reminder of every confirmed
// request (of every kind) whose reminder time (ReminderTime the day before)
// has come and which has not started yet. It returns how many it queued.
func (s *Service) SendDueReminders(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	queued := 0
	for _, k := range requestKinds {
		due, err := k.dueReminders(s, db)
		if err != nil {
			return queued, err
		}
		for _, r := range due {
			ok, err := s.remind(ctx, k, r)
			if err != nil {
				return queued, fmt.Errorf("remind %s %d: %w", k.name, r.id, err)
			}
			if ok {
				queued++
			}
		}
	}
	return queued, nil
}

// remind claims the reminder r of one request of kind k and queues its
// push in the same transaction. The claim sets reminded_at under the row
// lock a cancel also takes (see transition), only while the row is in the
// kind's remindIn state and not yet reminded: of several instances racing,
// exactly one claims it, and a request cancelled before the claim is never
// reminded.
func (s *Service) remind(ctx context.Context, k requestKind, r dueReminder) (bool, error) {
	claimed := false
	row, id := k.row(), r.id
	err := s.tx(ctx, func(tx *gorm.DB) error {
		cur, err := lockStatus(tx, row, id, 0)
		if err != nil || cur.Status != k.remindIn {
			return err
		}
		var reminded struct{ RemindedAt *time.Time }
		if err := tx.Model(row).Select("reminded_at").Where("id = ?", id).Take(&reminded).Error; err != nil {
			return err
		}
		if reminded.RemindedAt != nil {
			return nil
		}
		if err := tx.Model(row).Where("id = ?", id).Update("reminded_at", s.Now()).Error; err != nil {
			return err
		}
		p, err := r.push(tx)
		if err != nil {
			return err
		}
		claimed = true
		return s.lawyerPush(tx, r.userID, p)
	})
	return claimed && err == nil, err
}

// OverdueRequests counts the pending requests past their reply deadline,
// by kind (KindReview, KindMeeting, KindEfile), and the complaints past each of
// their deadlines (complaint_acknowledge, complaint_result).
func (s *Service) OverdueRequests(ctx context.Context) (map[string]int64, error) {
	now := s.Now()
	db := s.db.WithContext(ctx)
	out := map[string]int64{}
	for _, k := range requestKinds {
		var n int64
		if err := db.Model(k.row()).Where("status = ? AND reply_by < ?", model.StatusPending, now).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count overdue %ss: %w", k.name, err)
		}
		out[k.name] = n
	}
	for _, d := range complaintDeadlines {
		var n int64
		if err := db.Model(&model.Complaint{}).Where("status IN ? AND "+d.column+" < ?", d.open, now).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count overdue %ss: %w", d.name, err)
		}
		out[d.name] = n
	}
	return out, nil
}
