package handler_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// TestPhoneForSMS: a user gives a mainland mobile number and agrees to SMS
// notices; the answer and their account show it masked, the database holds
// it sealed; anything else is a 422 naming the field.
func TestPhoneForSMS(t *testing.T) {
	env := handlertest.New(t)
	u := env.LoginUser("o-phone")
	res := env.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "138 1234 1234", "sms_consent": true})
	if res.Code != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"phone":"138****1234","sms_consent":true}` {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}
	var user model.WeChatUser
	if err := env.DB.Where("open_id = ?", "o-phone").Take(&user).Error; err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(user.PhoneEnc, []byte("13812341234")) || !user.SMSConsent {
		t.Fatalf("stored %q consent %v", user.PhoneEnc, user.SMSConsent)
	}
	if phone, err := env.Sealer.Open(user.PhoneEnc); err != nil || phone != "13812341234" {
		t.Fatalf("sealed phone opens to %q, %v", phone, err)
	}
	me := env.Do(u, http.MethodGet, "/api/h5/me", nil)
	if !strings.Contains(string(me.Body), `"phone":"138****1234","sms_consent":true`) || strings.Contains(string(me.Body), "13812341234") {
		t.Fatalf("me: %s", me.Body)
	}
	for _, bad := range []any{"12812341234", "1381234123", "+8613812341234", "138123412345", "abc", 13812341234} {
		res := env.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": bad, "sms_consent": true})
		if bad == 13812341234 {
			if res.Code != http.StatusBadRequest && res.Code != http.StatusUnprocessableEntity {
				t.Errorf("a number as a JSON number: %d %s", res.Code, res.Body)
			}
			continue
		}
		if res.Code != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "手机号") {
			t.Errorf("%v: %d %s", bad, res.Code, res.Body)
		}
	}
	// Consent withdrawn: the number stays, masked, and is not texted.
	res = env.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "13812341234", "sms_consent": false})
	if res.Code != http.StatusOK || !strings.Contains(string(res.Body), `"sms_consent":false`) {
		t.Fatalf("withdraw: %d %s", res.Code, res.Body)
	}
	if strings.Contains(env.Logs.String(), "13812341234") {
		t.Fatal("the number is in the log")
	}
}

// TestConcurrentPhoneSaves: saves racing for one user leave one of the
// numbers, its masked form matching the sealed one.
func TestConcurrentPhoneSaves(t *testing.T) {
	env := handlertest.New(t)
	u := env.LoginUser("o-race")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			res := env.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": fmt.Sprintf("1391234%04d", i), "sms_consent": true})
			if res.Code != http.StatusOK {
				t.Errorf("save %d: %d %s", i, res.Code, res.Body)
			}
		})
	}
	wg.Wait()
	var user model.WeChatUser
	if err := env.DB.Where("open_id = ?", "o-race").Take(&user).Error; err != nil {
		t.Fatal(err)
	}
	phone, err := env.Sealer.Open(user.PhoneEnc)
	if err != nil || !strings.HasPrefix(phone, "1391234") || user.PhoneMasked != "139****"+phone[7:] {
		t.Fatalf("after the race: %q (%v) shown %q", phone, err, user.PhoneMasked)
	}
}

// TestPushRoutingByReach: a decision for lawyers who unfollowed the account
// goes by SMS to those who gave a phone number (their own, or their
// profile's) and agreed to SMS; the others' pushes are unreachable, listed
// for staff under that status with the reason in words, and a retry once
// the user has given a number goes by SMS; a follower gets WeChat.
func TestPushRoutingByReach(t *testing.T) {
	e := handlertest.New(t, handlertest.WithSMS(model.PushBindingResult))
	f := &caseFixture{Env: e, t: t, clerk: e.LoginStaff(model.StaffCaseManager)}
	_, no := f.newCase()
	users := map[string]handlertest.Caller{}
	bindings := map[string]uint64{}
	for _, who := range []string{"texted", "profile", "nophone", "noconsent", "following"} {
		users[who] = f.lawyer("o-" + who)
		bindings[who] = f.lawyerBinding(users[who], no)
	}
	f.must(200, f.Do(users["texted"], http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "13912345678", "sms_consent": true}))
	f.must(200, f.Do(users["noconsent"], http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "13912345679", "sms_consent": false}))
	sealed, err := f.Sealer.Seal("13912345670")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Model(&model.LawyerProfile{}).Where("user_id = ?", users["profile"].UserID).Update("phone_enc", sealed).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Model(&model.WeChatUser{}).Where("open_id = ?", "o-profile").Update("sms_consent", true).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Model(&model.WeChatUser{}).Where("open_id <> ?", "o-following").
		Updates(map[string]any{"subscribed": false, "unsubscribed_at": time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	for _, id := range bindings {
		f.must(200, f.Do(f.clerk, http.MethodPost, fmt.Sprintf("/api/staff/bindings/%d/approve", id), nil))
	}
	want := map[string]struct {
		status  model.Status
		channel string
	}{
		"texted":    {model.StatusQueued, model.ChannelSMS},
		"profile":   {model.StatusQueued, model.ChannelSMS},
		"nophone":   {model.StatusUnreachable, model.ChannelWeChatTemplate},
		"noconsent": {model.StatusUnreachable, model.ChannelWeChatTemplate},
		"following": {model.StatusQueued, model.ChannelWeChatTemplate},
	}
	for who, w := range want {
		var row model.PushMessage
		if err := f.DB.Where("open_id = ?", "o-"+who).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Status != w.status || row.Channel != w.channel || strings.Contains(row.Data, "1391234567") {
			t.Errorf("%s: %s on %s (data %s), want %s on %s", who, row.Status, row.Channel, row.Data, w.status, w.channel)
		}
	}
	var page struct {
		Items []struct {
			Cause       string `json:"cause"`
			Status      string `json:"status"`
			StatusLabel string `json:"status_label"`
			Channel     string `json:"channel"`
			ErrorLabel  string `json:"error_label"`
		} `json:"items"`
		Total int `json:"total"`
	}
	f.must(200, f.Do(f.clerk, http.MethodGet, "/api/staff/pushes?status=unreachable", nil)).JSON(t, &page)
	if page.Total != 2 || len(page.Items) != 2 {
		t.Fatalf("unreachable list: %+v", page)
	}
	for _, it := range page.Items {
		if it.Status != "unreachable" || it.StatusLabel != "无法送达" || it.ErrorLabel == "" {
			t.Errorf("unreachable item %+v", it)
		}
	}
	// The user leaves a phone number after all; staff send the push again,
	// twice at once: it is queued once, by SMS.
	f.must(200, f.Do(users["nophone"], http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "13912345671", "sms_consent": true}))
	var pushID uint64
	if err := f.DB.Model(&model.PushMessage{}).Where("open_id = ?", "o-nophone").Pluck("id", &pushID).Error; err != nil {
		t.Fatal(err)
	}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.Do(f.clerk, http.MethodPost, fmt.Sprintf("/api/staff/pushes/%d/retry", pushID), nil).Code
		})
	}
	wg.Wait()
	if codes[0]+codes[1] != http.StatusOK+http.StatusConflict {
		t.Fatalf("concurrent retries answered %v, want one 200 and one 409", codes)
	}
	var retried model.PushMessage
	if err := f.DB.Take(&retried, pushID).Error; err != nil {
		t.Fatal(err)
	}
	if retried.Status != model.StatusQueued || retried.Channel != model.ChannelSMS {
		t.Fatalf("retried unreachable push: %s on %s, want queued on sms", retried.Status, retried.Channel)
	}
	vocab := f.must(200, f.Do(handlertest.Caller{}, http.MethodGet, "/api/vocab", nil))
	if !strings.Contains(string(vocab.Body), `"unreachable":"无法送达"`) || !strings.Contains(string(vocab.Body), `"sms":"短信"`) {
		t.Errorf("vocab lacks the status or the channel: %.400s", vocab.Body)
	}
}
