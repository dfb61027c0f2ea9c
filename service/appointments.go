package service

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// Pieces shared by file reviews and meeting requests: guarded transitions,
// reply deadlines (件件有回复), the people and cases shown in the queues,
// and the pushes to the lawyer.

const (
	maxNoteLength   = 500 // model.ReviewBooking.Note, MeetingRequest.Note
	maxReasonLength = 500 // the Reason columns
	maxQueueRows    = 500 // a queue or list answers at most this many rows
)

// transition moves row id of the table of row (a model pointer) to the
// status to, if the machine allows it from the row's current status; set
// holds the other columns to change in the same UPDATE. owner, when not 0,
// restricts the row to that user's (someone else's row is not found). A
// refused move answers model.StateConflict naming the current state.
//
// The row is locked by primary key first (SELECT … FOR UPDATE) and then
// updated by primary key. A conditional "UPDATE … WHERE id = ? AND status
// IN (…)" is not enough on MariaDB: it plans that statement on the status
// index, locking the index entry before the row, while a concurrent update
// of the same row locks the row first and then needs the index entry — a
// deadlock the concurrent tests hit. On SQLite the one connection already
// serialises transactions, and the lock clause is left out.
func transition(tx *gorm.DB, row any, what string, m model.Machine, id, owner uint64, to model.Status, set map[string]any) error {
	cur, err := lockStatus(tx, row, id, owner)
	if err != nil {
		return err
	}
	if !m.Can(cur.Status, to) {
		return model.StateConflict(what, cur.Status)
	}
	set["status"] = to
	res := tx.Model(row).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("move %d to %s: %d rows updated under lock", id, to, res.RowsAffected)
	}
	return nil
}

// lockedRow is what lockStatus reads of a row with a state machine.
type lockedRow struct {
	Status model.Status
	UserID uint64
}

// lockStatus locks row id by primary key for the rest of the transaction
// and reads its current state; a row of someone other than owner (when not
// 0) is not found.
func lockStatus(tx *gorm.DB, row any, id, owner uint64) (lockedRow, error) {
	var cur lockedRow
	err := tx.Model(row).Clauses(clause.Locking{Strength: "UPDATE"}).
		Select("status", "user_id").Where("id = ?", id).Take(&cur).Error
	if err != nil {
		return cur, notFoundIf(err)
	}
	if owner != 0 && cur.UserID != owner {
		return cur, model.ErrNotFound
	}
	return cur, nil
}

// ReplyStatus is how a request stands against its reply deadline; only
// pending requests have time left or can be overdue.
type ReplyStatus struct {
	// TimeLeftSeconds is negative once overdue; absent when decided.
	TimeLeftSeconds *int64 `json:"time_left_seconds,omitempty"`
	Overdue         bool   `json:"overdue"`
}

func (s *Service) replyStatus(status model.Status, replyBy time.Time) ReplyStatus {
	if status != model.StatusPending {
		return ReplyStatus{}
	}
	left := int64(replyBy.Sub(s.Now()) / time.Second)
	return ReplyStatus{TimeLeftSeconds: &left, Overdue: left < 0}
}

// replyBy is the reply deadline of a request made now for an appointment
// starting at start: the configured number of working days later, at the
// same local time of day, or ReplyLead before the start if that is earlier
// — an answer after the appointment has passed is no answer (件件有回复).
func (s *Service) replyBy(start time.Time) time.Time {
	deadline := s.replyDeadline()
	if before := start.Add(-s.opt.ReplyLead).UTC(); before.Before(deadline) {
		return before
	}
	return deadline
}

// replyDeadline is the working-day reply deadline of a request made now.
func (s *Service) replyDeadline() time.Time {
	return s.opt.Calendar.AddWorkingDays(s.Now().In(s.opt.Location), s.opt.ReplyWorkingDays).UTC()
}

// viewsOf decorates rows of a request table for a list (staff: for the
// staff's queue, with the lawyers).
type viewsOf[T, V any] func(db *gorm.DB, rows []T, staff bool) ([]V, error)

// listRows runs q, a query of a request table, capped at maxQueueRows, and
// decorates the rows; what names the list in errors.
func listRows[T, V any](db, q *gorm.DB, views viewsOf[T, V], staff bool, what string) ([]V, error) {
	var rows []T
	if err := q.Limit(maxQueueRows).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return views(db, rows, staff)
}

// pageRows reads page p of q, a staff query of a request table limited to
// the actor's scope, and decorates the rows for staff.
func pageRows[T, V any](db, q *gorm.DB, p Paging, order string, views viewsOf[T, V], what string) (Page[V], error) {
	page, err := pageOf[T](q, p, order, what)
	if err != nil {
		return Page[V]{}, err
	}
	items, err := views(db, page.Items, true)
	if err != nil {
		return Page[V]{}, err
	}
	return Page[V]{Items: items, Page: page.Page, PageSize: page.PageSize, Total: page.Total}, nil
}

// lockInScope locks row id of a request table (booking, meeting) for a
// staff decision, answering ErrNotFound when it is absent or its unit is
// outside the actor's scope.
func lockInScope(tx *gorm.DB, row any, id uint64, a Actor) error {
	var unitID uint64
	err := tx.Model(row).Clauses(clause.Locking{Strength: "UPDATE"}).Select("unit_id").Where("id = ?", id).Take(&unitID).Error
	if err != nil {
		return notFoundIf(err)
	}
	if !a.Scope.Contains(unitID) {
		return model.ErrNotFound
	}
	return nil
}

// viewOne loads and decorates one row of a request table.
func viewOne[T, V any](db *gorm.DB, id uint64, views viewsOf[T, V], staff bool, what string) (V, error) {
	var row T
	var none V
	if err := db.Take(&row, id).Error; err != nil {
		return none, fmt.Errorf("load %s %d: %w", what, id, notFoundIf(err))
	}
	out, err := views(db, []T{row}, staff)
	if err != nil {
		return none, err
	}
	return out[0], nil
}

// LawyerInfo is who made a request, as the staff queue shows it.
type LawyerInfo struct {
	Name        string `json:"name"`
	Firm        string `json:"firm"`
	LicenseNo   string `json:"license_no"`
	PhoneMasked string `json:"phone_masked"`
}

// requestParties loads the cases and (for staff) the lawyer profiles the
// rows of a list refer to, in two queries.
type requestParties struct {
	cases   map[uint64]model.Case
	lawyers map[uint64]LawyerInfo
}

func loadRequestParties(db *gorm.DB, caseIDs, userIDs []uint64) (requestParties, error) {
	p := requestParties{cases: map[uint64]model.Case{}, lawyers: map[uint64]LawyerInfo{}}
	if len(caseIDs) > 0 {
		var cases []model.Case
		if err := db.Select("id", "case_no", "name").Where("id IN ?", uniq(caseIDs)).Find(&cases).Error; err != nil {
			return p, fmt.Errorf("load cases: %w", err)
		}
		for _, c := range cases {
			p.cases[c.ID] = c
		}
	}
	if len(userIDs) > 0 {
		var profiles []model.LawyerProfile
		if err := db.Where("user_id IN ?", uniq(userIDs)).Find(&profiles).Error; err != nil {
			return p, fmt.Errorf("load lawyer profiles: %w", err)
		}
		for _, lp := range profiles {
			p.lawyers[lp.UserID] = LawyerInfo{Name: lp.Name, Firm: lp.Firm, LicenseNo: lp.LicenseNo, PhoneMasked: lp.PhoneMasked}
		}
	}
	return p, nil
}

// lawyer returns the profile of user, or nil when none is registered.
func (p requestParties) lawyer(user uint64) *LawyerInfo {
	if l, ok := p.lawyers[user]; ok {
		return &l
	}
	return nil
}

func uniq(ids []uint64) []uint64 {
	return slices.Compact(slices.Sorted(slices.Values(ids)))
}

// lawyerPush queues a push to the user behind a request, inside tx. The
// push's recipient is the user's openid; a user without one (never happens
// for H5 users) is skipped rather than failing the staff decision.
func (s *Service) lawyerPush(tx *gorm.DB, userID uint64, p Push) error {
	var u model.WeChatUser
	if err := tx.Select("id", "open_id").Take(&u, userID).Error; err != nil {
		return fmt.Errorf("push %s: recipient %d: %w", p.Cause, userID, err)
	}
	if u.OpenID == "" {
		s.log.Warn("push skipped: user has no openid", "cause", p.Cause, "user_id", userID)
		return nil
	}
	p.OpenID = u.OpenID
	return s.enqueue(tx, p)
}

// caseLabel loads a case's number and name for a push.
func caseLabel(tx *gorm.DB, caseID uint64) (model.Case, error) {
	var c model.Case
	err := tx.Select("id", "case_no", "name").Take(&c, caseID).Error
	return c, notFoundIf(err)
}

// checkText validates an optional free-text field's length.
func checkText(fe model.FieldErrors, field, v string, limit int) {
	if len([]rune(v)) > limit {
		fe.Add(field, fmt.Sprintf("不能超过 %d 个字", limit))
	}
}

// requiredReason validates a rejection reason.
func requiredReason(reason string) error {
	fe := model.FieldErrors{}
	if strings.TrimSpace(reason) == "" {
		fe.Add("reason", "请填写驳回理由")
	}
	checkText(fe, "reason", reason, maxReasonLength)
	return fe.Err()
}

// decided returns the columns recording who decided a request, and when.
func (s *Service) decided(a Actor) map[string]any {
	now := s.Now()
	set := map[string]any{"decided_at": now}
	if a.StaffID != 0 {
		set["decided_by"] = a.StaffID
	}
	return set
}

// reminderDue is when the reminder of an appointment starting at start goes
// out: the calendar day before, at the configured time (default 15:00).
func (s *Service) reminderDue(start time.Time) time.Time {
	minutes := s.opt.ReminderTime
	y, m, d := start.In(s.opt.Location).AddDate(0, 0, -1).Date()
	return time.Date(y, m, d, minutes/60, minutes%60, 0, 0, s.opt.Location)
}

// reminderMarker is the column update made at confirmation: when the
// reminder time has already passed, the confirmation push is the reminder,
// so the reminder is marked as done and never sent.
func (s *Service) reminderMarker(set map[string]any, start time.Time) {
	if !s.Now().Before(s.reminderDue(start)) {
		set["reminded_at"] = s.Now()
	}
}

// localTimeLabel formats an instant for people, in the office time zone.
func (s *Service) localTimeLabel(t time.Time) string {
	return t.In(s.opt.Location).Format("2006-01-02 15:04")
}

// lockForUpdate makes the next read lock its rows for the transaction. A
// booking or meeting request locks its binding this way, so a concurrent
// revocation either waits for it (and then ends it) or wins first (and the
// request is refused): no appointment outlives its binding.
func lockForUpdate(tx *gorm.DB) *gorm.DB {
	return tx.Clauses(clause.Locking{Strength: "UPDATE"})
}

// endAppointments cancels the live requests (of every kind) of a lawyer's
// binding that has just been revoked, giving booked places back. The
// lawyer is told of the revocation itself; no push per request.
func (s *Service) endAppointments(tx *gorm.DB, b model.Binding) error {
	// Only this binding's rows are locked, found by its binding_id index
	// and taken in id order; the status is checked on the locked rows. A
	// lock query that also filtered on status could walk the status index
	// and lock every live request, deadlocking with other revokes and
	// bookings.
	for _, k := range requestKinds {
		var rows []struct {
			ID     uint64
			Status model.Status
		}
		if err := lockForUpdate(tx).Model(k.row()).Select("id", "status").Where("binding_id = ?", b.ID).Order("id").Scan(&rows).Error; err != nil {
			return fmt.Errorf("%ss of binding %d: %w", k.name, b.ID, err)
		}
		for _, r := range rows {
			if !r.Status.Live() {
				continue
			}
			if err := k.end(s, tx, r.ID, "案件绑定已解除"); err != nil {
				return fmt.Errorf("cancel %s %d of revoked binding %d: %w", k.name, r.ID, b.ID, err)
			}
		}
	}
	return nil
}
