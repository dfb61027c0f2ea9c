package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// keysOf is the sorted key set of a JSON object.
func keysOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestH5CaseViewKeys: a party's case view sends exactly the procedural
// fields, the unit's contact details and the timeline — no prosecutor_id,
// no important flag, nothing a new column would add by default; staff and
// public lists name the unit by code and name.
func TestH5CaseViewKeys(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(21)})
	str := func(s string) *string { return &s }
	if _, err := f.Svc.CreateUnit(context.Background(), service.System, service.UnitInput{Code: str("bj-hd"), Name: str("北京市海淀区人民检察院"),
		ParentCode: str(model.RootUnitCode), Address: str("北京市海淀区某路 1 号"), Phone: str("010-12345678"), ReceptionHours: str("工作日 9:00-17:00")}); err != nil {
		t.Fatal(err)
	}
	var unit model.Unit
	if err := f.DB.Where("code = ?", "bj-hd").Take(&unit).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Model(&model.Case{}).Where("id = ?", id).Updates(map[string]any{"unit_id": unit.ID, "important": true}).Error; err != nil {
		t.Fatal(err)
	}
	party := f.LoginUser("keys-party")
	f.must(201, f.Do(party, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "张三", "id_number": idNumber(21)}))
	f.must(201, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/events", id), map[string]string{"stage": "提起公诉"}))

	caseKeys := []string{"accepted_at", "case_no", "cause", "closed", "days_left", "deadline", "department", "id", "measure",
		"name", "prosecutor", "result", "stage", "type", "unit", "updated_at"}
	detail := f.must(200, f.Do(party, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil))
	if got, want := keysOf(t, detail.Body), slices.Sorted(slices.Values(append([]string{"timeline"}, caseKeys...))); !slices.Equal(got, want) {
		t.Errorf("H5 case view keys\n got %v\nwant %v", got, want)
	}
	var d struct {
		Unit     json.RawMessage   `json:"unit"`
		Timeline []json.RawMessage `json:"timeline"`
	}
	detail.JSON(t, &d)
	if got := keysOf(t, d.Unit); !slices.Equal(got, []string{"address", "code", "name", "phone", "reception_hours"}) {
		t.Errorf("H5 unit keys %v", got)
	}
	if !strings.Contains(string(d.Unit), "010-12345678") || len(d.Timeline) != 1 {
		t.Errorf("unit %s timeline %d", d.Unit, len(d.Timeline))
	}
	if got := keysOf(t, d.Timeline[0]); !slices.Equal(got, []string{"description", "id", "occurred_at", "stage"}) {
		t.Errorf("H5 timeline keys %v", got)
	}
	var list struct{ Items []json.RawMessage }
	f.must(200, f.Do(party, "GET", "/api/h5/cases", nil)).JSON(t, &list)
	if len(list.Items) != 1 || !slices.Equal(keysOf(t, list.Items[0]), caseKeys) {
		t.Errorf("H5 case list keys %v", keysOf(t, list.Items[0]))
	}

	unitOf := func(raw json.RawMessage) []string {
		var v struct {
			Unit json.RawMessage `json:"unit"`
		}
		_ = json.Unmarshal(raw, &v)
		return keysOf(t, v.Unit)
	}
	f.must(200, f.Do(f.clerk, "GET", "/api/staff/cases", nil)).JSON(t, &list)
	if len(list.Items) != 1 || !slices.Equal(unitOf(list.Items[0]), []string{"code", "name"}) ||
		!strings.Contains(string(list.Items[0]), `"important":true`) {
		t.Errorf("staff case item %s", list.Items[0])
	}
	f.must(200, f.Do(handlertest.Anonymous, "GET", "/api/public/cases", nil)).JSON(t, &list)
	if len(list.Items) != 1 || !slices.Equal(unitOf(list.Items[0]), []string{"code", "name"}) {
		t.Errorf("public case item %s", list.Items)
	}
	if s := string(list.Items[0]); strings.Contains(s, "prosecutor") || strings.Contains(s, "important") {
		t.Errorf("public case item exposes staff fields: %s", s)
	}
}

// TestClosedCaseHasNoCountdown: once a case reaches 审结 it is closed and
// counts no days to its handling deadline; before, it does.
func TestClosedCaseHasNoCountdown(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(23)})
	party := f.LoginUser("closed-party")
	f.must(201, f.Do(party, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "张三", "id_number": idNumber(23)}))
	var c struct {
		Closed   bool `json:"closed"`
		DaysLeft *int `json:"days_left"`
		Deadline string
	}
	f.must(200, f.Do(party, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil)).JSON(t, &c)
	if c.Closed || c.DaysLeft == nil {
		t.Fatalf("open case: %+v", c)
	}
	f.must(201, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/events", id), map[string]string{"stage": "审结"}))
	c.DaysLeft = nil
	f.must(200, f.Do(party, "GET", fmt.Sprintf("/api/h5/cases/%d", id), nil)).JSON(t, &c)
	if !c.Closed || c.DaysLeft != nil || c.Deadline == "" {
		t.Fatalf("closed case: %+v, want closed, no days left, the deadline still shown", c)
	}
}

// TestCaseDeadlineNotBeforeAcceptance: a handling deadline before the
// acceptance date is a field error, from staff and the case system alike.
func TestCaseDeadlineNotBeforeAcceptance(t *testing.T) {
	f := newCaseFixture(t)
	body := map[string]any{"case_no": "京检刑受〔2026〕900号", "name": "期限测试案", "accepted_at": "2026-11-20", "deadline": "2026-11-19"}
	r := f.must(422, f.Do(f.clerk, "POST", "/api/staff/cases", body))
	if !strings.Contains(string(r.Body), `"deadline":"办案期限不能早于受理日期"`) {
		t.Errorf("staff: %s", r.Body)
	}
	raw, _ := json.Marshal(body)
	r = f.signed("PUT", "/api/integration/cases/X-900", raw)
	if r.Code != 422 || !strings.Contains(string(r.Body), `"deadline"`) {
		t.Errorf("integration: %d %s", r.Code, r.Body)
	}
	body["deadline"] = "2026-11-20" // the same day is allowed
	f.must(201, f.Do(f.clerk, "POST", "/api/staff/cases", body))
}

// TestPublicTitlesAreMasked: 重要案件信息 never names the parties — the
// title, texts and document titles show 张某 for 张三 — the console shows
// what will be published, and staff may set the public title themselves.
func TestPublicTitlesAreMasked(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(31)},
		service.PartyInput{Name: "欧阳小明", Role: "被害人", IDNumber: idNumber(32)})
	edit := map[string]any{"name": "张三涉嫌盗窃案", "accepted_at": "2026-11-20", "stage": "提起公诉", "important": true,
		"summary": "张三盗窃欧阳小明财物一案，已提起公诉。"}
	f.must(200, f.Do(f.clerk, "PUT", fmt.Sprintf("/api/staff/cases/%d", id), edit))
	doc := f.document(id, true)
	if err := f.DB.Model(&model.Document{}).Where("id = ?", doc).Update("title", "张三起诉书").Error; err != nil {
		t.Fatal(err)
	}
	public := func() string {
		return string(f.must(200, f.Do(handlertest.Anonymous, "GET", "/api/public/cases", nil)).Body) +
			string(f.must(200, f.Do(handlertest.Anonymous, "GET", "/api/public/documents", nil)).Body)
	}
	body := public()
	for _, want := range []string{`"name":"张某涉嫌盗窃案"`, "张某盗窃欧某财物", `"title":"张某起诉书"`} {
		if !strings.Contains(body, want) {
			t.Errorf("public pages lack %s: %s", want, body)
		}
	}
	if strings.Contains(body, "张三") || strings.Contains(body, "欧阳小明") {
		t.Errorf("public pages name a party: %s", body)
	}
	var staff struct {
		PublishedTitle string `json:"published_title"`
	}
	f.must(200, f.Do(f.clerk, "GET", fmt.Sprintf("/api/staff/cases/%d", id), nil)).JSON(t, &staff)
	if staff.PublishedTitle != "张某涉嫌盗窃案" {
		t.Errorf("console shows published title %q", staff.PublishedTitle)
	}

	edit["public_title"] = "某区一起盗窃案"
	f.must(200, f.Do(f.clerk, "PUT", fmt.Sprintf("/api/staff/cases/%d", id), edit))
	if body := public(); !strings.Contains(body, `"name":"某区一起盗窃案"`) {
		t.Errorf("staff's public title not published: %s", body)
	}
	// The case system's updates keep the title staff chose.
	raw, _ := json.Marshal(map[string]any{"name": "张三涉嫌盗窃案", "accepted_at": "2026-11-20", "stage": "提起公诉"})
	f.must(200, f.signed("PUT", "/api/integration/cases/"+url.PathEscape(no), raw))
	if body := public(); !strings.Contains(body, `"name":"某区一起盗窃案"`) {
		t.Errorf("an integration update dropped the public title: %s", body)
	}
}
