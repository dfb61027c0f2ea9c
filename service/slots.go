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

// Reading-room periods (上午/下午).
const (
	PeriodAM = "am"
	PeriodPM = "pm"
)

// officeHours are the default opening hours of each period; they are also
// the working hours a meeting request's preferred times must fall in.
var officeHours = map[string][2]string{
	PeriodAM: {"09:00", "12:00"},
	PeriodPM: {"14:00", "17:00"},
}

// Limits of the slot calendar.
const (
	maxSlotCapacity  = 200
	maxBulkSlotDays  = 92 // one bulk creation covers at most a quarter
	maxSlotQueryDays = 92 // a slot listing covers at most a quarter
	defaultSlotDays  = 14 // a lawyer's default view: the next two weeks
	clockLayout      = "15:04"
)

var errSlotExists = model.NewError(model.KindConflict, "slot_exists", "该阅览室在该时段已有排期")

// SlotInput is one reading-room slot to create. StartTime and EndTime
// ("HH:MM") are optional and default to the period's office hours.
type SlotInput struct {
	Date      string `json:"date"`
	Period    string `json:"period"`
	RoomID    uint64 `json:"room_id"`
	Capacity  int    `json:"capacity"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
}

// SlotRangeInput creates the same slots on every working day from From to
// To (inclusive): holidays are skipped, make-up working days included.
type SlotRangeInput struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Periods  []string `json:"periods"` // default both
	RoomID   uint64   `json:"room_id"`
	Capacity int      `json:"capacity"`
}

// SlotBatch is the result of a bulk creation.
type SlotBatch struct {
	Items []StaffSlot `json:"items"`
	// Existing counts the slots that were already defined and kept as they were.
	Existing int `json:"existing"`
	// SkippedDays lists the non-working days of the range.
	SkippedDays []string `json:"skipped_days"`
}

// SlotTime is when and where a slot is.
type SlotTime struct {
	Date      string  `json:"date"`
	Period    string  `json:"period"`
	Room      RoomRef `json:"room"`
	StartTime string  `json:"start_time"`
	EndTime   string  `json:"end_time"`
}

func slotTime(sl model.ReviewSlot, room RoomRef) SlotTime {
	return SlotTime{Date: sl.Date, Period: sl.Period, Room: room, StartTime: sl.StartTime, EndTime: sl.EndTime}
}

// StaffSlot is a slot as the staff calendar shows it, with its room.
type StaffSlot struct {
	model.ReviewSlot
	Room RoomRef `json:"room"`
}

// slotRooms names the rooms of slots, by room id.
func slotRooms(db *gorm.DB, slots []model.ReviewSlot) (map[uint64]RoomRef, error) {
	ids := make([]uint64, len(slots))
	for i, sl := range slots {
		ids[i] = sl.RoomID
	}
	return roomRefs(db, ids)
}

// staffSlots names the rooms of slots (a viewsOf: slots are staff's only).
func staffSlots(db *gorm.DB, slots []model.ReviewSlot, _ bool) ([]StaffSlot, error) {
	refs, err := slotRooms(db, slots)
	if err != nil {
		return nil, err
	}
	out := make([]StaffSlot, len(slots))
	for i, sl := range slots {
		out[i] = StaffSlot{ReviewSlot: sl, Room: refs[sl.RoomID]}
	}
	return out, nil
}

// slotRoom checks that a new slot's room is one of the actor's scope.
func slotRoom(db *gorm.DB, a Actor, fe model.FieldErrors, roomID uint64) (RoomRef, error) {
	if roomID == 0 {
		fe.Add("room_id", "请选择阅卷室")
		return RoomRef{}, nil
	}
	if _, err := roomInScope(db, a, roomID); errors.Is(err, model.ErrNotFound) {
		fe.Add("room_id", "阅卷室不存在")
		return RoomRef{}, nil
	} else if err != nil {
		return RoomRef{}, err
	}
	return roomRef(db, roomID)
}

// SlotView is a slot as a lawyer sees it: when, where, and how many places remain.
type SlotView struct {
	ID uint64 `json:"id"`
	SlotTime
	Capacity  int `json:"capacity"`
	Remaining int `json:"remaining"`
	// CancelBy is the slot's cancel cut-off; once it has passed (Cancellable
	// false) a booking is still accepted, but once confirmed the lawyer
	// can no longer cancel it (不可取消, see docs/design.md).
	CancelBy    time.Time `json:"cancel_by"`
	Cancellable bool      `json:"cancellable"`
}

// CreateSlot defines one reading-room slot.
func (s *Service) CreateSlot(ctx context.Context, a Actor, in SlotInput) (StaffSlot, error) {
	var slot StaffSlot
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if slot, err = s.newSlot(tx, a, in); err != nil {
			return err
		}
		if err := tx.Create(&slot.ReviewSlot).Error; err != nil {
			if model.IsDuplicate(err) {
				return errSlotExists
			}
			return err
		}
		return s.audit(tx, a, "slot.create", fmt.Sprintf("slot:%d", slot.ID),
			fmt.Sprintf("%s %s %s，名额 %d", slot.Date, PeriodLabels[slot.Period], slot.Room.Name, slot.Capacity))
	})
	if err != nil {
		return StaffSlot{}, fmt.Errorf("create slot %s %s: %w", in.Date, in.Period, err)
	}
	return slot, nil
}

// CreateSlots defines slots on every working day of a date range. Slots that
// already exist are left untouched, so re-running a range is harmless; on
// today's date, periods already over are left out.
func (s *Service) CreateSlots(ctx context.Context, a Actor, in SlotRangeInput) (SlotBatch, error) {
	fe := model.FieldErrors{}
	from, to := s.parseDate(fe, "from", in.From), s.parseDate(fe, "to", in.To)
	if len(fe) == 0 {
		switch {
		case from.Before(s.today()):
			fe.Add("from", "开始日期不能早于今天")
		case to.Before(from):
			fe.Add("to", "结束日期不能早于开始日期")
		case daysBetween(from, to) >= maxBulkSlotDays:
			fe.Add("to", fmt.Sprintf("一次最多创建 %d 天的排期", maxBulkSlotDays))
		}
	}
	periods := in.Periods
	if len(periods) == 0 {
		periods = []string{PeriodAM, PeriodPM}
	}
	for _, p := range periods {
		if _, ok := officeHours[p]; !ok {
			fe.Add("periods", "时段只能是 am（上午）或 pm（下午）")
		}
	}
	room, err := slotRoom(s.db.WithContext(ctx), a, fe, in.RoomID)
	if err != nil {
		return SlotBatch{}, fmt.Errorf("create slots %s..%s: %w", in.From, in.To, err)
	}
	if len(fe) > 0 {
		return SlotBatch{}, fe.Err()
	}
	periods = slices.Compact(slices.Sorted(slices.Values(periods)))
	var batch SlotBatch
	var slots []model.ReviewSlot
	now := s.Now()
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if !s.opt.Calendar.IsWorkingDay(d) {
			batch.SkippedDays = append(batch.SkippedDays, d.Format(model.DateLayout))
			continue
		}
		for _, p := range periods {
			slot := slotFields(fe, SlotInput{Date: d.Format(model.DateLayout), Period: p, RoomID: in.RoomID, Capacity: in.Capacity})
			if len(fe) > 0 {
				return SlotBatch{}, fe.Err()
			}
			if s.localClock(d, slot.EndTime).After(now) {
				slots = append(slots, slot)
			}
		}
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		batch.Items, batch.Existing = nil, 0
		for _, slot := range slots {
			// Each row under its own savepoint: an existing slot fails its
			// insert alone. (An insert that skips conflicts cannot say
			// whether it inserted: MariaDB's RETURNING reports the old row.)
			err := tx.Transaction(func(sp *gorm.DB) error { return sp.Create(&slot).Error })
			switch {
			case model.IsDuplicate(err):
				batch.Existing++
			case err != nil:
				return err
			default:
				batch.Items = append(batch.Items, StaffSlot{ReviewSlot: slot, Room: room})
			}
		}
		return s.audit(tx, a, "slot.create_range", fmt.Sprintf("room:%d", room.ID),
			fmt.Sprintf("%s 至 %s %s %s，名额 %d：新增 %d 个时段，%d 个已存在", in.From, in.To, room.Name, periodNames(periods), in.Capacity, len(batch.Items), batch.Existing))
	})
	if err != nil {
		return SlotBatch{}, fmt.Errorf("create slots %s..%s: %w", in.From, in.To, err)
	}
	return batch, nil
}

// newSlot validates a single slot definition, which must not be over yet,
// in a room of the actor's scope.
func (s *Service) newSlot(db *gorm.DB, a Actor, in SlotInput) (StaffSlot, error) {
	fe := model.FieldErrors{}
	day := s.parseDate(fe, "date", in.Date)
	slot := slotFields(fe, in)
	if len(fe) == 0 && !s.localClock(day, slot.EndTime).After(s.Now()) {
		fe.Add("date", "不能为已经过去的时段排期")
	}
	room, err := slotRoom(db, a, fe, in.RoomID)
	if err != nil {
		return StaffSlot{}, err
	}
	if err := fe.Err(); err != nil {
		return StaffSlot{}, err
	}
	return StaffSlot{ReviewSlot: slot, Room: room}, nil
}

// slotFields checks the period, capacity and hours of a slot (the date and
// room are the caller's to check) and builds the row.
func slotFields(fe model.FieldErrors, in SlotInput) model.ReviewSlot {
	hours, ok := officeHours[in.Period]
	if !ok {
		fe.Add("period", "时段只能是 am（上午）或 pm（下午）")
	}
	if in.Capacity < 1 || in.Capacity > maxSlotCapacity {
		fe.Add("capacity", fmt.Sprintf("名额须在 1 到 %d 之间", maxSlotCapacity))
	}
	start, end := in.StartTime, in.EndTime
	if start == "" {
		start = hours[0]
	}
	if end == "" {
		end = hours[1]
	}
	st, err1 := time.Parse(clockLayout, start)
	et, err2 := time.Parse(clockLayout, end)
	switch {
	case err1 != nil:
		fe.Add("start_time", "开始时间格式应为 HH:MM")
	case err2 != nil:
		fe.Add("end_time", "结束时间格式应为 HH:MM")
	case !st.Before(et):
		fe.Add("end_time", "结束时间须晚于开始时间")
	default:
		start, end = st.Format(clockLayout), et.Format(clockLayout) // "9:00" → "09:00"
	}
	return model.ReviewSlot{Date: in.Date, Period: in.Period, RoomID: in.RoomID, StartTime: start, EndTime: end,
		Capacity: in.Capacity}
}

// CloseSlot stops new bookings of a slot; bookings already made stand. A
// slot of a room outside the actor's scope is not found.
func (s *Service) CloseSlot(ctx context.Context, a Actor, id uint64) (StaffSlot, error) {
	var slot model.ReviewSlot
	var room RoomRef
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Select("room_id").Take(&slot, id).Error; err != nil {
			return notFoundIf(err)
		}
		if _, err := roomInScope(tx, a, slot.RoomID); err != nil {
			return err
		}
		var err error
		if room, err = roomRef(tx, slot.RoomID); err != nil {
			return err
		}
		res := tx.Model(&model.ReviewSlot{}).Where("id = ? AND closed = ?", id, false).Update("closed", true)
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Take(&slot, id).Error; err != nil {
			return notFoundIf(err)
		}
		if res.RowsAffected == 0 {
			return nil // already closed: closing is idempotent
		}
		return s.audit(tx, a, "slot.close", fmt.Sprintf("slot:%d", id), "")
	})
	if err != nil {
		return StaffSlot{}, fmt.Errorf("close slot %d: %w", id, err)
	}
	return StaffSlot{ReviewSlot: slot, Room: room}, nil
}

// StaffSlots lists the slots of the actor's scope in a date range
// (default: the next 30 days).
func (s *Service) StaffSlots(ctx context.Context, a Actor, from, to string, p Paging) (Page[StaffSlot], error) {
	first, last, err := s.dateRange(from, to, 30)
	if err != nil {
		return Page[StaffSlot]{}, err
	}
	db := s.db.WithContext(ctx)
	q := db.Model(&model.ReviewSlot{}).Where("date BETWEEN ? AND ?", first, last)
	if !a.Scope.unlimited() {
		q = q.Where("room_id IN (?)", db.Model(&model.Room{}).Select("id").Where("unit_id IN ?", a.Scope.UnitIDs))
	}
	return pageRows(db, q, p, "date, period, room_id", staffSlots, fmt.Sprintf("slots %s..%s", first, last))
}

// CaseSlots lists the open, future slots a lawyer can book for a case, with
// the places left. Only a lawyer with an approved binding of the case sees
// them; anyone else gets the same not-found as for a missing case.
func (s *Service) CaseSlots(ctx context.Context, userID, caseID uint64, from, to string) ([]SlotView, error) {
	first, last, err := s.dateRange(from, to, defaultSlotDays)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	if _, err := approvedLawyerBinding(db, userID, caseID); err != nil {
		return nil, fmt.Errorf("slots of case %d: %w", caseID, err)
	}
	unit, err := caseUnit(db, caseID)
	if err != nil {
		return nil, fmt.Errorf("slots of case %d: %w", caseID, err)
	}
	var slots []model.ReviewSlot
	err = db.Where("date BETWEEN ? AND ? AND closed = ?", first, last, false).
		Where("room_id IN (?)", db.Model(&model.Room{}).Select("id").Where("unit_id = ?", unit.ID)).
		Order("date, period, room_id").Find(&slots).Error
	if err != nil {
		return nil, fmt.Errorf("slots of case %d: %w", caseID, err)
	}
	rooms, err := slotRooms(db, slots)
	if err != nil {
		return nil, fmt.Errorf("slots of case %d: %w", caseID, err)
	}
	now := s.Now()
	views := make([]SlotView, 0, len(slots))
	for _, sl := range slots {
		if !s.slotStart(sl).After(now) {
			continue
		}
		by := s.cancelBy(sl)
		views = append(views, SlotView{ID: sl.ID, SlotTime: slotTime(sl, rooms[sl.RoomID]), Capacity: sl.Capacity,
			Remaining: max(sl.Capacity-sl.Booked, 0), CancelBy: by, Cancellable: now.Before(by)})
	}
	return views, nil
}

// approvedLawyerBinding returns the user's approved lawyer binding of the
// case, or model.ErrNotFound: the same answer as for a case that does not
// exist, so nobody learns which case ids are real.
func approvedLawyerBinding(db *gorm.DB, userID, caseID uint64) (model.Binding, error) {
	var b model.Binding
	err := db.Where("user_id = ? AND case_id = ? AND role = ? AND status = ?",
		userID, caseID, model.RoleLawyer, model.StatusApproved).Take(&b).Error
	return b, notFoundIf(err)
}

// slotStart is when a slot opens, in absolute time.
func (s *Service) slotStart(sl model.ReviewSlot) time.Time {
	day, err := time.ParseInLocation(model.DateLayout, sl.Date, s.opt.Location)
	if err != nil { // dates are validated on the way in; an unreadable one is never bookable
		return time.Time{}
	}
	return s.localClock(day, sl.StartTime)
}

// localClock is the instant of clock "HH:MM" on day's date in the office time zone.
func (s *Service) localClock(day time.Time, clock string) time.Time {
	c, err := time.Parse(clockLayout, clock)
	if err != nil {
		return time.Time{}
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, c.Hour(), c.Minute(), 0, 0, s.opt.Location)
}

// today is the office's current date, at midnight in the office time zone.
func (s *Service) today() time.Time {
	y, m, d := s.Now().In(s.opt.Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.opt.Location)
}

// parseDate reads a YYYY-MM-DD field as a date in the office time zone.
func (s *Service) parseDate(fe model.FieldErrors, field, v string) time.Time {
	d, err := time.ParseInLocation(model.DateLayout, v, s.opt.Location)
	if err != nil {
		fe.Add(field, "日期格式应为 YYYY-MM-DD")
	} else {
		s.CheckDate(fe, field, d)
	}
	return d
}

// dateRange reads an optional from/to query pair: from defaults to today,
// to to defaultDays later; at most maxSlotQueryDays apart.
func (s *Service) dateRange(from, to string, defaultDays int) (string, string, error) {
	fe := model.FieldErrors{}
	first := s.today()
	if from != "" {
		first = s.parseDate(fe, "from", from)
	}
	last := first.AddDate(0, 0, defaultDays)
	if to != "" {
		last = s.parseDate(fe, "to", to)
	}
	if len(fe) == 0 {
		switch {
		case last.Before(first):
			fe.Add("to", "结束日期不能早于开始日期")
		case daysBetween(first, last) > maxSlotQueryDays:
			fe.Add("to", fmt.Sprintf("一次最多查询 %d 天", maxSlotQueryDays))
		}
	}
	if err := fe.Err(); err != nil {
		return "", "", err
	}
	return first.Format(model.DateLayout), last.Format(model.DateLayout), nil
}

// daysBetween counts calendar days from a to b (both midnights in one zone).
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// periodNames are the periods in words: "上午、下午".
func periodNames(periods []string) string {
	names := make([]string, len(periods))
	for i, p := range periods {
		names[i] = PeriodLabels[p]
	}
	return strings.Join(names, "、")
}

// withinOfficeHours reports whether t falls on a working day inside one of
// the periods' office hours.
func (s *Service) withinOfficeHours(t time.Time) bool {
	local := t.In(s.opt.Location)
	if !s.opt.Calendar.IsWorkingDay(local) {
		return false
	}
	for _, h := range officeHours {
		if !local.Before(s.localClock(local, h[0])) && local.Before(s.localClock(local, h[1])) {
			return true
		}
	}
	return false
}
