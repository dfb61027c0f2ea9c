package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/testenv"
)

// Province scale (docs/design.md): 150 units (1 省院, 11 市院, 138 基层院),
// 500,000 cases and 50,000 pending binding requests spread evenly.
const (
	scaleCities   = 11
	scaleCounties = 138
	scaleCases    = 500_000
	scalePending  = 50_000
)

// scaleFixture seeds the province with bulk INSERTs and returns the
// service with a county's, a city's and the province's staff actors.
func scaleFixture(b *testing.B) (*service.Service, *gorm.DB, map[string]service.Actor) {
	db := testenv.DB(b)
	sealer, err := secure.NewSealer(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(b), Sealer: sealer}, service.Options{})
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("code,name,level,parent_code\n")
	for c := range scaleCities {
		fmt.Fprintf(&csv, "c%02d,市院%02d,city,root\n", c, c)
	}
	for k := range scaleCounties {
		fmt.Fprintf(&csv, "k%03d,基层院%03d,county,c%02d\n", k, k, k%scaleCities)
	}
	if _, err := svc.ImportUnits(ctx, service.System, strings.NewReader(csv.String())); err != nil {
		b.Fatal(err)
	}
	var unitIDs []uint64
	if err := db.Model(&model.Unit{}).Order("id").Pluck("id", &unitIDs).Error; err != nil {
		b.Fatal(err)
	}
	cases, pending := scaleCases, scalePending
	if testing.Short() {
		cases, pending = 5_000, 500
	}
	start := time.Now()
	at := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05")
	bulkInsert(b, db, "cases", "case_no, name, stage, accepted_at, unit_id, important, created_at, updated_at", cases, func(i int) string {
		return fmt.Sprintf("('S-%d', '案%d', '受理', '%s', %d, false, '%s', '%s')", i, i, at, unitIDs[i%len(unitIDs)], at, at)
	})
	// Case ids are 1..cases in insertion order on a fresh table.
	bulkInsert(b, db, "bindings", "user_id, case_id, unit_id, role, status, case_no, live_key, created_at, updated_at", pending, func(i int) string {
		caseID := i*7919%cases + 1 // distinct (7919 is prime to the case count), spread over every unit
		return fmt.Sprintf("(%d, %d, %d, 'lawyer', 'pending', 'S-%d', '%d:%d', '%s', '%s')",
			i+1, caseID, unitIDs[(caseID-1)%len(unitIDs)], caseID-1, i+1, caseID, at, at)
	})
	if err := model.RecountUnitTallies(db); err != nil { // the bulk INSERTs bypass GORM's callbacks
		b.Fatal(err)
	}
	b.Logf("seeded %d units, %d cases, %d pending bindings in %s", len(unitIDs), cases, pending, time.Since(start).Round(time.Second))
	actors := map[string]service.Actor{}
	for _, u := range []string{"k007", "c03", "root"} {
		st, err := svc.CreateStaff(ctx, service.System, service.NewStaff{Username: "staff." + u, Role: model.StaffCaseManager,
			Password: "Zs-Unit-Test-2026", UnitCode: u})
		if err != nil {
			b.Fatal(err)
		}
		_, sess, err := svc.NewStaffSession(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		actors[u] = sess.Actor("127.0.0.1")
	}
	return svc, db, actors
}

// bulkInsert adds n rows to table, 2,000 per INSERT, in one transaction.
func bulkInsert(b *testing.B, db *gorm.DB, table, columns string, n int, row func(i int) string) {
	err := db.Transaction(func(tx *gorm.DB) error {
		for lo := 0; lo < n; lo += 2000 {
			values := make([]string, 0, 2000)
			for i := lo; i < min(lo+2000, n); i++ {
				values = append(values, row(i))
			}
			if err := tx.Exec("INSERT INTO " + table + " (" + columns + ") VALUES " + strings.Join(values, ",")).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seed %s: %v", table, err)
	}
}

// BenchmarkStaffListsAtProvinceScale measures the staff binding queue and
// case list (first page of 50 with its total, scoped to a county's or a
// city's units; the queue also audits the read) beside a same-run
// baseline: a bare indexed SELECT … LIMIT 50 on the same table. x-baseline
// is the route's time over the baseline's. MariaDB when
// ZSJC_TEST_MYSQL_DSN is set; -short seeds 100 times fewer rows.
func BenchmarkStaffListsAtProvinceScale(b *testing.B) {
	svc, db, actors := scaleFixture(b)
	ctx := context.Background()
	bareQueue := func() {
		var rows []model.Binding
		if err := db.Where("status = ?", model.StatusPending).Order("id").Limit(50).Find(&rows).Error; err != nil || len(rows) != 50 {
			b.Fatalf("baseline queue: %d rows, %v", len(rows), err)
		}
	}
	bareCases := func() {
		var rows []model.Case
		if err := db.Order("id DESC").Limit(50).Find(&rows).Error; err != nil || len(rows) != 50 {
			b.Fatalf("baseline cases: %d rows, %v", len(rows), err)
		}
	}
	for _, unit := range []string{"k007", "c03", "root"} {
		a := actors[unit]
		b.Run("binding-queue/"+unit, func(b *testing.B) {
			benchBeside(b, bareQueue, func() {
				page, err := svc.StaffBindings(ctx, a, model.StatusPending, service.Paging{})
				if err != nil || len(page.Items) == 0 {
					b.Fatalf("queue: %d rows, %v", len(page.Items), err)
				}
			})
		})
		b.Run("case-list/"+unit, func(b *testing.B) {
			benchBeside(b, bareCases, func() {
				page, err := svc.ListCases(ctx, a, service.CaseFilter{})
				if err != nil || len(page.Items) == 0 {
					b.Fatalf("cases: %d rows, %v", len(page.Items), err)
				}
			})
		})
	}
}

// benchBeside runs baseline and route alternately, timing each, and
// reports both per op and their ratio.
func benchBeside(b *testing.B, baseline, route func()) {
	var spentBase, spentRoute time.Duration
	for range b.N {
		t0 := time.Now()
		baseline()
		t1 := time.Now()
		route()
		spentRoute += time.Since(t1)
		spentBase += t1.Sub(t0)
	}
	b.ReportMetric(float64(spentBase.Nanoseconds())/float64(b.N), "baseline-ns/op")
	b.ReportMetric(float64(spentRoute.Nanoseconds())/float64(b.N), "route-ns/op")
	b.ReportMetric(float64(spentRoute)/float64(spentBase), "x-baseline")
}
