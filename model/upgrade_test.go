package model_test

import (
	"context"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/testenv"
)

// The tables of the single-procuratorate schema (before units), as the
// commit before them declared them: the case's unit is free text, staff
// and requests have no unit.
type (
	preUnitCase struct {
		ID           uint64 `gorm:"primaryKey"`
		CaseNo       string `gorm:"size:64;not null;uniqueIndex"`
		Name         string `gorm:"size:200;not null"`
		Type         string `gorm:"size:64"`
		Cause        string `gorm:"size:200"`
		Unit         string `gorm:"size:200"`
		Prosecutor   string `gorm:"size:64"`
		ProsecutorID *uint64
		AcceptedAt   time.Time
		Deadline     *time.Time
		Measure      string `gorm:"size:64"`
		Stage        string `gorm:"size:64;not null"`
		Result       string `gorm:"size:200"`
		Important    bool   `gorm:"not null;default:false;index"`
		Summary      string `gorm:"size:2000"`
		CreatedAt    time.Time
		UpdatedAt    time.Time
	}
	preUnitStaff struct {
		ID             uint64 `gorm:"primaryKey"`
		Username       string `gorm:"size:64;not null;uniqueIndex"`
		DisplayName    string `gorm:"size:64;not null"`
		Role           string `gorm:"size:16;not null"`
		PasswordHash   string `gorm:"size:255;not null"`
		Disabled       bool   `gorm:"not null;default:false"`
		FailedAttempts int    `gorm:"not null;default:0"`
		LockedUntil    *time.Time
		LastLoginAt    *time.Time
		CreatedAt      time.Time
		UpdatedAt      time.Time
	}
	preUnitBinding struct {
		ID        uint64       `gorm:"primaryKey"`
		UserID    uint64       `gorm:"not null;index"`
		CaseID    uint64       `gorm:"not null;index"`
		Role      string       `gorm:"size:16;not null"`
		Status    model.Status `gorm:"size:16;not null;index"`
		CaseNo    string       `gorm:"size:64;not null;default:''"`
		LiveKey   *string      `gorm:"size:64;uniqueIndex"`
		PartyID   *uint64
		Reason    string `gorm:"size:500"`
		DecidedBy *uint64
		DecidedAt *time.Time
		CreatedAt time.Time
		UpdatedAt time.Time
	}
)

func (preUnitCase) TableName() string    { return "cases" }
func (preUnitStaff) TableName() string   { return "staffs" }
func (preUnitBinding) TableName() string { return "bindings" }

// TestUpgradeFromSingleUnitSchema migrates a database made by the schema
// before units: every free-text unit becomes a unit under the root, cases
// without one and every staff account go to the root, requests take their
// case's unit, nothing else changes, and a second migration changes nothing.
func TestUpgradeFromSingleUnitSchema(t *testing.T) {
	db := testenv.DB(t)
	ctx := context.Background()
	if err := db.Migrator().DropTable(model.All()...); err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&preUnitCase{}, &preUnitStaff{}, &preUnitBinding{}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	cases := []preUnitCase{
		{CaseNo: "A-1", Name: "甲案", Unit: "第一检察部", Stage: "受理", AcceptedAt: now, Summary: "s1"},
		{CaseNo: "A-2", Name: "乙案", Unit: "第二检察部", Stage: "审查起诉", AcceptedAt: now},
		{CaseNo: "A-3", Name: "丙案", Unit: "第一检察部", Stage: "受理", AcceptedAt: now},
		{CaseNo: "A-4", Name: "丁案", Stage: "受理", AcceptedAt: now},
	}
	if err := db.Create(&cases).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&[]preUnitStaff{{Username: "admin", DisplayName: "管理员", Role: model.StaffAdmin, PasswordHash: "x"},
		{Username: "clerk", DisplayName: "书记员", Role: model.StaffCaseManager, PasswordHash: "y"}}).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&[]preUnitBinding{{UserID: 1, CaseID: cases[1].ID, Role: model.RoleLawyer, Status: model.StatusPending, CaseNo: "A-2"},
		{UserID: 1, Role: model.RoleLawyer, Status: model.StatusPending, CaseNo: "NO-SUCH"}}).Error; err != nil {
		t.Fatal(err)
	}

	for range 2 {
		if err := model.Migrate(ctx, db, model.MigrateOptions{RootUnitName: "某某区人民检察院"}); err != nil {
			t.Fatal(err)
		}
	}

	var units []model.Unit
	db.Order("id").Find(&units)
	if len(units) != 3 {
		t.Fatalf("%d units after the upgrade, want root and two from the free text: %+v", len(units), units)
	}
	root := units[0]
	byName := map[string]model.Unit{}
	for _, u := range units {
		byName[u.Name] = u
		if u.ID != root.ID && (u.ParentID == nil || *u.ParentID != root.ID || u.Path != model.UnitPath(root.Path, u.ID)) {
			t.Errorf("unit %+v is not right below the root", u)
		}
	}
	if root.Code != model.RootUnitCode || root.Name != "某某区人民检察院" || byName["第一检察部"].Code != model.LegacyUnitCode("第一检察部") {
		t.Errorf("units %+v", units)
	}
	var got []model.Case
	db.Order("case_no").Find(&got)
	wantUnit := []uint64{byName["第一检察部"].ID, byName["第二检察部"].ID, byName["第一检察部"].ID, root.ID}
	for i, c := range got {
		if c.UnitID != wantUnit[i] || c.Name != cases[i].Name || c.Unit != cases[i].Unit || c.Stage != cases[i].Stage {
			t.Errorf("case %s after the upgrade: %+v", c.CaseNo, c)
		}
	}
	if len(got) != 4 || got[0].Summary != "s1" {
		t.Errorf("cases after the upgrade: %+v", got)
	}
	var staff []model.Staff
	db.Order("id").Find(&staff)
	if len(staff) != 2 || staff[0].UnitID != root.ID || staff[1].UnitID != root.ID || staff[1].PasswordHash != "y" {
		t.Errorf("staff after the upgrade: %+v", staff)
	}
	var bindings []model.Binding
	db.Order("id").Find(&bindings)
	if len(bindings) != 2 || bindings[0].UnitID != byName["第二检察部"].ID || bindings[1].UnitID != 0 {
		t.Errorf("bindings after the upgrade: %+v", bindings)
	}
}
