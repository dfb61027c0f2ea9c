package push

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

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
	// Types are field types stated in the configuration, for fields whose
	// name does not tell (keyword1); other fields' types come from their
	// names (TypeOf).
	Types map[string]FieldType
	// Subscribe is the subscribe-notice template (订阅通知) the kind is
	// sent with to users who accepted it; nil: template messages only.
	Subscribe *Template
}

// typeOf is the type of one of t's fields.
func (t Template) typeOf(field string) FieldType {
	if ft, ok := t.Types[field]; ok {
		return ft
	}
	return TypeOf(field)
}

// check refuses a mapping that no value can make valid, naming the field.
func (t Template) check() error {
	for _, field := range slices.Sorted(maps.Keys(t.Fields)) {
		if err := checkMapping(field, t.typeOf(field), strings.Fields(t.Fields[field])); err != nil {
			return err
		}
	}
	return nil
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
// default mapping of that kind as a whole, configured types name the
// types of fields. An unknown kind, key or type is an error naming it, and
// so is a mapping whose values cannot be valid for the field's type
// (checkMapping).
func Templates(cfg map[string]config.Template) (map[string]Template, error) {
	out := DefaultTemplates()
	for _, kind := range slices.Sorted(maps.Keys(cfg)) {
		c := cfg[kind]
		t, ok := out[kind]
		if !ok {
			return nil, fmt.Errorf("unknown push kind %q (known: %s)", kind, strings.Join(slices.Sorted(maps.Keys(out)), ", "))
		}
		t, err := overlay(kind, t, c)
		if err != nil {
			return nil, err
		}
		if c.Subscribe != nil {
			if c.Subscribe.ID == "" || c.Subscribe.Subscribe != nil {
				return nil, fmt.Errorf("%s subscribe: needs the id of the subscribe-notice template (and no subscribe of its own)", kind)
			}
			sub, err := overlay(kind+" subscribe", Template{Title: t.Title, Fields: t.Fields, Labels: t.Labels, Types: t.Types}, *c.Subscribe)
			if err != nil {
				return nil, err
			}
			t.Subscribe = &sub
		}
		out[kind] = t
	}
	return out, nil
}

// overlay applies one template's configuration to t (named what in errors).
func overlay(what string, t Template, c config.Template) (Template, error) {
	t.ID = c.ID
	if len(c.Fields) > 0 {
		for field, spec := range c.Fields {
			for _, key := range strings.Fields(spec) {
				if !slices.Contains(semanticKeys, key) {
					return t, fmt.Errorf("%s field %s: unknown value %q (known: %s)", what, field, key, strings.Join(semanticKeys, ", "))
				}
			}
		}
		t.Fields = maps.Clone(c.Fields)
		t.Labels = nil // the default names belong to the default fields
	}
	if len(c.Types) > 0 {
		t.Types = make(map[string]FieldType, len(c.Types))
		for field, name := range c.Types {
			ft, err := ParseFieldType(name)
			if err != nil {
				return t, fmt.Errorf("%s field %s: %w", what, field, err)
			}
			t.Types[field] = ft
		}
	}
	if err := t.check(); err != nil {
		return t, fmt.Errorf("%s %w", what, err)
	}
	return t, nil
}

// errUnknownKind is a final error: no template can show the push.
var errUnknownKind = fmt.Errorf("no template for this push kind")

// errNoSubscribeTemplate is a final error: the kind is not configured for
// subscribe notices (any more).
var errNoSubscribeTemplate = fmt.Errorf("no subscribe-notice template for this push kind")

// renderer turns outbox rows into template messages and subscribe notices.
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
	data, err := fill(t, row)
	if err != nil {
		return wechat.TemplateMessage{}, err
	}
	return wechat.TemplateMessage{
		ToUser: row.OpenID, TemplateID: t.ID, URL: r.link(row.URL), Data: data, ClientMsgID: row.ClientMsgID,
	}, nil
}

// subscribeMessage builds the subscribe notice of row; its errors are
// final like render's.
func (r renderer) subscribeMessage(row model.PushMessage) (wechat.SubscribeMessage, error) {
	t, ok := r.templates[row.Kind]
	if !ok || t.Subscribe == nil {
		return wechat.SubscribeMessage{}, fmt.Errorf("push kind %q: %w", row.Kind, errNoSubscribeTemplate)
	}
	data, err := fill(*t.Subscribe, row)
	if err != nil {
		return wechat.SubscribeMessage{}, err
	}
	return wechat.SubscribeMessage{ToUser: row.OpenID, TemplateID: t.Subscribe.ID, Page: r.link(row.URL), Data: data}, nil
}

// fill maps row's values to t's fields, each fitted to its type.
func fill(t Template, row model.PushMessage) (map[string]string, error) {
	var values map[string]string
	if row.Data != "" {
		if err := json.Unmarshal([]byte(row.Data), &values); err != nil {
			return nil, fmt.Errorf("push data is not an object of strings: %w", err)
		}
	}
	data := make(map[string]string, len(t.Fields))
	for _, field := range slices.Sorted(maps.Keys(t.Fields)) {
		if v := fieldOf(t.typeOf(field), strings.Fields(t.Fields[field]), values); v != "" {
			data[field] = v
		}
	}
	return data, nil
}

// link sends the user through the OAuth login to the row's H5 page.
func (r renderer) link(path string) string {
	if path == "" {
		return ""
	}
	return strings.TrimRight(r.publicURL, "/") + "/h5/login?next=" + url.QueryEscape(path)
}

// fieldOf joins the values of keys into one value of a field of type t.
// When they do not fit its rule, they are first shortened by meaning — the
// time loses its year, the place its office prefix and parenthesised
// address — and only then fitted (Fit), so a place is not lost to the cut.
func fieldOf(t FieldType, keys []string, values map[string]string) string {
	parts := make([]string, 0, len(keys))
	for _, key := range keys {
		if v := strings.Join(strings.Fields(values[key]), " "); v != "" {
			parts = append(parts, v)
		}
	}
	joined := strings.Join(parts, " ")
	if fit := Fit(t, joined); fit == joined || t.limit() == 0 {
		return fit // values that are not cut by length are kept or left out whole
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
	return Fit(t, strings.Join(short, " "))
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
