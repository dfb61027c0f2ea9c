package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/testenv"
)

func newCaseService(t *testing.T) (*service.Service, *gorm.DB) {
	t.Helper()
	db := testenv.DB(t)
	sealer, err := secure.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return service.New(service.Deps{DB: db, Cache: testenv.Cache(t), Sealer: sealer}, service.Options{Location: loc}), db
}

const importHeader = "\ufeffcase_no,name,cause,accepted_at,deadline,stage,party_name,party_role,party_id_number\n"

// TestImportCases: one row per party, cases upserted, a second run updates.
func TestImportCases(t *testing.T) {
	svc, db := newCaseService(t)
	file := importHeader +
		"A-1,甲案,盗窃罪,2026-11-01,2026-12-31,审查起诉,甲,犯罪嫌疑人,11010519491231002X\n" +
		"A-1,,,,,,乙,被害人,110105194912310038\n" +
		"\n" +
		"B-2,乙案,诈骗罪,2026-11-02T09:00:00+08:00,,,,,\n"
	res, err := svc.ImportCases(context.Background(), strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if res != (service.ImportResult{Created: 2, Parties: 2}) {
		t.Errorf("first import %+v", res)
	}
	res, err = svc.ImportCases(context.Background(), strings.NewReader(file))
	if err != nil || res != (service.ImportResult{Updated: 2, Parties: 2}) {
		t.Errorf("second import %+v %v", res, err)
	}
	var cases []model.Case
	db.Order("case_no").Find(&cases)
	var parties int64
	db.Model(&model.Party{}).Count(&parties)
	if len(cases) != 2 || parties != 2 || cases[0].Stage != "审查起诉" || cases[1].Stage != "受理" || cases[0].Deadline == nil {
		t.Errorf("cases %+v, %d parties", cases, parties)
	}
}

// TestImportRefusesBadFile: a bad row names its line and field, and no
// row of the file is stored.
func TestImportRefusesBadFile(t *testing.T) {
	svc, db := newCaseService(t)
	for name, tc := range map[string]struct {
		file  string
		line  int
		field string
	}{
		"bad id number": {importHeader +
			"A-1,甲案,盗窃罪,2026-11-01,,,甲,犯罪嫌疑人,11010519491231002X\n" +
			"A-1,,,,,,乙,被害人,110105194912310022\n", 3, "party_id_number"},
		"bad date": {importHeader + "A-1,甲案,,2026-13-01,,,,,\n", 2, "accepted_at"},
		"conflicting case": {importHeader +
			"A-1,甲案,,2026-11-01,,,,,\n" +
			"A-1,丙案,,,,,,,\n", 3, "name"},
		"unknown stage":  {importHeader + "A-1,甲案,,2026-11-01,,结案了,,,\n", 2, "stage"},
		"missing column": {"case_no,name\nA-1,甲案\n", 1, "header"},
		"broken quoting": {importHeader + "A-1,\"甲案,,2026-11-01,,,,,\n", 2, "csv"},
	} {
		_, err := svc.ImportCases(context.Background(), strings.NewReader(tc.file))
		var ie *service.ImportError
		if !errors.As(err, &ie) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if ie.Problems[0].Line != tc.line || ie.Problems[0].Field != tc.field {
			t.Errorf("%s: first problem %+v, want line %d field %s", name, ie.Problems[0], tc.line, tc.field)
		}
		if !strings.Contains(err.Error(), "nothing imported") {
			t.Errorf("%s: message %q", name, err)
		}
	}
	var n int64
	db.Model(&model.Case{}).Count(&n)
	if n != 0 {
		t.Errorf("%d cases stored from refused files", n)
	}
}
