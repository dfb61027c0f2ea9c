package service_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

var beijing = time.FixedZone("CST", 8*3600)

func beijingTime(date, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, beijing)
	if err != nil {
		panic(err)
	}
	return t
}

// newApptService is a service on a fresh database whose calendar has the
// given holidays and make-up working days, on a settable clock.
func newApptService(t testing.TB, holidays, makeup []string, now time.Time) (*service.Service, *gorm.DB, *handlertest.Clock) {
	t.Helper()
	db := testenv.DB(t)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	clock := &handlertest.Clock{}
	clock.Set(now)
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(t), Now: clock.Now}, service.Options{
		Location: loc, Calendar: model.NewCalendar(holidays, makeup), ReplyWorkingDays: 3, ReviewCancelCutoff: 17 * 60})
	return svc, db, clock
}

// approvedLawyers inserts a case and n WeChat users holding an approved
// lawyer binding of it.
func approvedLawyers(t testing.TB, db *gorm.DB, n int) (uint64, []model.WeChatUser) {
	t.Helper()
	c := model.Case{CaseNo: fmt.Sprintf("京检刑受〔2026〕%d号", time.Now().UnixNano()), Name: "测试案", Stage: "审查起诉", AcceptedAt: time.Now()}
	if err := db.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	users := make([]model.WeChatUser, n)
	for i := range users {
		users[i] = model.WeChatUser{OpenID: fmt.Sprintf("openid-%d-%d", c.ID, i), Subscribed: true}
	}
	if err := db.CreateInBatches(&users, 500).Error; err != nil {
		t.Fatal(err)
	}
	bindings := make([]model.Binding, n)
	for i, u := range users {
		bindings[i] = model.Binding{UserID: u.ID, CaseID: c.ID, Role: model.RoleLawyer, Status: model.StatusApproved,
			LiveKey: model.LiveKey(u.ID, c.ID)}
	}
	if err := db.CreateInBatches(&bindings, 500).Error; err != nil {
		t.Fatal(err)
	}
	return c.ID, users
}

// TestHolidayCalendar: bulk slot creation skips holidays and weekends but
// honours make-up working days (调休); reply deadlines count working days;
// meeting times must fall on working days; a Monday review is reminded on
// the calendar day before (Sunday) at 15:00.
func TestHolidayCalendar(t *testing.T) {
	ctx := context.Background()
	holidays, makeup := []string{"2027-01-01"}, []string{"2027-01-09"}
	svc, db, clock := newApptService(t, holidays, makeup, beijingTime("2026-12-02", "10:00"))

	batch, err := svc.CreateSlots(ctx, service.System, service.SlotRangeInput{
		From: "2026-12-28", To: "2027-01-10", RoomID: testRoom(t, svc, "第一阅卷室").ID, Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, s := range batch.Items {
		if !slices.Contains(days, s.Date) {
			days = append(days, s.Date)
		}
	}
	wantDays := []string{"2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31",
		"2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08", "2027-01-09"}
	if !slices.Equal(days, wantDays) || len(batch.Items) != 2*len(wantDays) {
		t.Fatalf("slots on %v (%d), want %v × am, pm", days, len(batch.Items), wantDays)
	}
	if got := strings.Join(batch.SkippedDays, ","); got != "2027-01-01,2027-01-02,2027-01-03,2027-01-10" {
		t.Fatalf("skipped %s", got)
	}

	// Booked on Wednesday 30 December for Wednesday 6 January: Thursday,
	// (New Year, weekend,) Monday, Tuesday → due Tuesday 5 January, same
	// time of day.
	caseID, users := approvedLawyers(t, db, 1)
	wednesday := batch.Items[slices.IndexFunc(batch.Items, func(s service.StaffSlot) bool { return s.Date == "2027-01-06" })]
	clock.Set(beijingTime("2026-12-30", "10:00"))
	v, err := svc.BookReview(ctx, users[0].ID, service.ReviewInput{CaseID: caseID, SlotID: wednesday.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := beijingTime("2027-01-05", "10:00"); !v.ReplyBy.Equal(want) {
		t.Fatalf("reply by %s, want %s", v.ReplyBy.In(beijing), want)
	}
	if v.CopyMethod != service.ReviewCopyMethods[0] {
		t.Fatalf("default copy method %q", v.CopyMethod)
	}

	for when, ok := range map[string]bool{
		"2027-01-01 10:00": false, // holiday
		"2027-01-02 10:00": false, // Saturday
		"2027-01-09 10:00": true,  // make-up Saturday
		"2027-01-04 14:00": true,
	} {
		at := beijingTime(when[:10], when[11:])
		_, err := svc.RequestMeeting(ctx, users[0].ID, service.MeetingInput{CaseID: caseID, Type: "其他",
			PreferredTimes: []string{at.Format(time.RFC3339), at.Add(30 * time.Minute).Format(time.RFC3339)}})
		var de *model.Error
		if ok != (err == nil) || (!ok && (!errors.As(err, &de) || de.Fields["preferred_times"] == "")) {
			t.Errorf("meeting at %s: err %v, want accepted=%v", when, err, ok)
		}
	}

	if _, err := svc.ConfirmReview(ctx, service.System, v.ID); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		clock string
		want  int
	}{{"2027-01-05 14:59", 0}, {"2027-01-05 15:00", 1}, {"2027-01-05 15:01", 0}} {
		clock.Set(beijingTime(step.clock[:10], step.clock[11:]))
		n, err := svc.SendDueReminders(ctx)
		if err != nil || n != step.want {
			t.Fatalf("at %s: %d reminders (%v), want %d", step.clock, n, err, step.want)
		}
	}
}

// BenchmarkBookReviewContended measures the booking path under contention:
// 32 workers book b.N places of ONE slot (every booking takes the same
// slot row's lock), each lawyer once. The baseline, measured in the same
// run on the same database by the same workers, is b.N plain single-row
// inserts. Reported: p50/p99 latency, bookings/s, and the ratio of the
// booking time to the baseline time (x_baseline).
func BenchmarkBookReviewContended(b *testing.B) {
	ctx := context.Background()
	svc, db, _ := newApptService(b, nil, nil, handlertest.Start)
	n := b.N
	caseID, users := approvedLawyers(b, db, n)
	slot := model.ReviewSlot{Date: "2026-12-03", Period: service.PeriodAM, RoomID: testRoom(b, svc, "基准阅卷室").ID,
		StartTime: "09:00", EndTime: "12:00", Capacity: n}
	if err := db.Create(&slot).Error; err != nil {
		b.Fatal(err)
	}
	const workers = 32
	baseline, _ := runContended(b, workers, n, func(i int) error {
		return db.Create(&model.AuditLog{ActorName: "bench", Action: "bench.insert", Target: fmt.Sprint(i), At: time.Now()}).Error
	})

	b.ResetTimer()
	elapsed, lat := runContended(b, workers, n, func(i int) error {
		_, err := svc.BookReview(ctx, users[i].ID, service.ReviewInput{CaseID: caseID, SlotID: slot.ID, CopyMethod: "复印"})
		return err
	})
	b.StopTimer()

	if err := db.Take(&slot, slot.ID).Error; err != nil || slot.Booked != n {
		b.Fatalf("booked %d of %d (%v)", slot.Booked, n, err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[min(n-1, n*99/100)].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "bookings/s")
	b.ReportMetric(float64(baseline.Nanoseconds())/float64(n), "baseline_ns/op")
	b.ReportMetric(float64(elapsed)/float64(baseline), "x_baseline")
}

// runContended runs op(0..n-1) on workers goroutines and returns the wall
// time and each op's latency.
func runContended(b *testing.B, workers, n int, op func(i int) error) (time.Duration, []time.Duration) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, ok := failed.Load().(error); ok {
		b.Fatalf("operation failed: %v", err)
	}
	return elapsed, lat
}
