package model

import (
	"slices"
	"testing"
	"time"
)

func TestMachines(t *testing.T) {
	cases := []struct {
		name     string
		m        Machine
		from, to Status
		want     bool
	}{
		{"binding approve", BindingMachine, StatusPending, StatusApproved, true},
		{"binding reject", BindingMachine, StatusPending, StatusRejected, true},
		{"binding revoke", BindingMachine, StatusApproved, StatusRevoked, true},
		{"binding revoke pending", BindingMachine, StatusPending, StatusRevoked, false},
		{"binding re-approve rejected", BindingMachine, StatusRejected, StatusApproved, false},
		{"review confirm", ReviewMachine, StatusPending, StatusConfirmed, true},
		{"review cancel confirmed", ReviewMachine, StatusConfirmed, StatusCancelled, true},
		{"review complete pending", ReviewMachine, StatusPending, StatusCompleted, false},
		{"review no-show", ReviewMachine, StatusConfirmed, StatusNoShow, true},
		{"review cancel completed", ReviewMachine, StatusCompleted, StatusCancelled, false},
		{"meeting confirm", MeetingMachine, StatusPending, StatusConfirmed, true},
		{"meeting reject confirmed", MeetingMachine, StatusConfirmed, StatusRejected, false},
		{"efile approve", EfileMachine, StatusPending, StatusApproved, true},
		{"efile expire approved", EfileMachine, StatusApproved, StatusExpired, true},
		{"efile expire pending", EfileMachine, StatusPending, StatusExpired, false},
		{"efile revive expired", EfileMachine, StatusExpired, StatusApproved, false},
		{"efile reject approved", EfileMachine, StatusApproved, StatusRejected, false},
		{"push delivered", PushMachine, StatusSent, StatusDelivered, true},
		{"push queued to sent", PushMachine, StatusQueued, StatusSent, false},
	}
	for _, tc := range cases {
		if got := tc.m.Can(tc.from, tc.to); got != tc.want {
			t.Errorf("%s: Can(%s→%s) = %v, want %v", tc.name, tc.from, tc.to, got, tc.want)
		}
	}
	src := ReviewMachine.Sources(StatusCancelled)
	slices.Sort(src)
	if !slices.Equal(src, []Status{StatusConfirmed, StatusPending}) {
		t.Fatalf("sources of cancelled = %v", src)
	}
}

func TestStateConflictNamesCurrentState(t *testing.T) {
	err := StateConflict("预约", StatusCompleted)
	if err.Kind != KindConflict || err.Message != "预约当前状态为「已完成」，不能执行该操作" {
		t.Fatalf("got %+v", err)
	}
}

func TestCalendar(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// 2027-01-01 is a holiday (Friday); 2027-01-02 (Saturday) a make-up day.
	cal := NewCalendar([]string{"2027-01-01"}, []string{"2027-01-02"})
	day := func(s string) time.Time {
		d, _ := time.ParseInLocation("2006-01-02 15:04", s, loc)
		return d
	}
	for date, want := range map[string]bool{
		"2026-12-31 09:00": true,  // Thursday
		"2027-01-01 09:00": false, // holiday
		"2027-01-02 09:00": true,  // make-up Saturday
		"2027-01-03 09:00": false, // Sunday
	} {
		if got := cal.IsWorkingDay(day(date)); got != want {
			t.Errorf("IsWorkingDay(%s) = %v", date, got)
		}
	}
	// Thursday + 3 working days skips the holiday and Sunday: Sat, Mon, Tue.
	if got := cal.AddWorkingDays(day("2026-12-31 10:00"), 3); !got.Equal(day("2027-01-05 10:00")) {
		t.Fatalf("AddWorkingDays = %v", got)
	}
}
