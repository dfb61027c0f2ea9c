package service

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
)

// The demo province: the root unit stands for the 省院, with two 市院 and
// three 基层院 below. Two 基层院 under one 市院 each have a demo case and a
// reading room, so that the walk-through can show one county's staff not
// seeing the other's queue while their 市院 sees both.
var (
	demoProvince = demoUnit{Code: model.RootUnitCode, Name: "江西省人民检察院", Level: model.UnitProvince,
		Address: "南昌市红谷滩区丰和中大道 1 号", Phone: "0791-8888 0000", Hours: "工作日 9:00-12:00，14:00-17:30"}
	demoUnits = []demoUnit{
		{Code: "3601", Parent: model.RootUnitCode, Name: "南昌市人民检察院", Level: model.UnitCity,
			Address: "南昌市红谷滩区赣江中大道 2 号", Phone: "0791-8888 1000", Hours: "工作日 9:00-12:00，14:00-17:30"},
		{Code: "3604", Parent: model.RootUnitCode, Name: "九江市人民检察院", Level: model.UnitCity,
			Address: "九江市濂溪区长虹大道 3 号", Phone: "0792-8888 1000", Hours: "工作日 9:00-12:00，14:00-17:30"},
		{Code: "360102", Parent: "3601", Name: "南昌市东湖区人民检察院", Level: model.UnitCounty,
			Address: "南昌市东湖区八一大道 101 号", Phone: "0791-8888 2001", Hours: "工作日 9:00-12:00，14:00-17:00",
			CaseNo: "东检刑受〔2026〕1号", CaseName: "李四涉嫌诈骗案", Cause: "诈骗罪", Room: "东湖区院阅卷室"},
		{Code: "360103", Parent: "3601", Name: "南昌市西湖区人民检察院", Level: model.UnitCounty,
			Address: "南昌市西湖区孺子路 202 号", Phone: "0791-8888 2002", Hours: "工作日 9:00-12:00，14:00-17:00",
			CaseNo: "西检刑受〔2026〕1号", CaseName: "王五涉嫌危险驾驶案", Cause: "危险驾驶罪", Room: "西湖区院阅卷室"},
		{Code: "360402", Parent: "3604", Name: "九江市濂溪区人民检察院", Level: model.UnitCounty,
			Address: "九江市濂溪区十里大道 303 号", Phone: "0792-8888 2003", Hours: "工作日 9:00-12:00，14:00-17:00"},
	}
	// demoStaff is one account per level below the province (the demo
	// admin is the province's).
	demoStaff = []struct{ Username, DisplayName, Unit string }{
		{"nanchang", "南昌市院案管", "3601"},
		{"donghu", "东湖区院案管", "360102"},
		{"xihu", "西湖区院案管", "360103"},
	}
)

type demoUnit struct {
	Code, Parent, Name, Level, Address, Phone, Hours string
	// CaseNo, CaseName, Cause and Room: the unit's demo case and reading
	// room, when it has them.
	CaseNo, CaseName, Cause, Room string
}

// DemoAccount is a seeded staff account and its generated password.
type DemoAccount struct {
	Username, Unit, Password string
}

// SeedDemoProvince fills a dev database with the demo province once: the
// units, a demo case (published as 重要案件) and a reading room with slots
// in two 基层院, and a
// case-manager account per level, whose passwords it returns (none when the
// province was already seeded). The root unit becomes the 省院 only while
// it still has its default name.
func (s *Service) SeedDemoProvince(ctx context.Context) ([]DemoAccount, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&model.Unit{}).Where("code = ?", demoUnits[0].Code).Count(&n).Error; err != nil || n > 0 {
		return nil, err
	}
	var rooms []uint64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&model.Unit{}).Where("code = ? AND name = ?", model.RootUnitCode, model.DefaultRootUnitName).
			Updates(map[string]any{"name": demoProvince.Name, "level": demoProvince.Level, "address": demoProvince.Address,
				"phone": demoProvince.Phone, "reception_hours": demoProvince.Hours}).Error; err != nil {
			return err
		}
		accepted := s.Now().AddDate(0, 0, -10)
		deadline := s.Now().AddDate(0, 0, 35)
		for _, du := range demoUnits {
			u, err := s.createUnit(tx, System, UnitInput{Code: &du.Code, Name: &du.Name, Level: &du.Level, ParentCode: &du.Parent,
				Address: &du.Address, Phone: &du.Phone, ReceptionHours: &du.Hours})
			if err != nil {
				return err
			}
			if du.CaseNo == "" {
				continue
			}
			c := model.Case{CaseNo: du.CaseNo, Name: du.CaseName, Type: "刑事", Cause: du.Cause, UnitID: u.ID,
				Prosecutor: "赵检察官", AcceptedAt: accepted, Deadline: &deadline, Measure: "取保候审", Stage: "审查起诉",
				Important: true, Summary: "本院依法受理该案，现处于审查起诉阶段。"}
			if err := tx.Create(&c).Error; err != nil {
				return err
			}
			ev := model.CaseEvent{CaseID: c.ID, Stage: "受理", Description: "本院已受理移送审查起诉。", OccurredAt: accepted, Source: SourceImport}
			if err := tx.Create(&ev).Error; err != nil {
				return err
			}
			room := model.Room{UnitID: u.ID, Name: du.Room, Capacity: 4}
			if err := tx.Create(&room).Error; err != nil {
				return err
			}
			rooms = append(rooms, room.ID)
		}
		return nil
	})
	s.unitsChanged()
	if err != nil {
		return nil, fmt.Errorf("seed demo province: %w", err)
	}
	today := s.Now().In(s.opt.Location)
	for _, id := range rooms {
		if _, err := s.CreateSlots(ctx, System, SlotRangeInput{
			From: today.AddDate(0, 0, 1).Format(model.DateLayout), To: today.AddDate(0, 0, 14).Format(model.DateLayout),
			Periods: []string{PeriodAM, PeriodPM}, RoomID: id, Capacity: 2,
		}); err != nil {
			return nil, fmt.Errorf("seed demo province slots: %w", err)
		}
	}
	accounts := make([]DemoAccount, 0, len(demoStaff))
	for _, ds := range demoStaff {
		pw := "Zs-" + secure.Token(9)
		if _, err := s.CreateStaff(ctx, System, NewStaff{Username: ds.Username, DisplayName: ds.DisplayName,
			Role: model.StaffCaseManager, Password: pw, UnitCode: ds.Unit}); err != nil {
			return nil, fmt.Errorf("seed demo staff %s: %w", ds.Username, err)
		}
		accounts = append(accounts, DemoAccount{Username: ds.Username, Unit: ds.Unit, Password: pw})
	}
	return accounts, nil
}
