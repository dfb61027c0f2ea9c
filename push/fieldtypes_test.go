package push

import (
	"strings"
	"testing"
	"unicode/utf8"

	"zsjc/config"
	"zsjc/model"
)

// TestFitEveryFieldType holds each type to the platform's published rule
// (since 2023-05-04; a value that breaks it fails the send with 47003):
// valid values pass unchanged, others are cut or reformatted by meaning,
// and what cannot be made valid is left out ("").
func TestFitEveryFieldType(t *testing.T) {
	long := "张某某涉嫌非法吸收公众存款及集资诈骗等多项罪名一案" // 25 characters
	for _, tc := range []struct {
		typ     FieldType
		in, out string
	}{
		// thing: ≤ 20 characters of any kind.
		{TypeThing, "王某盗窃案", "王某盗窃案"},
		{TypeThing, strings.Repeat("案", 20), strings.Repeat("案", 20)},
		{TypeThing, long, string([]rune(long)[:19]) + "…"},
		{TypeThing, "退回补充侦查，需补充鉴定意见及证人证言后再次移送", "退回补充侦查，需补充鉴定意见及证人证言…"},
		{TypeThing, "案件已移送审查起诉，请律师于三日内阅卷并提交意见", "案件已移送审查起诉…"},
		{TypeThing, "第一阅卷室\n 二楼", "第一阅卷室 二楼"},
		{TypeUntyped, long, string([]rune(long)[:19]) + "…"},
		// phrase: ≤ 5 Chinese characters only, no ellipsis.
		{TypePhrase, "已通过", "已通过"},
		{TypePhrase, "已驳回（材料不全）", "已驳回材料"},
		{TypePhrase, "OK 已确认", "已确认"},
		{TypePhrase, "OK", ""},
		// character_string: ≤ 32 printable ASCII.
		{TypeCharacterString, "2026-12-03 09:00", "2026-12-03 09:00"},
		{TypeCharacterString, strings.Repeat("A1-", 12), strings.Repeat("A1-", 10) + "A1"},
		{TypeCharacterString, "京检刑诉受[2024]1号", ""},
		// name: ≤ 10 characters, or ≤ 20 letters.
		{TypeName, "张三", "张三"},
		{TypeName, "欧阳娜娜娜娜娜娜娜娜娜娜", "欧阳娜娜娜娜娜娜娜娜"},
		{TypeName, "Alexander Hamilton Jr", "Alexander Hamilton J"},
		// time: 2006年01月02日 15:04 or 2006-01-02 15:04.
		{TypeTime, "2026-12-03 09:00", "2026-12-03 09:00"},
		{TypeTime, "2026年12月03日 09:00", "2026年12月03日 09:00"},
		{TypeTime, "2026-12-03 09:00:30", "2026年12月03日 09:00"},
		{TypeTime, "2026-12-03T09:00:00+08:00", "2026年12月03日 09:00"},
		{TypeTime, "12月3日上午", ""},
		// date: 2006年01月02日.
		{TypeDate, "2026-12-03", "2026年12月03日"},
		{TypeDate, "2026-12-03 09:00", "2026年12月03日"},
		{TypeDate, "下周一", ""},
		// amount: a currency sign, ≤ 10 digits, 2 decimals, 元.
		{TypeAmount, "¥1,200.50", "¥1200.50"},
		{TypeAmount, "300元", "300元"},
		{TypeAmount, "三百元", ""},
		{TypeAmount, "12345678901", ""},
		// number: digits, decimals.
		{TypeNumber, "42", "42"},
		{TypeNumber, "3.5", "3.5"},
		{TypeNumber, "第3号", ""},
		// letter: ≤ 32 letters; symbol: ≤ 5 symbols.
		{TypeLetter, "ABC", "ABC"},
		{TypeLetter, "AB1", ""},
		{TypeSymbol, "#-*", "#-*"},
		{TypeSymbol, "######", ""},
		// car_number: ≤ 8, Chinese first (and last), letters and digits between.
		{TypeCarNumber, "京a12345", "京A12345"},
		{TypeCarNumber, "京A1234警", "京A1234警"},
		{TypeCarNumber, "A12345", ""},
		// phone_number: ≤ 17 digits and symbols.
		{TypePhoneNumber, "010-12309", "010-12309"},
		{TypePhoneNumber, "+86 138 0000 0000 1", ""},
		{TypePhoneNumber, "电话12309", ""},
	} {
		got := Fit(tc.typ, tc.in)
		if got != tc.out {
			t.Errorf("Fit(%s, %q) = %q, want %q", tc.typ, tc.in, got, tc.out)
		}
		if n := utf8.RuneCountInString(got); tc.typ.limit() > 0 && n > tc.typ.limit() && !(tc.typ == TypeName && n <= maxNameLetters) {
			t.Errorf("Fit(%s, %q) has %d characters", tc.typ, tc.in, n)
		}
	}
}

func TestTypeOfReadsTheFieldName(t *testing.T) {
	for field, want := range map[string]FieldType{
		"thing1": TypeThing, "character_string12": TypeCharacterString, "phrase2": TypePhrase, "time3": TypeTime,
		"car_number4": TypeCarNumber, "phone_number5": TypePhoneNumber, "keyword1": TypeUntyped, "first": TypeUntyped,
		"thing": TypeUntyped,
	} {
		if got := TypeOf(field); got != want {
			t.Errorf("TypeOf(%s) = %q, want %q", field, got, want)
		}
	}
}

// TestMappingsThatCannotBeValidAreRefusedAtStart: a case number or name
// may hold Chinese, so it cannot go to a character_string field; the error
// names the kind and the field.
func TestMappingsThatCannotBeValidAreRefusedAtStart(t *testing.T) {
	for _, tc := range []struct {
		tpl  config.Template
		want string
	}{
		{config.Template{Fields: map[string]string{"character_string1": "case_no"}}, "case_event field character_string1 (character_string) cannot show case_no"},
		{config.Template{Fields: map[string]string{"keyword1": "case_name"}, Types: map[string]string{"keyword1": "character_string"}}, "field keyword1 (character_string) cannot show case_name"},
		{config.Template{Fields: map[string]string{"time2": "time place"}}, "field time2 (time) cannot show time"},
		{config.Template{Fields: map[string]string{"amount2": "description"}}, "field amount2 (amount) cannot show description"},
		{config.Template{Fields: map[string]string{"keyword1": "stage"}, Types: map[string]string{"keyword1": "colour"}}, `unknown field type "colour"`},
	} {
		_, err := Templates(map[string]config.Template{model.PushCaseEvent: tc.tpl})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.tpl, err, tc.want)
		}
	}
	ok := map[string]config.Template{model.PushCaseEvent: {Fields: map[string]string{
		"character_string1": "time", "thing2": "case_no description", "date3": "time", "keyword4": "case_name"}}}
	if _, err := Templates(ok); err != nil {
		t.Fatalf("valid mapping refused: %v", err)
	}
}

// TestRenderFitsEachFieldToItsType: the same values reach fields of
// different types each in its valid form.
func TestRenderFitsEachFieldToItsType(t *testing.T) {
	templates, err := Templates(map[string]config.Template{model.PushCaseEvent: {ID: "T", Fields: map[string]string{
		"thing1": "case_no", "phrase2": "stage", "date3": "time", "character_string4": "time", "thing5": "description",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := renderer{templates: templates}.render(model.PushMessage{Kind: model.PushCaseEvent,
		Data: `{"case_no":"京检刑诉受[2024]1号","stage":"审查起诉阶段","time":"2026-12-03 09:00","description":"案件已移送审查起诉，请律师于三日内阅卷并提交书面意见"}`})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"thing1": "京检刑诉受[2024]1号", "phrase2": "审查起诉阶", "date3": "2026年12月03日",
		"character_string4": "2026-12-03 09:00", "thing5": "案件已移送审查起诉…"}
	for k, v := range want {
		if msg.Data[k] != v {
			t.Errorf("%s = %q, want %q", k, msg.Data[k], v)
		}
	}
}
