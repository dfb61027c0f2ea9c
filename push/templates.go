package push

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"zsjc/config"
	"zsjc/model"
	"zsjc/wechat"
)

// The values a push carries. Use cases write them into the outbox row's
// Data (service.Push.Data) under these semantic keys; the worker maps them
// to the template fields of the row's kind at send time, so changing a
// template in the WeChat console only needs a configuration change.
//
//	kind            keys the use case writes (all strings, all optional)
//	case_event      case_name, case_no, stage (当前阶段), time ("2006-01-02 15:04", office time), description
//	binding_result  case_name, case_no, result (已通过/已驳回/已解除), reason, time
//	review_result   case_name, case_no, item (e.g. "阅卷预约"), result (已确认/已驳回/已取消), time, place, reason
//	meeting_result  case_name, case_no, item (e.g. "申请会见"), result, time, place, reason
//	reminder        case_name, case_no, item, time, place
//	efile_result    case_name, case_no, item ("线上阅卷"), result (已通过/已驳回), time (download deadline), reason
//	efile_expiring  case_name, case_no, item, time (download deadline)
//	rating_invite   item (the request's kind, e.g. "会见申请"), case_name (its case, or what it was about), result, time
//	complaint_step  item ("控告申诉：" + category), result (待受理/已受理/已移送/已办结), time, reason (the step's note)
//
// Every push about a case also carries unit, the name of the case's unit
// (院), set when the push is queued.
const (
	KeyCaseName    = "case_name"
	KeyCaseNo      = "case_no"
	KeyStage       = "stage"
	KeyTime        = "time"
	KeyDescription = "description"
	KeyResult      = "result"
	KeyReason      = "reason"
	KeyItem        = "item"
	KeyPlace       = "place"
	KeyUnit        = "unit"
)

// MaxValueRunes is the platform's limit on a template value since 2023-05.
const MaxValueRunes = 20

// Template is the WeChat template a push kind is sent with. The defaults
// name each field's Chinese label beside it.
type Template struct {
	// Title is the template's name in the WeChat console (for people).
	Title string
	// ID is the template id the account got for it.
	ID string
	// Fields maps a template field ("thing1") to the semantic keys whose
	// values fill it, separated by spaces ("time place" → "12月3日 10:00 第一阅卷室").
	Fields map[string]string
	// Labels are the default fields' Chinese names, as WeChat shows them
	// (the sandbox phone shows them too).
	Labels map[string]string
}

// DefaultTemplates are the templates of each kind before configuration:
// the titles and fields of the industry templates an account picks, with
// ids left to the configuration (push.templates.<kind>.id).
func DefaultTemplates() map[string]Template {
	return map[string]Template{
		model.PushCaseEvent: {Title: "案件进展提醒", Fields: map[string]string{
			"thing1": KeyCaseName,
			"thing2": KeyStage,
			"time3":  KeyTime,
			"thing4": KeyUnit,
		}, Labels: map[string]string{"thing1": "案件名称", "thing2": "当前阶段", "time3": "时间", "thing4": "办案单位"}},
		model.PushBindingResult: {Title: "案件绑定结果通知", Fields: map[string]string{
			"thing1":  KeyCaseName,
			"phrase2": KeyResult,
			"thing3":  KeyReason,
			"thing4":  KeyUnit,
		}, Labels: map[string]string{"thing1": "案件名称", "phrase2": "绑定结果", "thing3": "说明", "thing4": "办案单位"}},
		// Time and place get a field each: joined, 20 characters drop the place.
		model.PushReviewResult: {Title: "预约结果通知", Fields: map[string]string{
			"thing1":  KeyItem,
			"phrase2": KeyResult,
			"time3":   KeyTime,
			"thing4":  KeyPlace,
			"thing5":  KeyReason,
		}, Labels: map[string]string{"thing1": "预约事项", "phrase2": "结果", "time3": "时间", "thing4": "地点", "thing5": "说明"}},
		model.PushMeetingResult: {Title: "会见申请结果通知", Fields: map[string]string{
			"thing1":  KeyItem,
			"phrase2": KeyResult,
			"time3":   KeyTime,
			"thing4":  KeyPlace,
			"thing5":  KeyReason,
		}, Labels: map[string]string{"thing1": "申请事项", "phrase2": "结果", "time3": "时间", "thing4": "地点", "thing5": "说明"}},
		model.PushReminder: {Title: "预约提醒", Fields: map[string]string{
			"thing1": KeyItem,
			"time2":  KeyTime,
			"thing3": KeyPlace,
			"thing4": KeyUnit,
		}, Labels: map[string]string{"thing1": "预约事项", "time2": "时间", "thing3": "地点", "thing4": "办理单位"}},
		model.PushEfileResult: {Title: "阅卷申请结果通知", Fields: map[string]string{
			"thing1":  KeyCaseName,
			"phrase2": KeyResult,
			"time3":   KeyTime,
			"thing4":  KeyReason,
			"thing5":  KeyUnit,
		}, Labels: map[string]string{"thing1": "案件名称", "phrase2": "审核结果", "time3": "下载截止", "thing4": "说明", "thing5": "办案单位"}},
		model.PushEfileExpiring: {Title: "阅卷到期提醒", Fields: map[string]string{
			"thing1": KeyCaseName,
			"thing2": KeyItem,
			"time3":  KeyTime,
			"thing4": KeyUnit,
		}, Labels: map[string]string{"thing1": "案件名称", "thing2": "办理事项", "time3": "到期时间", "thing4": "办案单位"}},
		model.PushRatingInvite: {Title: "服务评价邀请", Fields: map[string]string{
			"thing1":  KeyItem,
			"thing2":  KeyCaseName,
			"phrase3": KeyResult,
			"time4":   KeyTime,
			"thing5":  KeyUnit,
		}, Labels: map[string]string{"thing1": "办理事项", "thing2": "事项内容", "phrase3": "办理结果", "time4": "办结时间", "thing5": "办理单位"}},
		model.PushComplaintStep: {Title: "投诉办理进度通知", Fields: map[string]string{
			"thing1":  KeyItem,
			"phrase2": KeyResult,
			"time3":   KeyTime,
			"thing4":  KeyReason,
			"thing5":  KeyUnit,
		}, Labels: map[string]string{"thing1": "事项", "phrase2": "办理进度", "time3": "时间", "thing4": "说明", "thing5": "办理单位"}},
	}
}

// semanticKeys are the keys a template field may name.
var semanticKeys = []string{KeyCaseName, KeyCaseNo, KeyStage, KeyTime, KeyDescription, KeyResult, KeyReason, KeyItem, KeyPlace, KeyUnit}

// Templates returns the defaults overlaid by the configuration: a
// configured id replaces the empty one, configured fields replace the
// default mapping of that kind as a whole. An unknown kind or key is an
// error naming it.
func Templates(cfg map[string]config.Template) (map[string]Template, error) {
	out := DefaultTemplates()
	for _, kind := range slices.Sorted(maps.Keys(cfg)) {
		c := cfg[kind]
		t, ok := out[kind]
		if !ok {
			return nil, fmt.Errorf("unknown push kind %q (known: %s)", kind, strings.Join(slices.Sorted(maps.Keys(out)), ", "))
		}
		t.ID = c.ID
		if len(c.Fields) > 0 {
			for field, spec := range c.Fields {
				for _, key := range strings.Fields(spec) {
					if !slices.Contains(semanticKeys, key) {
						return nil, fmt.Errorf("%s field %s: unknown value %q (known: %s)", kind, field, key, strings.Join(semanticKeys, ", "))
					}
				}
			}
			t.Fields = maps.Clone(c.Fields)
			t.Labels = nil // the default names belong to the default fields
		}
		out[kind] = t
	}
	return out, nil
}

// errUnknownKind is a final error: no template can show the push.
var errUnknownKind = fmt.Errorf("no template for this push kind")

// renderer turns outbox rows into template messages.
type renderer struct {
	templates map[string]Template
	// publicURL makes links absolute ("" leaves them relative: dev, tests).
	publicURL string
}

// render builds the template message of row. Its errors are final: a
// retry cannot fix a row whose kind or data is wrong.
func (r renderer) render(row model.PushMessage) (wechat.TemplateMessage, error) {
	t, ok := r.templates[row.Kind]
	if !ok {
		return wechat.TemplateMessage{}, fmt.Errorf("push kind %q: %w", row.Kind, errUnknownKind)
	}
	var values map[string]string
	if row.Data != "" {
		if err := json.Unmarshal([]byte(row.Data), &values); err != nil {
			return wechat.TemplateMessage{}, fmt.Errorf("push data is not an object of strings: %w", err)
		}
	}
	data := make(map[string]string, len(t.Fields))
	for _, field := range slices.Sorted(maps.Keys(t.Fields)) {
		if v := fieldOf(strings.Fields(t.Fields[field]), values); v != "" {
			data[field] = v
		}
	}
	return wechat.TemplateMessage{
		ToUser: row.OpenID, TemplateID: t.ID, URL: r.link(row.URL), Data: data, ClientMsgID: row.ClientMsgID,
	}, nil
}

// link sends the user through the OAuth login to the row's H5 page.
func (r renderer) link(path string) string {
	if path == "" {
		return ""
	}
	return strings.TrimRight(r.publicURL, "/") + "/h5/login?next=" + url.QueryEscape(path)
}

// fieldOf joins the values of keys into one template value. When they do
// not fit, they are first shortened by meaning — the time loses its year,
// the place its office prefix and parenthesised address — and only then
// cut by characters, so a place is not lost to the cut.
func fieldOf(keys []string, values map[string]string) string {
	parts := make([]string, 0, len(keys))
	for _, key := range keys {
		if v := strings.Join(strings.Fields(values[key]), " "); v != "" {
			parts = append(parts, v)
		}
	}
	joined := strings.Join(parts, " ")
	if utf8.RuneCountInString(joined) <= MaxValueRunes {
		return joined
	}
	short := make([]string, 0, len(parts))
	i := 0
	for _, key := range keys {
		if strings.TrimSpace(values[key]) == "" {
			continue
		}
		short = append(short, shorten(key, parts[i]))
		i++
	}
	return FieldValue(strings.Join(short, " "))
}

var (
	yearPrefix   = regexp.MustCompile(`^\d{4}(?:-|年)`)
	officePrefix = regexp.MustCompile(`^(?:本院|\p{Han}{2,12}人民检察院)`)
	parenthetic  = regexp.MustCompile(`\s*[（(][^）)]*[）)]`)
)

// shorten is the shorter form of a value that keeps its meaning:
// "2026-12-03 09:00" → "12-03 09:00", "本院第二阅卷室（东区三楼）" → "第二阅卷室".
func shorten(key, v string) string {
	switch key {
	case KeyTime:
		return yearPrefix.ReplaceAllString(v, "")
	case KeyPlace:
		if s := strings.TrimSpace(parenthetic.ReplaceAllString(officePrefix.ReplaceAllString(v, ""), "")); s != "" {
			return s
		}
	}
	return v
}

// FieldValue makes s acceptable as a template value: line breaks and runs
// of white space become one space, and a value longer than MaxValueRunes is
// cut on a character boundary, its last character replaced by "…".
func FieldValue(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= MaxValueRunes {
		return s
	}
	runes := []rune(s)
	return string(runes[:MaxValueRunes-1]) + "…"
}
