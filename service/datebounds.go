package service

import (
	"time"

	"zsjc/model"
)

// Every date the system stores or filters by lies between 1949-10-01 in
// the office time zone (no case of the People's Republic predates it) and
// DateHorizonYears from now; a case event is not dated more than EventLead
// ahead. Outside the bounds the database cannot always store the value
// (MySQL DATETIME ends with year 9999), and no real record is there.
const (
	DateHorizonYears = 10
	EventLead        = 24 * time.Hour
)

func (s *Service) earliestDate() time.Time { return time.Date(1949, 10, 1, 0, 0, 0, 0, s.opt.Location) }

// checkDateBounds adds a field error (422) when t lies outside
// [1949-10-01, latest] and reports whether it is within.
func (s *Service) checkDateBounds(fe model.FieldErrors, field string, t, latest time.Time) bool {
	earliest := s.earliestDate()
	if !t.Before(earliest) && !t.After(latest) {
		return true
	}
	fe.Add(field, "须在 "+earliest.Format(model.DateLayout)+" 至 "+latest.In(s.opt.Location).Format("2006-01-02 15:04")+" 之间")
	return false
}

// CheckDate bounds a date or time to [1949-10-01, now + DateHorizonYears].
func (s *Service) CheckDate(fe model.FieldErrors, field string, t time.Time) bool {
	return s.checkDateBounds(fe, field, t, s.Now().AddDate(DateHorizonYears, 0, 0))
}

// checkEventTime bounds an event's time to [1949-10-01, now + EventLead].
func (s *Service) checkEventTime(fe model.FieldErrors, field string, t time.Time) bool {
	return s.checkDateBounds(fe, field, t, s.Now().Add(EventLead))
}
