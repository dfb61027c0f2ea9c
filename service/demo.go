package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
)

// DemoCaseNo is the case number of the seeded demo case.
const DemoCaseNo = "京检刑受〔2026〕1号"

// DemoParty is the seeded party a newcomer can bind with.
var DemoParty = struct{ Name, IDNumber string }{"张三", "11010519491231002X"}

// DemoAdmin is the username of the seeded admin account.
const DemoAdmin = "admin"

// SeedDemo fills an empty dev database: an admin account and a demo case
// with a timeline and a party list. While the demo admin has never logged
// in it returns a password for it, fresh at every start (only its hash is
// kept, so a password printed by a start that then failed is replaced);
// "" once the admin has logged in, or when other staff exist instead.
func (s *Service) SeedDemo(ctx context.Context) (adminPassword string, err error) {
	if adminPassword, err = s.seedDemoAdmin(ctx); err != nil {
		return "", err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var existing model.Case
		err := tx.Where("case_no = ?", DemoCaseNo).Take(&existing).Error
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		root, err := s.unitByCode(tx, model.RootUnitCode)
		if err != nil {
			return err
		}
		now := s.Now()
		accepted := now.AddDate(0, 0, -20)
		deadline := now.AddDate(0, 0, 25)
		c := model.Case{
			CaseNo: DemoCaseNo, Name: "张三涉嫌盗窃案", Type: "刑事", Cause: "盗窃罪", Unit: "第一检察部", UnitID: root.ID,
			Prosecutor: "李检察官", AcceptedAt: accepted, Deadline: &deadline, Measure: "取保候审",
			Stage: "审查起诉",
		}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		events := []model.CaseEvent{
			{CaseID: c.ID, Stage: "受理", Description: "本院已受理移送审查起诉。", OccurredAt: accepted, Source: "import"},
			{CaseID: c.ID, Stage: "审查起诉", Description: "案件进入审查起诉阶段，已告知犯罪嫌疑人诉讼权利。", OccurredAt: accepted.Add(48 * time.Hour), Source: "import"},
		}
		if err := tx.Create(&events).Error; err != nil {
			return err
		}
		party, err := s.sealParty(c.ID, DemoParty.Name, "犯罪嫌疑人", DemoParty.IDNumber)
		if err != nil {
			return err
		}
		return tx.Create(&party).Error
	})
	if err != nil {
		return "", fmt.Errorf("seed demo case: %w", err)
	}
	if err := s.seedDemoSlots(ctx); err != nil {
		return "", err
	}
	return adminPassword, nil
}

func (s *Service) seedDemoAdmin(ctx context.Context) (string, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&model.Staff{}).Count(&n).Error; err != nil {
		return "", fmt.Errorf("seed demo: %w", err)
	}
	password := "Zs-" + secure.Token(9)
	if n == 0 {
		if _, err := s.CreateStaff(ctx, System, NewStaff{Username: DemoAdmin, DisplayName: "系统管理员", Role: model.StaffAdmin, Password: password}); err != nil {
			return "", fmt.Errorf("seed demo admin: %w", err)
		}
		return password, nil
	}
	var admin model.Staff
	err := s.db.WithContext(ctx).Where("username = ? AND last_login_at IS NULL", DemoAdmin).Take(&admin).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("seed demo admin: %w", err)
	}
	if _, err := s.ResetStaffPassword(ctx, System, admin.ID, password); err != nil {
		return "", fmt.Errorf("renew demo admin password: %w", err)
	}
	return password, nil
}

// ResetStaffPasswordByName is ResetStaffPassword for an operator who knows
// the username (zsjc staff reset-password).
func (s *Service) ResetStaffPasswordByName(ctx context.Context, a Actor, username, password string) (model.Staff, error) {
	var st model.Staff
	if err := s.db.WithContext(ctx).Where("username = ?", username).Take(&st).Error; err != nil {
		return st, fmt.Errorf("staff %q: %w", username, notFoundIf(err))
	}
	return s.ResetStaffPassword(ctx, a, st.ID, password)
}

// seedDemoSlots opens the reading room for the next two weeks of working
// days when no slot exists yet, so a newcomer can book at once.
func (s *Service) seedDemoSlots(ctx context.Context) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&model.ReviewSlot{}).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	room, err := s.demoRoom(ctx, model.RootUnitCode, "第一阅卷室", "")
	if err != nil {
		return fmt.Errorf("seed demo slots: %w", err)
	}
	today := s.Now().In(s.opt.Location)
	_, err = s.CreateSlots(ctx, System, SlotRangeInput{
		From: today.AddDate(0, 0, 1).Format(model.DateLayout), To: today.AddDate(0, 0, 14).Format(model.DateLayout),
		Periods: []string{"am", "pm"}, RoomID: room.ID, Capacity: 3,
	})
	if err != nil {
		return fmt.Errorf("seed demo slots: %w", err)
	}
	return nil
}

// demoRoom is the unit's room of that name, created when missing.
func (s *Service) demoRoom(ctx context.Context, unitCode, name, address string) (model.Room, error) {
	var room model.Room
	err := s.db.WithContext(ctx).Joins("JOIN units ON units.id = rooms.unit_id").
		Where("units.code = ? AND rooms.name = ?", unitCode, name).Take(&room).Error
	if err == nil || !errors.Is(err, gorm.ErrRecordNotFound) {
		return room, err
	}
	v, err := s.CreateRoom(ctx, System, RoomInput{UnitCode: unitCode, Name: name, Address: address, Capacity: 4})
	return model.Room{ID: v.ID, Name: v.Name}, err
}

// sealParty builds a party row with its id number encrypted, hashed and masked.
func (s *Service) sealParty(caseID uint64, name, role, idNumber string) (model.Party, error) {
	id := secure.NormalizeIDNumber(idNumber)
	enc, err := s.sealer.Seal(id)
	if err != nil {
		return model.Party{}, err
	}
	return model.Party{CaseID: caseID, Name: name, Role: role, IDNumberEnc: enc,
		IDNumberHash: s.sealer.Hash(id), IDNumberMask: secure.MaskIDNumber(id)}, nil
}
