package handler_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

func TestStaffPushesListAndRetry(t *testing.T) {
	env := handlertest.New(t)
	manager := env.LoginStaff(model.StaffCaseManager)
	insert := func(key string, status model.Status) model.PushMessage {
		row := model.PushMessage{OpenID: "o-" + key, Kind: model.PushBindingResult, DedupKey: key + ":o-" + key,
			ClientMsgID: service.ClientMsgID(key), Data: `{"case_name":"王某盗窃案","result":"已通过"}`,
			Status: status, Attempts: 1, NextAttemptAt: time.Now().UTC(), LastError: "wechat errcode 43004: require subscribe"}
		if err := env.DB.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		return row
	}
	failed := insert("binding:1", model.StatusFailed)
	insert("binding:2", model.StatusSent)

	res := env.Do(manager, http.MethodGet, "/api/staff/pushes?status=failed", nil)
	var page struct {
		Items []struct {
			ID          uint64            `json:"id"`
			Status      string            `json:"status"`
			StatusLabel string            `json:"status_label"`
			Data        map[string]string `json:"data"`
			LastError   string            `json:"last_error"`
			OpenID      string            `json:"openid"`
			DedupKey    string            `json:"dedup_key"`
			Cause       string            `json:"cause"`
		} `json:"items"`
	}
	res.JSON(t, &page)
	if res.Code != http.StatusOK || len(page.Items) != 1 || page.Items[0].ID != failed.ID ||
		page.Items[0].StatusLabel != "发送失败" || page.Items[0].Data["case_name"] != "王某盗窃案" ||
		page.Items[0].OpenID != "" || page.Items[0].DedupKey != "" || page.Items[0].Cause != "binding:1" {
		t.Fatalf("failed list: %d %s", res.Code, res.Body)
	}
	if strings.Contains(string(res.Body), "o-binding") {
		t.Fatalf("the list shows the recipient's openid: %s", res.Body)
	}
	if res := env.Do(manager, http.MethodGet, "/api/staff/pushes?status=lost", nil); res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad status filter: %d %s", res.Code, res.Body)
	}

	path := fmt.Sprintf("/api/staff/pushes/%d/retry", failed.ID)
	if res := env.Do(env.LoginStaff(model.StaffProsecutor), http.MethodPost, path, nil); res.Code != http.StatusForbidden {
		t.Fatalf("prosecutor retry: %d", res.Code)
	}
	res = env.Do(manager, http.MethodPost, path, nil)
	var item struct {
		Status   string `json:"status"`
		Attempts int    `json:"attempts"`
	}
	res.JSON(t, &item)
	if res.Code != http.StatusOK || item.Status != "queued" || item.Attempts != 0 {
		t.Fatalf("retry: %d %s", res.Code, res.Body)
	}
	if res := env.Do(manager, http.MethodPost, path, nil); res.Code != http.StatusConflict || res.ErrorCode() != "invalid_state" {
		t.Fatalf("second retry: %d %s", res.Code, res.Body)
	}
	if res := env.Do(manager, http.MethodPost, "/api/staff/pushes/99999/retry", nil); res.Code != http.StatusNotFound {
		t.Fatalf("missing push: %d %s", res.Code, res.Body)
	}
	var audits int64
	env.DB.Model(&model.AuditLog{}).Where("action = ?", "push.retry").Count(&audits)
	if audits != 1 {
		t.Fatalf("%d audit rows for the retry, want 1", audits)
	}
}

// TestNoPushesQueuedToUnfollowedUsers: a decision for a lawyer who has
// unfollowed the account and left no phone for SMS queues nothing to send —
// the push is recorded unreachable with the reason — and the staff list
// shows it so and flags the recipient; a lawyer whose follow state is
// unknown is pushed as usual.
func TestNoPushesQueuedToUnfollowedUsers(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase()
	gone := f.lawyer("o-gone")
	goneID := f.lawyerBinding(gone, no)
	unknown := f.lawyer("o-unknown")
	unknownID := f.lawyerBinding(unknown, no)
	now := time.Now()
	if err := f.DB.Model(&model.WeChatUser{}).Where("open_id = ?", "o-gone").
		Updates(map[string]any{"subscribed": false, "unsubscribed_at": now}).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Model(&model.WeChatUser{}).Where("open_id = ?", "o-unknown").
		Updates(map[string]any{"subscribed": false, "unsubscribed_at": nil}).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{goneID, unknownID} {
		f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", id), nil))
	}
	status := func(bindingID uint64) (model.Status, string) {
		var row model.PushMessage
		if err := f.DB.Where("dedup_key LIKE ?", fmt.Sprintf("binding:%d:%%", bindingID)).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		return row.Status, row.LastError
	}
	if st, why := status(goneID); st != model.StatusUnreachable || !strings.Contains(why, "取消关注") {
		t.Errorf("push to an unfollowed user: %s %q, want unreachable, not queued", st, why)
	}
	if st, _ := status(unknownID); st != model.StatusQueued {
		t.Errorf("push to a user of unknown state: %s, want queued", st)
	}
	var page struct {
		Items []struct {
			Cause       string `json:"cause"`
			Status      string `json:"status"`
			StatusLabel string `json:"status_label"`
			ErrorLabel  string `json:"error_label"`
			Unreachable bool   `json:"recipient_unreachable"`
		} `json:"items"`
	}
	f.must(200, f.Do(f.clerk, "GET", "/api/staff/pushes", nil)).JSON(t, &page)
	seen := 0
	for _, it := range page.Items {
		switch it.Cause {
		case fmt.Sprintf("binding:%d:approved", goneID):
			seen++
			if !it.Unreachable || it.Status != "unreachable" || it.StatusLabel != "无法送达" || !strings.Contains(it.ErrorLabel, "短信") {
				t.Errorf("the unreachable push as staff see it: %+v", it)
			}
		case fmt.Sprintf("binding:%d:approved", unknownID):
			seen++
			if it.Unreachable {
				t.Error("a recipient of unknown state is flagged unreachable")
			}
		}
	}
	if seen != 2 {
		t.Errorf("push list %+v", page.Items)
	}
}
