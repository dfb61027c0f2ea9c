package service_test

import (
	"context"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/testenv"
)

// The dev seed builds a small province beside the existing demo case: the
// root unit as the 省院, two 市院, three 基层院, a case and a reading room
// with slots in two of them, and a case manager per level, once.
func TestSeedDemoProvince(t *testing.T) {
	ctx := context.Background()
	plain, db, _ := newApptService(t, nil, nil, handlertest.Start)
	sealer, err := secure.NewSealer(handlertest.TestDataKey)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(t), Sealer: sealer, Now: plain.Now},
		service.Options{Location: plain.Location(), Calendar: model.NewCalendar(nil, nil), ReplyWorkingDays: 3, ReviewCancelCutoff: 17 * 60})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	accounts, err := svc.SeedDemoProvince(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 3 || accounts[0].Password == "" {
		t.Fatalf("accounts %+v", accounts)
	}
	var units []model.Unit
	db.Order("path").Find(&units)
	levels := map[string]int{}
	for _, u := range units {
		levels[u.Level]++
	}
	if len(units) != 6 || levels[model.UnitProvince] != 1 || levels[model.UnitCity] != 2 || levels[model.UnitCounty] != 3 {
		t.Fatalf("units %+v", units)
	}
	var withRooms, withCases int64
	db.Model(&model.Room{}).Where("unit_id IN (SELECT id FROM units WHERE level = ?)", model.UnitCounty).Distinct("unit_id").Count(&withRooms)
	db.Model(&model.Case{}).Where("unit_id IN (SELECT id FROM units WHERE level = ?)", model.UnitCounty).Distinct("unit_id").Count(&withCases)
	if withRooms != 2 || withCases != 2 {
		t.Fatalf("基层院 with rooms %d, with cases %d, want 2 and 2", withRooms, withCases)
	}
	var demo model.Case
	if err := db.Where("case_no = ?", service.DemoCaseNo).Take(&demo).Error; err != nil {
		t.Fatalf("the existing demo case is gone: %v", err)
	}
	for _, a := range accounts {
		var st model.Staff
		db.Where("username = ?", a.Username).Take(&st)
		var u model.Unit
		if err := db.Take(&u, st.UnitID).Error; err != nil || u.Code != a.Unit {
			t.Fatalf("staff %s in unit %d (%s), want %s", a.Username, st.UnitID, u.Code, a.Unit)
		}
	}
	if again, err := svc.SeedDemoProvince(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second seed: %v, %v", again, err)
	}
}
