package push

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// TestCaseEventPushesEveryApprovedBindingOnce follows a case event from the
// use case to the phone: three approved bindings and one pending on the
// case (and an approved one on another case) give exactly three pushes,
// the case system replaying the event adds none, and the worker shows each
// of the three once, the 30-character case name cut to 20 characters.
func TestCaseEventPushesEveryApprovedBindingOnce(t *testing.T) {
	env := handlertest.New(t)
	ctx := context.Background()
	name := string([]rune("张某某涉嫌非法吸收公众存款及集资诈骗等多项罪名一案审查起诉阶段案件")[:30])
	theCase := model.Case{CaseNo: "京检刑诉〔2026〕101号", Name: name, Stage: "审查起诉", AcceptedAt: start}
	other := model.Case{CaseNo: "京检刑诉〔2026〕102号", Name: "李某盗窃案", Stage: "审查起诉", AcceptedAt: start}
	for _, c := range []*model.Case{&theCase, &other} {
		if err := env.DB.Create(c).Error; err != nil {
			t.Fatal(err)
		}
	}
	bind := func(openid string, c model.Case, status model.Status) {
		u := env.LoginUser(openid)
		b := model.Binding{UserID: u.UserID, CaseID: c.ID, Role: model.RoleParty, Status: status,
			LiveKey: model.LiveKey(u.UserID, c.ID)}
		if err := env.DB.Create(&b).Error; err != nil {
			t.Fatal(err)
		}
	}
	approved := []string{"o-approved-1", "o-approved-2", "o-approved-3"}
	for _, openid := range approved {
		bind(openid, theCase, model.StatusApproved)
	}
	bind("o-pending", theCase, model.StatusPending)
	bind("o-other-case", other, model.StatusApproved)

	event := service.EventInput{EventID: "SYS-EV-1", Stage: "提起公诉", Description: "已向人民法院提起公诉",
		OccurredAt: "2026-12-02T10:30:00+08:00"}
	for range 2 { // the case system delivers the event twice
		if _, _, err := env.Svc.IntegrationEvent(ctx, theCase.CaseNo, event); err != nil {
			t.Fatal(err)
		}
	}
	var rows []model.PushMessage
	if err := env.DB.Order("open_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var recipients []string
	for _, r := range rows {
		if r.Kind != model.PushCaseEvent || r.Status != model.StatusQueued {
			t.Fatalf("push %+v", r)
		}
		recipients = append(recipients, r.OpenID)
	}
	if !slices.Equal(recipients, approved) {
		t.Fatalf("pushes to %v, want exactly %v", recipients, approved)
	}

	platform, apiBase := startPlatform(t, 0)
	inst := newInstance(env.DB, env.Cache, weChatClient(t, apiBase, env.Cache),
		Options{Poll: 5 * time.Millisecond, PublicURL: "https://zsjc.example.gov.cn", Now: env.Clock.Now})
	run(t, inst.w, 10*time.Second, func() bool { return countRows(t, env.DB, "status = ?", model.StatusSent) == 3 })

	shown := platform.Sent()
	if len(shown) != 3 {
		t.Fatalf("%d messages shown, want 3", len(shown))
	}
	for _, m := range shown {
		if !slices.Contains(approved, m.ToUser) {
			t.Fatalf("message to %s", m.ToUser)
		}
		caseName := m.Data["thing1"]
		if utf8.RuneCountInString(caseName) != MaxValueRunes || caseName != string([]rune(name)[:MaxValueRunes-1])+"…" {
			t.Fatalf("case name shown as %q", caseName)
		}
		if m.Data["thing2"] != "提起公诉" || m.Data["time3"] != "2026-12-02 10:30" {
			t.Fatalf("data %v", m.Data)
		}
		want := "https://zsjc.example.gov.cn/h5/login?next=" + url.QueryEscape(fmt.Sprintf("/h5/cases/%d", theCase.ID))
		if m.URL != want {
			t.Fatalf("link %q, want %q", m.URL, want)
		}
	}
}
