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

// ReviewCopyMethods are the ways a lawyer can take the file away (复制方式);
// the first is the default.
var ReviewCopyMethods = []string{"查阅摘抄", "复印", "电子拷贝"}

// Errors of file-review booking.
var (
	ErrSlotFull         = model.NewError(model.KindConflict, "slot_full", "该时段已约满")
	errSlotClosed       = model.NewError(model.KindConflict, "slot_closed", "该时段已停止预约，请选择其他时段")
	errSlotPast         = model.NewError(model.KindConflict, "slot_past", "该时段已开始或已结束，不能预约")
	errReviewLive       = model.NewError(model.KindConflict, "review_exists", "您在该案件已有进行中的阅卷预约")
	errSlotClash        = model.NewError(model.KindConflict, "slot_clash", "您在该时段已预约了其他案件的阅卷，请选择其他时段")
	errReviewNotStarted = model.NewError(model.KindConflict, "review_not_started", "阅卷时段尚未开始，不能登记阅卷结果")
)

// reviewWhat names a booking in state-conflict messages; reviewItem names
// it in pushes.
const (
	reviewWhat = "阅卷预约"
	reviewItem = "预约阅卷"
)

// ReviewInput is a lawyer's booking request.
type ReviewInput struct {
	CaseID     uint64 `json:"case_id"`
	SlotID     uint64 `json:"slot_id"`
	CopyMethod string `json:"copy_method"`
	Note       string `json:"note"`
}

// ReviewView is a booking with its slot and case, as the lawyer's and the
// staff's lists show it.
type ReviewView struct {
	requestFields
	SlotID      uint64   `json:"slot_id"`
	CopyMethod  string   `json:"copy_method"`
	StatusLabel string   `json:"status_label"`
	Slot        SlotTime `json:"slot"`
	CaseNo      string   `json:"case_no"`
	CaseName    string   `json:"case_name"`
	// CancelBy is until when the lawyer may still cancel a confirmed
	// booking (live bookings only).
	CancelBy *time.Time `json:"cancel_by,omitempty"`
	// Cancellable says whether the lawyer may cancel now (a pending request
	// always may be withdrawn); when not, CancelNote says why.
	Cancellable bool   `json:"cancellable"`
	CancelNote  string `json:"cancel_note,omitempty"`
	// Lawyer is who booked (staff views only).
	Lawyer *LawyerInfo `json:"lawyer,omitempty"`
	ReplyStatus
}

// BookReview books a place in a reading-room slot for a case the user is an
// approved lawyer of. The place is taken by a conditional UPDATE in the same
// transaction as the booking row, so no interleaving of requests on any
// engine can book more places than the slot has.
func (s *Service) BookReview(ctx context.Context, userID uint64, in ReviewInput) (ReviewView, error) {
	fe := model.FieldErrors{}
	if in.CaseID == 0 {
		fe.Add("case_id", "请选择案件")
	}
	if in.SlotID == 0 {
		fe.Add("slot_id", "请选择阅卷时段")
	}
	method := strings.TrimSpace(in.CopyMethod)
	if method == "" {
		method = ReviewCopyMethods[0]
	}
	if !slices.Contains(ReviewCopyMethods, method) {
		fe.Add("copy_method", "复制方式只能是："+strings.Join(ReviewCopyMethods, "、"))
	}
	checkText(fe, "note", in.Note, maxNoteLength)
	if err := fe.Err(); err != nil {
		return ReviewView{}, err
	}
	var booking model.ReviewBooking
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.checkLiveReviews(tx, userID); err != nil {
			return err
		}
		binding, slot, err := s.bookableSlot(tx, userID, in)
		if err != nil {
			return err
		}
		booking = model.ReviewBooking{
			BindingID: binding.ID, UserID: userID, CaseID: in.CaseID, UnitID: binding.UnitID, SlotID: in.SlotID,
			Status: model.StatusPending, CopyMethod: method, Note: strings.TrimSpace(in.Note),
			LiveKey: model.LiveKey(userID, in.CaseID), SlotKey: model.LiveKey(userID, in.SlotID),
			ReplyBy: s.replyBy(s.slotStart(slot)),
		}
		// The booking row goes in before the slot row is locked: every
		// transaction touching both (book, cancel, reject) locks the booking
		// first and the slot second, so they cannot deadlock each other, and
		// the slot's lock is held only for the UPDATE and the commit.
		if err := tx.Create(&booking).Error; err != nil {
			return err
		}
		res := tx.Model(&model.ReviewSlot{}).
			Where("id = ? AND booked < capacity AND closed = ?", in.SlotID, false).
			Updates(map[string]any{"booked": gorm.Expr("booked + 1")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var slot model.ReviewSlot
			if err := tx.Select("closed").Take(&slot, in.SlotID).Error; err == nil && slot.Closed {
				return errSlotClosed
			}
			return ErrSlotFull
		}
		return nil
	})
	if model.IsDuplicate(err) {
		// Another request of the same lawyer won the unique key meanwhile;
		// say which rule it broke.
		if err = bookingClash(s.db.WithContext(ctx), userID, in.CaseID, in.SlotID); err == nil {
			err = errReviewLive
		}
	}
	if err != nil {
		return ReviewView{}, fmt.Errorf("book review of case %d in slot %d: %w", in.CaseID, in.SlotID, err)
	}
	return s.reviewView(ctx, booking.ID, false)
}

// bookableSlot checks, inside the booking's transaction tx, that the user
// holds an approved lawyer binding to the case (and locks it), that the
// slot is open, in the future and not seen full, and that no live booking
// of the user clashes. It returns the binding and the slot.
//
// When a popular slot opens, most requests arrive after it filled; seeing
// that in the plain read of the slot refuses them before they queue for
// the slot row's lock. The conditional UPDATE stays the authority on the
// last places.
func (s *Service) bookableSlot(tx *gorm.DB, userID uint64, in ReviewInput) (model.Binding, model.ReviewSlot, error) {
	var slot model.ReviewSlot
	binding, err := approvedLawyerBinding(lockForUpdate(tx), userID, in.CaseID)
	if err != nil {
		return binding, slot, err
	}
	if err := tx.Take(&slot, in.SlotID).Error; err != nil {
		return binding, slot, notFoundIf(err)
	}
	switch {
	case slot.Closed:
		return binding, slot, errSlotClosed
	case !s.slotStart(slot).After(s.Now()):
		return binding, slot, errSlotPast
	}
	if err := bookingClash(tx, userID, in.CaseID, in.SlotID); err != nil {
		return binding, slot, err
	}
	if slot.Booked >= slot.Capacity {
		return binding, slot, ErrSlotFull
	}
	return binding, slot, nil
}

// bookingClash refuses a second live booking of the same lawyer and case,
// and a second booking of the same lawyer in one slot (排期避让). The unique
// LiveKey/SlotKey columns enforce the same under concurrency; this check
// gives the precise message.
func bookingClash(db *gorm.DB, userID, caseID, slotID uint64) error {
	var live []model.ReviewBooking
	err := db.Select("live_key").Where("live_key = ? OR slot_key = ?",
		*model.LiveKey(userID, caseID), *model.LiveKey(userID, slotID)).Limit(2).Find(&live).Error
	if err != nil {
		return err
	}
	for _, b := range live {
		if b.LiveKey != nil && *b.LiveKey == *model.LiveKey(userID, caseID) {
			return errReviewLive
		}
	}
	if len(live) > 0 {
		return errSlotClash
	}
	return nil
}

// CancelReview is the lawyer cancelling a booking; it frees the place. A
// pending request can always be withdrawn; a confirmed booking only up to
// the cut-off (by default 17:00 the day before).
func (s *Service) CancelReview(ctx context.Context, userID, id uint64) (ReviewView, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		b, slot, err := loadBooking(tx, id, userID)
		if err != nil {
			return err
		}
		if !model.ReviewMachine.Can(b.Status, model.StatusCancelled) {
			return model.StateConflict(reviewWhat, b.Status)
		}
		if b.Status == model.StatusConfirmed && !s.Now().Before(s.cancelBy(slot)) {
			return s.errCancelCutoff()
		}
		err = reviewKind.transition(tx, id, userID, model.StatusCancelled, reviewKind.ended())
		if err != nil {
			return err
		}
		return s.releasePlace(tx, slot.ID)
	})
	if err != nil {
		return ReviewView{}, fmt.Errorf("cancel review %d: %w", id, err)
	}
	return s.reviewView(ctx, id, false)
}

// errCancelCutoff says until when a review could have been cancelled.
func (s *Service) errCancelCutoff() *model.Error {
	return model.NewError(model.KindConflict, "cancel_cutoff", s.cancelCutoffNote())
}

// cancelCutoffNote tells a lawyer why a confirmed booking can no longer be
// cancelled, and whom to ask instead.
func (s *Service) cancelCutoffNote() string {
	return fmt.Sprintf("已过取消截止时间（阅卷前一日 %02d:%02d），不能自行取消；如需变更请联系案件管理部门",
		s.opt.ReviewCancelCutoff/60, s.opt.ReviewCancelCutoff%60)
}

// cancelBy is the cancel cut-off of a slot: the day before, at the
// configured time of day.
func (s *Service) cancelBy(slot model.ReviewSlot) time.Time {
	y, m, d := s.slotStart(slot).In(s.opt.Location).AddDate(0, 0, -1).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.opt.Location).Add(time.Duration(s.opt.ReviewCancelCutoff) * time.Minute)
}

// releasePlace gives a booking's place back to its slot. The guard keeps
// the count from going negative; a miss means the count was already off,
// which is logged rather than blocking the lawyer or staff.
func (s *Service) releasePlace(tx *gorm.DB, slotID uint64) error {
	res := tx.Model(&model.ReviewSlot{}).Where("id = ? AND booked > 0", slotID).
		Updates(map[string]any{"booked": gorm.Expr("booked - 1")})
	if res.Error != nil {
		return fmt.Errorf("release place of slot %d: %w", slotID, res.Error)
	}
	if res.RowsAffected == 0 {
		s.log.Error("slot booked count already zero on release", "slot_id", slotID)
	}
	return nil
}

// loadBooking locks a booking (owner 0: anyone's) and reads it and its slot.
func loadBooking(tx *gorm.DB, id, owner uint64) (model.ReviewBooking, model.ReviewSlot, error) {
	if _, err := lockStatus(tx, &model.ReviewBooking{}, id, owner); err != nil {
		return model.ReviewBooking{}, model.ReviewSlot{}, err
	}
	var b model.ReviewBooking
	if err := tx.Take(&b, id).Error; err != nil {
		return b, model.ReviewSlot{}, err
	}
	var slot model.ReviewSlot
	if err := tx.Take(&slot, b.SlotID).Error; err != nil {
		return b, slot, fmt.Errorf("slot %d of review %d: %w", b.SlotID, id, err)
	}
	return b, slot, nil
}

// ConfirmReview is staff accepting a pending booking.
func (s *Service) ConfirmReview(ctx context.Context, a Actor, id uint64) (ReviewView, error) {
	return s.decideReview(ctx, a, id, model.StatusConfirmed, "")
}

// RejectReview is staff refusing a pending booking, with a reason; it frees
// the place.
func (s *Service) RejectReview(ctx context.Context, a Actor, id uint64, reason string) (ReviewView, error) {
	if err := requiredReason(reason); err != nil {
		return ReviewView{}, err
	}
	return s.decideReview(ctx, a, id, model.StatusRejected, strings.TrimSpace(reason))
}

// CompleteReview records that the lawyer came and read the file.
func (s *Service) CompleteReview(ctx context.Context, a Actor, id uint64) (ReviewView, error) {
	return s.decideReview(ctx, a, id, model.StatusCompleted, "")
}

// NoShowReview records that the lawyer did not come.
func (s *Service) NoShowReview(ctx context.Context, a Actor, id uint64) (ReviewView, error) {
	return s.decideReview(ctx, a, id, model.StatusNoShow, "")
}

// decideReview runs one staff decision: a guarded transition, the place
// freed on rejection, an audit row and a push to the lawyer, in one
// transaction.
func (s *Service) decideReview(ctx context.Context, a Actor, id uint64, to model.Status, reason string) (ReviewView, error) {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockInScope(tx, &model.ReviewBooking{}, id, a); err != nil {
			return err
		}
		b, slot, err := loadBooking(tx, id, 0)
		if err != nil {
			return err
		}
		if !model.ReviewMachine.Can(b.Status, to) {
			return model.StateConflict(reviewWhat, b.Status)
		}
		start, now := s.slotStart(slot), s.Now()
		set := map[string]any{}
		switch to {
		case model.StatusConfirmed:
			if !start.After(now) {
				return errSlotPast
			}
			set = s.decided(a)
			s.reminderMarker(set, start)
		case model.StatusRejected:
			set = s.decided(a)
			set["reason"], set["live_key"], set["slot_key"] = reason, nil, nil
		case model.StatusCompleted, model.StatusNoShow:
			if now.Before(start) {
				return errReviewNotStarted
			}
			set["live_key"], set["slot_key"] = nil, nil
		}
		if err := reviewKind.transition(tx, id, 0, to, set); err != nil {
			return err
		}
		if to == model.StatusRejected {
			if err := s.releasePlace(tx, slot.ID); err != nil {
				return err
			}
		}
		target := fmt.Sprintf("review:%d", id)
		if err := s.audit(tx, a, "review."+string(to), target, reason); err != nil {
			return err
		}
		c, err := caseLabel(tx, b.CaseID)
		if err != nil {
			return err
		}
		room, err := roomRef(tx, slot.RoomID)
		if err != nil {
			return err
		}
		err = s.lawyerPush(tx, b.UserID, Push{
			Kind: model.PushReviewResult, UnitID: b.UnitID, Cause: target + ":" + string(to), Path: "/h5/reviews",
			Data: map[string]string{"case_no": c.CaseNo, "case_name": c.Name, "item": reviewItem, "result": to.Label(),
				"time": s.localTimeLabel(start), "place": room.Name, "reason": reason},
		})
		if err != nil {
			return err
		}
		return s.inviteRating(tx, reviewOwned, id, b.UserID, b.UnitID, to, c.Name)
	})
	if err != nil {
		return ReviewView{}, fmt.Errorf("%s review %d: %w", to, id, err)
	}
	return s.reviewView(ctx, id, true)
}

// MyReviews lists the user's bookings, newest first.
func (s *Service) MyReviews(ctx context.Context, userID uint64) ([]ReviewView, error) {
	db := s.db.WithContext(ctx)
	return listRows(db, db.Where("user_id = ?", userID).Order("id DESC"), s.reviewViews, false,
		fmt.Sprintf("reviews of user %d", userID))
}

// StaffReviews is the staff queue: bookings of a status and/or slot date,
// the most urgent reply deadline first. It shows the lawyers' profiles, so
// each read is audited.
func (s *Service) StaffReviews(ctx context.Context, a Actor, status, date string, p Paging) (Page[ReviewView], error) {
	fe := model.FieldErrors{}
	if status != "" && !isMachineStatus(model.ReviewMachine, model.Status(status)) {
		fe.Add("status", "未知的预约状态")
	}
	if date != "" {
		s.parseDate(fe, "date", date)
	}
	if err := fe.Err(); err != nil {
		return Page[ReviewView]{}, err
	}
	if err := s.Audit(ctx, a, "review.list", "reviews", "status="+status+" date="+date); err != nil {
		return Page[ReviewView]{}, err
	}
	db := s.db.WithContext(ctx)
	q := a.Scope.where(db.Model(&model.ReviewBooking{}), "unit_id")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if date != "" {
		q = q.Where("slot_id IN (?)", db.Model(&model.ReviewSlot{}).Select("id").Where("date = ?", date))
	}
	return pageRows(db, q, p, "reply_by, id", s.reviewViews, "review queue")
}

// isMachineStatus reports whether st is a state of m.
func isMachineStatus(m model.Machine, st model.Status) bool {
	_, from := m[st]
	return from || len(m.Sources(st)) > 0
}

func (s *Service) reviewView(ctx context.Context, id uint64, staff bool) (ReviewView, error) {
	return viewOne(s.db.WithContext(ctx), id, s.reviewViews, staff, "review")
}

// reviewViews decorates bookings with their slots and cases (and, for
// staff, lawyers and reply deadlines).
func (s *Service) reviewViews(db *gorm.DB, rows []model.ReviewBooking, staff bool) ([]ReviewView, error) {
	slotIDs, caseIDs, userIDs := make([]uint64, len(rows)), make([]uint64, len(rows)), make([]uint64, 0, len(rows))
	for i, b := range rows {
		slotIDs[i], caseIDs[i] = b.SlotID, b.CaseID
		if staff {
			userIDs = append(userIDs, b.UserID)
		}
	}
	slots := map[uint64]model.ReviewSlot{}
	var rooms map[uint64]RoomRef
	if len(rows) > 0 {
		var list []model.ReviewSlot
		if err := db.Where("id IN ?", uniq(slotIDs)).Find(&list).Error; err != nil {
			return nil, fmt.Errorf("load slots: %w", err)
		}
		for _, sl := range list {
			slots[sl.ID] = sl
		}
		var err error
		if rooms, err = slotRooms(db, list); err != nil {
			return nil, err
		}
	}
	parties, err := loadRequestParties(db, caseIDs, userIDs)
	if err != nil {
		return nil, err
	}
	views := make([]ReviewView, len(rows))
	for i, b := range rows {
		slot := slots[b.SlotID]
		c := parties.cases[b.CaseID]
		v := ReviewView{requestFields: requestFields{ID: b.ID, BindingID: b.BindingID, CaseID: b.CaseID, Status: b.Status,
			Note: b.Note, ReplyBy: b.ReplyBy, Reason: b.Reason, DecidedAt: b.DecidedAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt},
			SlotID: b.SlotID, CopyMethod: b.CopyMethod, StatusLabel: b.Status.Label(), Slot: slotTime(slot, rooms[slot.RoomID]),
			CaseNo: c.CaseNo, CaseName: c.Name, ReplyStatus: s.replyStatus(b.Status, b.ReplyBy)}
		if b.Status.Live() {
			by := s.cancelBy(slot)
			v.CancelBy = &by
			v.Cancellable = b.Status == model.StatusPending || s.Now().Before(by)
			if !v.Cancellable {
				v.CancelNote = s.cancelCutoffNote()
			}
		}
		if staff {
			v.Lawyer = parties.lawyer(b.UserID)
		}
		views[i] = v
	}
	return views, nil
}
