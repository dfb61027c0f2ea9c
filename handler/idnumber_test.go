package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/secure"
	"zsjc/testenv"
)

// TestIDNumberNeverInPlaintext drives every path an id number travels —
// staff party entry and views, party binding (matching, mismatching,
// malformed), the integration API, the staff queue, a CSV import — then
// greps every HTTP response, every log line and every column of every
// table for the numbers in plaintext.
func TestIDNumberNeverInPlaintext(t *testing.T) {
	f := newCaseFixture(t)
	var seen bytes.Buffer
	do := func(c handlertest.Caller, method, path string, body any) handlertest.Response {
		r := f.Do(c, method, path, body)
		fmt.Fprintf(&seen, "%v\n%s\n", r.Header, r.Body)
		return r
	}
	ids := []string{idNumber(101), idNumber(102), idNumber(103), idNumber(104), idNumber(105)}

	id, no := f.newCase()
	do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/parties", id), map[string]string{"name": "甲", "role": "被害人", "id_number": ids[0]})
	do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/parties", id), map[string]string{"name": "甲", "role": "被害人", "id_number": ids[0]}) // duplicate
	do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/parties", id), map[string]string{"name": "乙", "role": "无", "id_number": ids[1][:17] + "?"})
	do(f.clerk, "GET", fmt.Sprintf("/api/staff/cases/%d/parties", id), nil)
	u := f.LoginUser("leak-check")
	do(u, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "错", "id_number": ids[0]})
	do(u, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "甲", "id_number": ids[2][:17] + "0"})
	do(u, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "甲", "id_number": ids[0]})
	do(u, "GET", "/api/h5/bindings", nil)
	do(u, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil)
	do(f.clerk, "GET", "/api/staff/bindings?status=approved", nil)
	do(f.clerk, "GET", fmt.Sprintf("/api/staff/cases/%d", id), nil)

	for _, list := range [][]map[string]string{
		{{"name": "丙", "role": "犯罪嫌疑人", "id_number": ids[3]}},
		{{"name": "丁", "role": "被害人", "id_number": ids[4][:16] + "X1"}},
	} {
		body, _ := json.Marshal(map[string]any{"name": "丙案", "accepted_at": "2026-11-01", "stage": "受理", "parties": list})
		f.Clock.Advance(time.Second) // a fresh signature
		r := f.signed("PUT", "/api/integration/cases/"+url.PathEscape("京检刑受〔2026〕7号"), body)
		fmt.Fprintf(&seen, "%v\n%s\n", r.Header, r.Body)
	}
	csv := "case_no,name,accepted_at,party_name,party_role,party_id_number\n" +
		"京检刑受〔2026〕8号,戊案,2026-11-02,戊,被害人," + ids[4] + "\n"
	if _, err := f.Svc.ImportCases(context.Background(), strings.NewReader(csv)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.ImportCases(context.Background(), strings.NewReader(csv+"x,y,2026-11-02,z,被害人,"+ids[1][:17]+"?\n")); err != nil {
		fmt.Fprintln(&seen, err.Error()) // the CLI prints this
	} else {
		t.Fatal("bad import accepted")
	}

	var dump strings.Builder
	for _, m := range model.All() {
		stmt := &gorm.Statement{DB: f.DB}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := f.DB.Table(stmt.Schema.Table).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for col, v := range row {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&dump, "%s.%s=%v\n", stmt.Schema.Table, col, v)
			}
		}
	}
	var parties int64
	f.DB.Model(&model.Party{}).Count(&parties)
	if parties != 3 {
		t.Fatalf("%d parties stored, want 3 (the scenario did not run as planned)", parties)
	}
	var sealed []model.Party
	f.DB.Find(&sealed)
	for _, p := range sealed {
		if got := secure.Describe(p.IDNumberEnc); got != testenv.Crypto()+"/"+secure.KeyID(handlertest.TestDataKey) {
			t.Errorf("party %d sealed %s, want the %s suite", p.ID, got, testenv.Crypto())
		}
	}
	for where, text := range map[string]string{"HTTP responses": seen.String(), "logs": f.Logs.String(), "database": dump.String()} {
		for _, id := range append(ids, ids[1][:17], ids[2][:17], ids[4][:16]) {
			if strings.Contains(text, id) {
				t.Errorf("%s contain id number %s in plaintext", where, id)
			}
		}
	}
	if !strings.Contains(dump.String(), "id_number_mask=1101**********") {
		t.Errorf("masked numbers missing from the dump: the grep looked at nothing")
	}
}
