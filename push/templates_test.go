package push

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"zsjc/config"
	"zsjc/model"
)

func TestThingCutsAThirtyCharacterCaseNameOnARuneBoundary(t *testing.T) {
	name := "张某某涉嫌非法吸收公众存款及集资诈骗等多项罪名一案审查起诉阶段案件" // 33 characters
	name = string([]rune(name)[:30])
	got := Fit(TypeThing, name)
	if !utf8.ValidString(got) {
		t.Fatalf("not valid UTF-8: %q", got)
	}
	if n := utf8.RuneCountInString(got); n != MaxValueRunes {
		t.Fatalf("%d characters, want %d: %q", n, MaxValueRunes, got)
	}
	if want := string([]rune(name)[:MaxValueRunes-1]) + "…"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if short := "王某盗窃案"; Fit(TypeThing, short) != short {
		t.Fatalf("a short value changed: %q", Fit(TypeThing, short))
	}
	if got := Fit(TypeThing, string([]rune(name)[:MaxValueRunes])); utf8.RuneCountInString(got) != MaxValueRunes || strings.HasSuffix(got, "…") {
		t.Fatalf("exactly %d characters must stay whole, got %q", MaxValueRunes, got)
	}
}

func TestThingRemovesLineBreaks(t *testing.T) {
	if got := Fit(TypeThing, "审查起诉\r\n  （第二次）\t退回"); got != "审查起诉 （第二次） 退回" {
		t.Fatalf("got %q", got)
	}
}

func TestRenderMapsSemanticKeysToTemplateFields(t *testing.T) {
	templates, err := Templates(map[string]config.Template{
		model.PushReviewResult: {ID: "TPL-REVIEW"},
		model.PushCaseEvent:    {ID: "TPL-CASE", Fields: map[string]string{"keyword1": "case_name", "keyword2": "stage"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := renderer{templates: templates, publicURL: "https://zsjc.example.gov.cn/"}
	msg, err := r.render(model.PushMessage{
		OpenID: "o1", Kind: model.PushReviewResult, ClientMsgID: "cmid", URL: "/h5/reviews/7",
		Data: `{"item":"阅卷预约 12月3日上午","result":"已确认","time":"2026-12-03 09:00","place":"第一阅卷室\n二楼"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"thing1": "阅卷预约 12月3日上午", "phrase2": "已确认", "time3": "2026-12-03 09:00", "thing4": "第一阅卷室 二楼"}
	if len(msg.Data) != len(want) {
		t.Fatalf("data %v, want %v (empty reason left out)", msg.Data, want)
	}
	for k, v := range want {
		if msg.Data[k] != v {
			t.Fatalf("%s = %q, want %q", k, msg.Data[k], v)
		}
	}
	if msg.TemplateID != "TPL-REVIEW" || msg.ToUser != "o1" || msg.ClientMsgID != "cmid" {
		t.Fatalf("message %+v", msg)
	}
	if msg.URL != "https://zsjc.example.gov.cn/h5/login?next=%2Fh5%2Freviews%2F7" {
		t.Fatalf("link %q", msg.URL)
	}

	// A configured field mapping replaces the default one of its kind.
	msg, err = r.render(model.PushMessage{Kind: model.PushCaseEvent, Data: `{"case_name":"王某盗窃案","stage":"审查起诉","time":"x"}`})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Data) != 2 || msg.Data["keyword1"] != "王某盗窃案" || msg.Data["keyword2"] != "审查起诉" || msg.URL != "" {
		t.Fatalf("configured mapping: %+v", msg)
	}

	if _, err := r.render(model.PushMessage{Kind: "unknown"}); err == nil {
		t.Fatal("unknown kind rendered")
	}
	if _, err := r.render(model.PushMessage{Kind: model.PushReminder, Data: `[1]`}); err == nil {
		t.Fatal("non-object data rendered")
	}
}

func TestTemplatesRefuseUnknownKindsAndKeys(t *testing.T) {
	if _, err := Templates(map[string]config.Template{"case_events": {ID: "x"}}); err == nil || !strings.Contains(err.Error(), "case_events") {
		t.Fatalf("unknown kind: %v", err)
	}
	bad := map[string]config.Template{model.PushReminder: {ID: "x", Fields: map[string]string{"thing1": "time venue"}}}
	if _, err := Templates(bad); err == nil || !strings.Contains(err.Error(), "venue") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestEveryPushKindHasAChineseDefaultTemplate(t *testing.T) {
	defaults := DefaultTemplates()
	for _, kind := range []string{model.PushCaseEvent, model.PushBindingResult, model.PushReviewResult,
		model.PushMeetingResult, model.PushReminder} {
		tpl, ok := defaults[kind]
		if !ok || tpl.Title == "" || len(tpl.Fields) == 0 {
			t.Fatalf("kind %s: default %+v", kind, tpl)
		}
	}
}

func TestTemplatesFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zsjc.yaml")
	yaml := `push:
  concurrency: 16
  templates:
    case_event:
      id: TPL-CASE-EVENT
    review_result:
      id: TPL-REVIEW
      fields: {keyword1: item, keyword2: result, keyword3: time place}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" }, path)
	if err != nil {
		t.Fatal(err)
	}
	templates, err := Templates(cfg.Push.Templates)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Push.Concurrency != 16 || templates[model.PushCaseEvent].ID != "TPL-CASE-EVENT" ||
		templates[model.PushCaseEvent].Fields["thing2"] != KeyStage ||
		templates[model.PushReviewResult].Fields["keyword3"] != "time place" || templates[model.PushReminder].ID != "" {
		t.Fatalf("templates %+v", templates)
	}
}

// TestTimeAndPlaceKeepTheirMeaning: by default time and place are two
// fields; a template that joins them shortens by meaning (no year, the
// room's own name) before it cuts characters, so the place survives.
func TestTimeAndPlaceKeepTheirMeaning(t *testing.T) {
	data := `{"item":"阅卷预约","result":"已确认","time":"2026-12-03 09:00","place":"北京市朝阳区人民检察院第二阅卷室（东区三楼）"}`
	templates, err := Templates(map[string]config.Template{
		model.PushMeetingResult: {ID: "TPL-M", Fields: map[string]string{"thing1": "item", "thing3": "time place"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := renderer{templates: templates}
	split, err := r.render(model.PushMessage{Kind: model.PushReviewResult, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if split.Data["time3"] != "2026-12-03 09:00" || split.Data["thing4"] != "第二阅卷室" {
		t.Errorf("default fields: time3 %q thing4 %q", split.Data["time3"], split.Data["thing4"])
	}
	joined, err := r.render(model.PushMessage{Kind: model.PushMeetingResult, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if got := joined.Data["thing3"]; got != "12-03 09:00 第二阅卷室" {
		t.Errorf("joined time and place: %q, want the year dropped and the room kept", got)
	}
	if got := fieldOf(TypeThing, []string{"place"}, map[string]string{"place": "本院第一阅卷室"}); got != "本院第一阅卷室" {
		t.Errorf("a value that fits is shortened: %q", got)
	}
}
