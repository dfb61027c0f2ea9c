package model

import "time"

// DateLayout is how dates travel in JSON and are stored for slots.
const DateLayout = "2006-01-02"

// Calendar knows the office's working days: Monday to Friday, minus
// holidays, plus make-up working days (调休).
type Calendar struct {
	holidays map[string]bool
	makeup   map[string]bool
}

// NewCalendar builds a calendar from YYYY-MM-DD lists.
func NewCalendar(holidays, makeupDays []string) Calendar {
	c := Calendar{holidays: map[string]bool{}, makeup: map[string]bool{}}
	for _, d := range holidays {
		c.holidays[d] = true
	}
	for _, d := range makeupDays {
		c.makeup[d] = true
	}
	return c
}

// IsWorkingDay reports whether the calendar date of t (in t's location) is
// a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool {
	d := t.Format(DateLayout)
	if c.makeup[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns t moved forward by n working days, keeping the
// time of day: a request made on Friday 10:00 with n=3 is due Wednesday 10:00.
func (c Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if c.IsWorkingDay(t) {
			n--
		}
	}
	return t
}
