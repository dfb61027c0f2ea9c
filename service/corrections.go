package service

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// EventRecipients counts who recording an event on the case notifies: the
// followers with an approved binding (the console's confirmation says it).
func (s *Service) EventRecipients(ctx context.Context, a Actor, caseID uint64) (int, error) {
	db := s.db.WithContext(ctx)
	if _, err := caseInScope(db.Select("id", "unit_id"), a, caseID); err != nil {
		return 0, fmt.Errorf("event recipients of case %d: %w", caseID, err)
	}
	ids, err := approvedOpenIDs(db, caseID)
	return len(ids), err
}

// EventCorrection replaces a timeline event's stage, text and time; Notify
// queues a correction notice to the case's followers (staff choose).
type EventCorrection struct {
	EventInput
	Notify bool `json:"notify"`
}

// CorrectEvent rewrites one event of the case's timeline, audited with the
// old values; the case's current stage follows its latest event.
func (s *Service) CorrectEvent(ctx context.Context, a Actor, caseID, eventID uint64, in EventCorrection) (model.CaseEvent, error) {
	fe := model.FieldErrors{}
	fixed := s.validEvent(fe, in.EventInput, false)
	if err := fe.Err(); err != nil {
		return model.CaseEvent{}, err
	}
	var ev model.CaseEvent
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := lockedEvent(tx, a, caseID, eventID, &ev)
		if err != nil {
			return err
		}
		was := fmt.Sprintf("event:%d %s %s「%s」", ev.ID, ev.OccurredAt.In(s.opt.Location).Format("2006-01-02 15:04"), ev.Stage, ev.Description)
		ev.Stage, ev.Description, ev.OccurredAt = fixed.Stage, fixed.Description, fixed.OccurredAt
		if err := tx.Model(&model.CaseEvent{}).Where("id = ?", ev.ID).
			Updates(map[string]any{"stage": ev.Stage, "description": ev.Description, "occurred_at": ev.OccurredAt}).Error; err != nil {
			return err
		}
		if err := restage(tx, c.ID); err != nil {
			return err
		}
		if in.Notify {
			if err := s.queueCorrection(tx, c, ev); err != nil {
				return err
			}
		}
		return s.audit(tx, a, "case.event_correct", caseTarget(c.ID), truncateBytes("was "+was, 1000))
	})
	if err != nil {
		return model.CaseEvent{}, fmt.Errorf("correct event %d of case %d: %w", eventID, caseID, err)
	}
	return ev, nil
}

// DeleteEvent removes a wrong event from the case's timeline, audited with
// what it said; nobody is notified.
func (s *Service) DeleteEvent(ctx context.Context, a Actor, caseID, eventID uint64) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var ev model.CaseEvent
		c, err := lockedEvent(tx, a, caseID, eventID, &ev)
		if err != nil {
			return err
		}
		res := tx.Delete(&model.CaseEvent{}, ev.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return model.ErrNotFound
		}
		if err := restage(tx, c.ID); err != nil {
			return err
		}
		return s.audit(tx, a, "case.event_delete", caseTarget(c.ID),
			truncateBytes(fmt.Sprintf("event:%d %s「%s」", ev.ID, ev.Stage, ev.Description), 1000))
	})
	if err != nil {
		return fmt.Errorf("delete event %d of case %d: %w", eventID, caseID, err)
	}
	return nil
}

// lockedEvent reads the case of the actor's scope (row-locked, so
// concurrent changes of its timeline take turns) and its event eventID
// into ev; an event of another case is not found.
func lockedEvent(tx *gorm.DB, a Actor, caseID, eventID uint64, ev *model.CaseEvent) (model.Case, error) {
	c, err := caseInScope(lockForUpdate(tx), a, caseID)
	if err != nil {
		return c, err
	}
	if err := tx.Where("id = ? AND case_id = ?", eventID, caseID).Take(ev).Error; err != nil {
		return c, notFoundIf(err)
	}
	return c, nil
}

// restage sets the case's current stage to that of its latest event (the
// case keeps its stage when no event is left).
func restage(tx *gorm.DB, caseID uint64) error {
	var latest model.CaseEvent
	err := tx.Where("case_id = ?", caseID).Order("occurred_at DESC, id DESC").Limit(1).Find(&latest).Error
	if err != nil || latest.ID == 0 {
		return err
	}
	return tx.Model(&model.Case{}).Where("id = ?", caseID).Update("stage", latest.Stage).Error
}

// queueCorrection tells the case's followers that an event was corrected;
// each correction is its own cause, so a second one is sent too.
func (s *Service) queueCorrection(tx *gorm.DB, c model.Case, ev model.CaseEvent) error {
	openids, err := approvedOpenIDs(tx, c.ID)
	if err != nil {
		return err
	}
	at := s.Now()
	pushes := make([]Push, len(openids))
	for i, oid := range openids {
		pushes[i] = Push{OpenID: oid, Kind: model.PushCaseEvent, UnitID: c.UnitID, Cause: fmt.Sprintf("correction:%d:%d", ev.ID, at.UnixMilli()),
			Path: casePath(c.ID), Data: map[string]string{
				"case_name": c.Name, "case_no": c.CaseNo, "stage": "更正：" + ev.Stage, "description": ev.Description,
				"time": ev.OccurredAt.In(s.opt.Location).Format("2006-01-02 15:04"),
			}}
	}
	return s.enqueue(tx, pushes...)
}

// WithdrawDocument takes a published document off every list (H5, public,
// staff), audited with its title; a document already withdrawn is not found.
func (s *Service) WithdrawDocument(ctx context.Context, a Actor, caseID, docID uint64) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := caseInScope(tx.Select("id", "unit_id"), a, caseID); err != nil {
			return err
		}
		var doc model.Document
		if err := tx.Where("id = ? AND case_id = ?", docID, caseID).Take(&doc).Error; err != nil {
			return notFoundIf(err)
		}
		res := tx.Where("id = ? AND case_id = ?", docID, caseID).Delete(&model.Document{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return model.ErrNotFound
		}
		return s.audit(tx, a, "document.withdraw", caseTarget(caseID), truncateBytes(fmt.Sprintf("document:%d %s %s", doc.ID, doc.DocNo, doc.Title), 1000))
	})
	if err != nil {
		return fmt.Errorf("withdraw document %d of case %d: %w", docID, caseID, err)
	}
	return nil
}
