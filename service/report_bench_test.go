package service_test

import (
	"context"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

// BenchmarkMonthlyReportAtProvinceScale computes a month's 通报 for the
// province's 150 units over 500,000 cases and 50,000 pending bindings
// (the staff-list benchmark's fixture) beside a same-run baseline: one
// indexed COUNT of the month's cases. The report runs on a clock inside
// the month, so it is computed, not read from a frozen snapshot.
// x-baseline is the report's time over the baseline's.
func BenchmarkMonthlyReportAtProvinceScale(b *testing.B) {
	_, db, _ := scaleFixture(b)
	ctx := context.Background()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	during := time.Date(2026, 11, 20, 12, 0, 0, 0, loc)
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(b), Now: func() time.Time { return during }},
		service.Options{Location: loc})
	start, end := time.Date(2026, 11, 1, 0, 0, 0, 0, loc), time.Date(2026, 12, 1, 0, 0, 0, 0, loc)
	var units int64
	if err := db.Model(&model.Unit{}).Count(&units).Error; err != nil {
		b.Fatal(err)
	}
	countCases := func() {
		var n int64
		if err := db.Model(&model.Case{}).Where("accepted_at >= ? AND accepted_at < ?", start, end).Count(&n).Error; err != nil || n == 0 {
			b.Fatalf("baseline count: %d, %v", n, err)
		}
	}
	benchBeside(b, countCases, func() {
		rep, err := svc.Report(ctx, service.System, model.RootUnitCode, "2026-11")
		if err != nil || int64(len(rep.Rows)) != units || rep.Frozen {
			b.Fatalf("report: %d rows of %d units, frozen %v, %v", len(rep.Rows), units, rep.Frozen, err)
		}
	})
}
