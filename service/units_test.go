package service_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

func strp(s string) *string { return &s }

// addUnit creates a unit as the system (the CLI's power).
func addUnit(t *testing.T, svc *service.Service, code, parent string) service.UnitView {
	t.Helper()
	u, err := svc.CreateUnit(context.Background(), service.System,
		service.UnitInput{Code: strp(code), Name: strp(code + "院"), ParentCode: strp(parent)})
	if err != nil {
		t.Fatalf("add unit %s: %v", code, err)
	}
	return u
}

// staffActor creates a staff account of the unit and returns its actor,
// scope resolved as a login would, and the session id.
func staffActor(t *testing.T, svc *service.Service, username, role, unit string) (service.Actor, string) {
	t.Helper()
	ctx := context.Background()
	st, err := svc.CreateStaff(ctx, service.System, service.NewStaff{Username: username, Role: role, Password: "Zs-Unit-Test-2026", UnitCode: unit})
	if err != nil {
		t.Fatalf("create staff %s: %v", username, err)
	}
	sid, sess, err := svc.NewStaffSession(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return sess.Actor("127.0.0.1"), sid
}

func codes(units []service.UnitView) string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.Code
	}
	return strings.Join(out, ",")
}

func fieldOf(err error) string {
	var de *model.Error
	if errors.As(err, &de) {
		for f := range de.Fields {
			return f
		}
		return de.Code
	}
	return ""
}

// TestRootUnitAtMigrate: a fresh database has the one root unit, and
// migrating again (as a restart or a second instance does) adds nothing.
func TestRootUnitAtMigrate(t *testing.T) {
	db := testenv.DB(t)
	for range 2 {
		if err := model.Migrate(context.Background(), db, model.MigrateOptions{RootUnitName: "江西省人民检察院"}); err != nil {
			t.Fatal(err)
		}
	}
	var units []model.Unit
	db.Find(&units)
	if len(units) != 1 || units[0].Code != model.RootUnitCode || units[0].Level != model.UnitProvince ||
		units[0].ParentID != nil || units[0].Path != model.UnitPath("", units[0].ID) {
		t.Fatalf("units after migrating twice: %+v", units)
	}
	// The name is the one the database got first (testenv migrates with the default).
	if units[0].Name != model.DefaultRootUnitName {
		t.Errorf("root unit named %q", units[0].Name)
	}
}

// TestUnitRules: codes, levels and parents are checked; paths follow the
// tree; the list is depth-first and limited to the actor's scope.
func TestUnitRules(t *testing.T) {
	svc, db := newCaseService(t)
	ctx := context.Background()
	for _, tc := range []struct {
		in    service.UnitInput
		field string
	}{
		{service.UnitInput{Code: strp(""), Name: strp("甲")}, "code"},
		{service.UnitInput{Code: strp(strings.Repeat("1", 33)), Name: strp("甲")}, "code"},
		{service.UnitInput{Code: strp("36 00"), Name: strp("甲")}, "code"},
		{service.UnitInput{Code: strp("360100"), Name: strp("")}, "name"},
		{service.UnitInput{Code: strp("360100"), Name: strp("甲"), Level: strp("town")}, "level"},
		{service.UnitInput{Code: strp("360100"), Name: strp("甲"), ParentCode: strp("nope")}, "parent_code"},
	} {
		if _, err := svc.CreateUnit(ctx, service.System, tc.in); fieldOf(err) != tc.field {
			t.Errorf("%+v: %v, want a field error on %s", tc.in, err, tc.field)
		}
	}
	city := addUnit(t, svc, "3601", "root")
	addUnit(t, svc, "360102", "3601")
	addUnit(t, svc, "3602", "root")
	addUnit(t, svc, "360101", "3601")
	if city.Level != model.UnitCity {
		t.Errorf("a unit below the province is %s", city.Level)
	}
	if _, err := svc.CreateUnit(ctx, service.System, service.UnitInput{Code: strp("3601"), Name: strp("again")}); !errors.Is(err, service.ErrUnitCodeTaken) {
		t.Errorf("duplicate code: %v", err)
	}
	var county model.Unit
	db.Where("code = ?", "360101").Take(&county)
	var cityRow, root model.Unit
	db.Where("code = ?", "3601").Take(&cityRow)
	db.Where("code = ?", "root").Take(&root)
	if want := root.Path + itoa(cityRow.ID) + "/" + itoa(county.ID) + "/"; county.Path != want || county.Level != model.UnitCounty {
		t.Errorf("county path %q level %s, want %q county", county.Path, county.Level, want)
	}
	all, err := svc.ListUnits(ctx, service.System)
	if err != nil || codes(all) != "root,3601,360101,360102,3602" {
		t.Errorf("system list %s %v", codes(all), err)
	}
	cityAdmin, cityAdminSID := staffActor(t, svc, "city.admin", model.StaffAdmin, "3601")
	mine, _ := svc.ListUnits(ctx, cityAdmin)
	if codes(mine) != "3601,360101,360102" {
		t.Errorf("city admin sees %s", codes(mine))
	}
	// An admin adds below its own unit only, and sees the new unit at once.
	if _, err := svc.CreateUnit(ctx, cityAdmin, service.UnitInput{Code: strp("x1"), Name: strp("甲")}); fieldOf(err) != "parent_code" {
		t.Errorf("city admin adds a top-level unit: %v", err)
	}
	if _, err := svc.CreateUnit(ctx, cityAdmin, service.UnitInput{Code: strp("x1"), Name: strp("甲"), ParentCode: strp("3602")}); fieldOf(err) != "parent_code" {
		t.Errorf("city admin adds below a sibling: %v", err)
	}
	if _, err := svc.CreateUnit(ctx, cityAdmin, service.UnitInput{Code: strp("360103"), Name: strp("丙"), ParentCode: strp("3601")}); err != nil {
		t.Fatal(err)
	}
	// The next request of the same session has the new unit in its scope.
	sess, err := svc.StaffSession(ctx, cityAdminSID)
	if err != nil {
		t.Fatal(err)
	}
	if mine, _ := svc.ListUnits(ctx, sess.Actor("")); codes(mine) != "3601,360101,360102,360103" {
		t.Errorf("after adding: %s", codes(mine))
	}
}

func itoa(id uint64) string { return strconv.FormatUint(id, 10) }

// TestUpdateAndDeleteUnit: a partial update changes only what it carries;
// moving a unit rewrites its subtree's paths; a unit holding cases, staff
// or child units is not deleted; one outside the scope is not found.
func TestUpdateAndDeleteUnit(t *testing.T) {
	svc, db := newCaseService(t)
	ctx := context.Background()
	addUnit(t, svc, "a", "root")
	addUnit(t, svc, "b", "root")
	addUnit(t, svc, "a1", "a")
	addUnit(t, svc, "a11", "a1")
	if _, err := svc.UpdateUnit(ctx, service.System, "a", service.UnitInput{Phone: strp("0791-1234567")}); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.ListUnits(ctx, service.System)
	for _, u := range got {
		if u.Code == "a" && (u.Name != "a院" || u.Phone != "0791-1234567") {
			t.Errorf("after a phone update: %+v", u)
		}
	}
	if _, err := svc.UpdateUnit(ctx, service.System, "a1", service.UnitInput{ParentCode: strp("a11")}); fieldOf(err) != "parent_code" {
		t.Errorf("moving a unit below itself: %v", err)
	}
	if _, err := svc.UpdateUnit(ctx, service.System, "a1", service.UnitInput{ParentCode: strp("b")}); err != nil {
		t.Fatal(err)
	}
	var b, a1, a11 model.Unit
	db.Where("code = ?", "b").Take(&b)
	db.Where("code = ?", "a1").Take(&a1)
	db.Where("code = ?", "a11").Take(&a11)
	if a1.ParentID == nil || *a1.ParentID != b.ID || a11.Path != b.Path+itoa(a1.ID)+"/"+itoa(a11.ID)+"/" {
		t.Errorf("after the move: a1 %+v, a11 %+v", a1, a11)
	}
	aAdmin, _ := staffActor(t, svc, "a.admin", model.StaffAdmin, "a")
	if _, err := svc.UpdateUnit(ctx, aAdmin, "b", service.UnitInput{Phone: strp("1")}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("updating a unit outside the scope: %v", err)
	}
	if err := svc.DeleteUnit(ctx, aAdmin, "a1"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("deleting a unit outside the scope: %v", err)
	}
	for _, code := range []string{"a", "b", "a1"} { // staff, child, child
		if err := svc.DeleteUnit(ctx, service.System, code); !errors.Is(err, service.ErrUnitInUse) {
			t.Errorf("deleting %s: %v, want in use", code, err)
		}
	}
	if _, err := svc.CreateCase(ctx, service.System, service.CaseInput{CaseNo: "C-1", Name: "甲案", AcceptedAt: "2026-11-01", UnitCode: "a11"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteUnit(ctx, service.System, "a11"); !errors.Is(err, service.ErrUnitInUse) {
		t.Errorf("deleting a unit with a case: %v", err)
	}
	db.Where("case_no = ?", "C-1").Delete(&model.Case{})
	for _, code := range []string{"a11", "a1"} {
		if err := svc.DeleteUnit(ctx, service.System, code); err != nil {
			t.Errorf("deleting empty %s: %v", code, err)
		}
	}
}

// TestImportUnits: parents may come earlier in the file; a bad row
// refuses the whole file, naming line and field.
func TestImportUnits(t *testing.T) {
	svc, db := newCaseService(t)
	ctx := context.Background()
	bad := "code,name,level,parent_code\n360000,江西省院,province,\n360100,南昌市院,city,360000\n360101,,county,360100\n360102,东湖区院,county,nowhere\n"
	_, err := svc.ImportUnits(ctx, service.System, strings.NewReader(bad))
	var ie *service.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 || ie.Problems[0] != (service.RowProblem{Line: 4, Field: "name", Message: "不能为空"}) ||
		ie.Problems[1].Line != 5 || ie.Problems[1].Field != "parent_code" {
		t.Fatalf("bad file: %v", err)
	}
	var n int64
	db.Model(&model.Unit{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d units after a refused file, want only the root", n)
	}
	good := "\ufeffcode,name,level,parent_code,address,phone,reception_hours,head\n360000,江西省院,province,,南昌市红谷滩区,0791-1,工作日,张三\n360100,南昌市院,,360000,,,,\n"
	created, err := svc.ImportUnits(ctx, service.System, strings.NewReader(good))
	if err != nil || created != 2 {
		t.Fatalf("good file: %d %v", created, err)
	}
	var city model.Unit
	db.Where("code = ?", "360100").Take(&city)
	if city.Level != model.UnitCity || city.ParentID == nil {
		t.Errorf("imported city %+v", city)
	}
}

// TestCaseUnitCode: the case system names a case's unit by unit_code; an
// unknown code is a field error; leaving it out is fine while the root is
// the only unit (the old free-text unit is kept) and refused once there
// are several; the import file takes the same column.
func TestCaseUnitCode(t *testing.T) {
	svc, db := newCaseService(t)
	ctx := context.Background()
	in := func(unitCode string) service.IntegrationCase {
		return service.IntegrationCase{CaseInput: service.CaseInput{Name: "甲案", AcceptedAt: "2026-11-01", Unit: "第一检察部", UnitCode: unitCode}}
	}
	single, _, err := svc.UpsertCase(ctx, "A-1", in(""))
	if err != nil || single.Unit == nil || single.Unit.Code != model.RootUnitCode || single.Department != "第一检察部" {
		t.Fatalf("single unit, no unit_code: %+v %v", single, err)
	}
	addUnit(t, svc, "360101", "root")
	if _, _, err := svc.UpsertCase(ctx, "A-2", in("")); fieldOf(err) != "unit_code" {
		t.Errorf("several units, no unit_code: %v", err)
	}
	if _, _, err := svc.UpsertCase(ctx, "A-2", in("nowhere")); fieldOf(err) != "unit_code" {
		t.Errorf("unknown unit_code: %v", err)
	}
	got, _, err := svc.UpsertCase(ctx, "A-2", in("360101"))
	if err != nil || got.Unit.Code != "360101" {
		t.Fatalf("known unit_code: %+v %v", got, err)
	}
	file := "case_no,name,accepted_at,unit_code\nB-1,乙案,2026-11-02,360101\nB-2,丙案,2026-11-02,\n"
	_, err = svc.ImportCases(ctx, strings.NewReader(file))
	var ie *service.ImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].Line != 3 || ie.Problems[0].Field != "unit_code" {
		t.Fatalf("import with a missing unit_code: %v", err)
	}
	file = "case_no,name,accepted_at,unit_code\nB-1,乙案,2026-11-02,360101\n"
	if _, err := svc.ImportCases(ctx, strings.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	var c model.Case
	db.Where("case_no = ?", "B-1").Take(&c)
	var u model.Unit
	db.Where("code = ?", "360101").Take(&u)
	if c.UnitID != u.ID {
		t.Errorf("imported case in unit %d, want %d", c.UnitID, u.ID)
	}
	// The unfiltered list's total comes from the units' tallies: it follows
	// creations, imports and moves.
	county, _ := staffActor(t, svc, "county.clerk", model.StaffCaseManager, "360101")
	totals := func() (all, inCounty int64) {
		p, err := svc.ListCases(ctx, service.System, service.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := svc.ListCases(ctx, county, service.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if int(q.Total) != len(q.Items) {
			t.Errorf("county total %d for %d items", q.Total, len(q.Items))
		}
		return p.Total, q.Total
	}
	if all, inCounty := totals(); all != 3 || inCounty != 2 {
		t.Errorf("totals %d, %d; want 3, 2", all, inCounty)
	}
	if _, err := svc.UpdateCase(ctx, service.System, single.ID, service.CaseInput{Name: "甲案", AcceptedAt: "2026-11-01", UnitCode: "360101"}); err != nil {
		t.Fatal(err)
	}
	if all, inCounty := totals(); all != 3 || inCounty != 3 {
		t.Errorf("after a move: totals %d, %d; want 3, 3", all, inCounty)
	}
}

// TestUnitDeleteRacesCaseCreate: a unit deleted while a case is created in
// it either keeps the case (the delete answers 409) or loses the race
// cleanly (the case is refused on unit_code): never a case in a deleted
// unit. Two creations of one code: one wins, the other is told it is taken.
func TestUnitDeleteRacesCaseCreate(t *testing.T) {
	svc, db := newCaseService(t)
	ctx := context.Background()
	for round := range 8 {
		code := fmt.Sprintf("d%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errs[0] = svc.CreateUnit(ctx, service.System, service.UnitInput{Code: strp(code), Name: strp("甲")})
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = svc.CreateUnit(ctx, service.System, service.UnitInput{Code: strp(code), Name: strp("乙")})
		}()
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], service.ErrUnitCodeTaken) || errors.Is(errs[1], service.ErrUnitCodeTaken)) {
			t.Fatalf("round %d: two creations of one code: %v, %v", round, errs[0], errs[1])
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[0] = svc.DeleteUnit(ctx, service.System, code)
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = svc.CreateCase(ctx, service.System, service.CaseInput{CaseNo: "R-" + code, Name: "案", AcceptedAt: "2026-11-01", UnitCode: code})
		}()
		wg.Wait()
		deleted, created := errs[0] == nil, errs[1] == nil
		switch {
		case deleted && created:
			t.Fatalf("round %d: the unit was deleted and the case created in it", round)
		case !deleted && !errors.Is(errs[0], service.ErrUnitInUse):
			t.Fatalf("round %d: delete: %v", round, errs[0])
		case !created && fieldOf(errs[1]) != "unit_code":
			t.Fatalf("round %d: create: %v", round, errs[1])
		}
		var orphans int64
		db.Model(&model.Case{}).Where("unit_id NOT IN (?)", db.Model(&model.Unit{}).Select("id")).Count(&orphans)
		if orphans != 0 {
			t.Fatalf("round %d: %d cases of no unit", round, orphans)
		}
	}
}
