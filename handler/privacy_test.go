package handler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/config"
	"zsjc/filestore"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
)

// privacyFixture is a case fixture whose files are in a directory the test
// can read.
type privacyFixture struct {
	*caseFixture
	filesDir string
}

func newPrivacyFixture(t *testing.T, opts ...handlertest.Option) *privacyFixture {
	dir := t.TempDir()
	store, err := filestore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := handlertest.New(t, append([]handlertest.Option{handlertest.WithFiles(store)}, opts...)...)
	return &privacyFixture{caseFixture: &caseFixture{Env: e, t: t, clerk: e.LoginStaff(model.StaffCaseManager)}, filesDir: dir}
}

// caseRecordColumns hold the case's party list, which the case system sent:
// a party's id number there is a case record, not something the user gave
// (docs/design.md §13); every other column is searched.
var caseRecordColumns = map[string]bool{"parties.id_number_enc": true, "parties.id_number_hash": true}

// rateLimitPrefixes are the cache keys that may outlive a deletion: rate
// limits, which expire within 24 hours.
var rateLimitPrefixes = []string{"bind:", "create:", "loginstart:"}

// findPersonalData searches every column of every table (listed from the
// database, so tables added later are searched too), every file of the file
// store and every cache key and value for the needles, and for any value
// that opens under the data key, its plaintext. It returns where each was
// found.
func (f *privacyFixture) findPersonalData(needles map[string][]byte) []string {
	t := f.t
	t.Helper()
	var found []string
	search := func(where string, value []byte) {
		plain, err := f.Sealer.Open(value)
		for what, n := range needles {
			if bytes.Contains(value, n) {
				found = append(found, what+" in "+where)
			}
			if err == nil && strings.Contains(plain, string(n)) {
				found = append(found, what+" sealed in "+where)
			}
		}
	}
	tables, err := f.DB.Migrator().GetTables()
	if err != nil || len(tables) < len(model.All()) {
		t.Fatalf("list tables: %v %v", tables, err)
	}
	for _, table := range tables {
		rows, err := f.DB.Table(table).Select("*").Rows()
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for i, v := range vals {
				if caseRecordColumns[table+"."+cols[i]] || v == nil {
					continue
				}
				b, ok := v.([]byte)
				if !ok {
					b = []byte(fmt.Sprint(v))
				}
				search(table+"."+cols[i], b)
			}
		}
		rows.Close()
	}
	err = filepath.WalkDir(f.filesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		search("file "+d.Name(), b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range cacheEntries(t, f.Cache) {
		before := len(found)
		search("cache key "+k, []byte(k+"="+v))
		if len(found) == before {
			continue
		}
		ttl, err := f.Cache.TTL(context.Background(), k)
		if slices.ContainsFunc(rateLimitPrefixes, func(p string) bool { return strings.HasPrefix(k, p) }) &&
			err == nil && ttl > 0 && ttl <= 24*time.Hour {
			found = found[:before] // a rate limit: allowed to expire by itself
		}
	}
	return found
}

// cacheEntries lists every key of the test's cache and its value: the
// in-process store's entries, or a SCAN of the test's Redis prefix.
func cacheEntries(t *testing.T, c cache.Store) map[string]string {
	t.Helper()
	switch c := c.(type) {
	case *cache.Memory:
		return c.Entries()
	case *cache.Redis:
		ctx := context.Background()
		out := map[string]string{}
		iter := c.Client().Scan(ctx, 0, c.Prefix()+"*", 500).Iterator()
		for iter.Next(ctx) {
			full := iter.Val()
			v, err := c.Client().Get(ctx, full).Result()
			if err != nil {
				v = "" // not a string key; its name is still searched
			}
			out[strings.TrimPrefix(full, c.Prefix())] = v
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	default:
		t.Fatalf("cannot list the keys of %T", c)
		return nil
	}
}

// personOf is what must be gone of a person with this openid, phone number
// (and its ciphertext) and id number: plaintexts, masks and keyed hashes.
func personOf(sealer *secure.Sealer, openid, phone string, phoneEnc []byte, id string) map[string][]byte {
	n := map[string][]byte{}
	if openid != "" {
		n["openid"] = []byte(openid)
		for _, h := range sealer.Hashes(openid) {
			n["openid hash"] = []byte(h)
		}
	}
	if phone != "" {
		n["phone"] = []byte(phone)
		n["masked phone"] = []byte(secure.MaskMobile(phone))
		for i, h := range sealer.Hashes(phone) {
			n[fmt.Sprintf("phone hash %d", i)] = []byte(h)
		}
	}
	if len(phoneEnc) > 0 {
		n["phone ciphertext"] = phoneEnc
	}
	if id != "" {
		n["id number"] = []byte(id)
		for i, h := range sealer.Hashes(secure.NormalizeIDNumber(id)) {
			n[fmt.Sprintf("id hash %d", i)] = []byte(h)
		}
	}
	return n
}

func (f *privacyFixture) phoneEnc(userID uint64) []byte {
	f.t.Helper()
	var p model.LawyerProfile
	if err := f.DB.Where("user_id = ?", userID).Take(&p).Error; err != nil {
		f.t.Fatalf("profile of user %d: %v", userID, err)
	}
	return p.PhoneEnc
}

// smsPhoneEnc is the sealed SMS phone number the user gave (PUT /me/phone).
func (f *privacyFixture) smsPhoneEnc(userID uint64) []byte {
	f.t.Helper()
	var u model.WeChatUser
	if err := f.DB.Where("id = ?", userID).Take(&u).Error; err != nil {
		f.t.Fatalf("user %d: %v", userID, err)
	}
	return u.PhoneEnc
}

func (f *privacyFixture) bindingStatus(id uint64) model.Status {
	f.t.Helper()
	var b model.Binding
	if err := f.DB.Take(&b, id).Error; err != nil {
		f.t.Fatalf("binding %d: %v", id, err)
	}
	return b.Status
}

func profileBody(licence, phone string) map[string]string {
	return map[string]string{"name": "赵律师", "license_no": licence, "firm": "某某律师事务所", "phone": phone}
}

func partyBody(caseNo, name, id string) map[string]string {
	return map[string]string{"case_no": caseNo, "role": "party", "name": name, "id_number": id}
}

// consentRefused expects 403 consent_required naming exactly purposes.
func consentRefused(t *testing.T, what string, r handlertest.Response, purposes ...string) {
	t.Helper()
	var body struct {
		Error struct {
			Code   string
			Fields map[string]string
		}
	}
	r.JSON(t, &body)
	var named []string
	for p := range body.Error.Fields {
		named = append(named, p)
	}
	slices.Sort(named)
	if r.Code != http.StatusForbidden || body.Error.Code != "consent_required" || !slices.Equal(named, purposes) {
		t.Errorf("%s: %d %s, want 403 consent_required naming %v", what, r.Code, r.Body, purposes)
	}
}

func (f *privacyFixture) count(row any, where string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.DB.Model(row).Where(where, args...).Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestPrivacyNoticeIsPublicAndVersioned(t *testing.T) {
	f := newPrivacyFixture(t)
	r := f.must(http.StatusOK, f.Do(handlertest.Anonymous, http.MethodGet, "/api/public/privacy", nil))
	var n struct {
		Version  string
		Text     string
		Purposes []struct {
			Code      string
			Name      string
			Sensitive *bool
		}
	}
	r.JSON(t, &n)
	sensitive := map[string]bool{}
	for _, p := range n.Purposes {
		if p.Name == "" || p.Sensitive == nil {
			t.Errorf("purpose %+v lacks name or sensitive", p)
			continue
		}
		sensitive[p.Code] = *p.Sensitive
	}
	if n.Version == "" || !sensitive["id_number"] || !sensitive["uploads"] {
		t.Errorf("notice %q: purposes %v, want id_number and uploads sensitive", n.Version, sensitive)
	}
	if _, ok := sensitive["phone"]; !ok {
		t.Errorf("notice lacks the phone purpose: %v", sensitive)
	}
	for _, kept := range []string{"审计日志", "同意记录", "办案记录", "注销账号", "撤回"} {
		if !strings.Contains(n.Text, kept) {
			t.Errorf("the notice does not say %s", kept)
		}
	}
	if _, err := config.ParsePrivacy([]byte("version: v1\ntext: t\npurposes: [{code: phone, name: 电话}]")); err == nil {
		t.Error("a notice without the id_number and uploads purposes was accepted")
	}
}

// TestNoPersonalDataWithoutConsent: every endpoint taking an id number, a
// phone number or an upload refuses it (403 consent_required naming the
// purpose, nothing stored) until the user consented to the notice in
// force; a new notice version asks again.
func TestNoPersonalDataWithoutConsent(t *testing.T) {
	f := newPrivacyFixture(t)
	_, caseNo := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(801)})
	_, lawyerCase := f.newCase()
	u := f.LoginUserWithoutConsent("o-no-consent")
	v1 := f.Svc.PrivacyNotice().Version

	consentRefused(t, "party binding", f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(caseNo, "张三", idNumber(801))), "id_number")
	consentRefused(t, "lawyer profile", f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody("11101201810100801", "13900000801")), "phone")
	consentRefused(t, "SMS phone", f.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": "13900000802", "sms_consent": true}), "phone")
	if enc := f.smsPhoneEnc(u.UserID); enc != nil {
		t.Error("an SMS phone was stored without consent")
	}
	consentRefused(t, "upload", f.Send(u, multipartRequest("/api/h5/uploads", map[string]string{"kind": "power_of_attorney"}, "委托书.pdf", pdfBytes(100))), "uploads")
	if n := f.count(&model.Binding{}, "user_id = ?", u.UserID) + f.count(&model.LawyerProfile{}, "user_id = ?", u.UserID) +
		f.count(&model.Upload{}, "user_id = ?", u.UserID); n != 0 {
		t.Errorf("%d rows stored without consent", n)
	}
	if files, _ := os.ReadDir(f.filesDir); len(files) != 0 {
		t.Errorf("%d files stored without consent", len(files))
	}

	// Malformed consents.
	for _, body := range []map[string]any{
		{"version": "1999-01-01", "purposes": []string{"phone"}},
		{"version": v1, "purposes": []string{"phone", "shoe_size"}},
		{"version": v1, "purposes": []string{}},
	} {
		if r := f.Do(u, http.MethodPost, "/api/h5/consents", body); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("consent %v: %d %s, want 422", body, r.Code, r.Body)
		}
	}
	if r := f.Do(u, http.MethodDelete, "/api/h5/consents/shoe_size", nil); r.Code != http.StatusNotFound {
		t.Errorf("withdraw an unknown purpose: %d", r.Code)
	}

	f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/consents", map[string]any{"version": v1, "purposes": []string{"id_number", "phone", "uploads"}}))
	f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(caseNo, "张三", idNumber(801))))
	f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody("11101201810100801", "13900000801")))
	upload := f.upload(u, "power_of_attorney", pdfBytes(100))

	// A new notice: the consents given to the old one no longer count.
	v2 := config.MustDefaultPrivacy()
	v2.Version = "2099-01-01"
	store, _ := filestore.NewLocal(f.filesDir)
	next := handlertest.NewOn(t, f.DB, f.Cache, f.Clock, handlertest.WithPrivacy(v2), handlertest.WithFiles(store))
	lawyerBind := map[string]any{"case_no": lawyerCase, "role": "lawyer", "materials": []uint64{upload}}
	consentRefused(t, "lawyer binding under a new notice", next.Do(u, http.MethodPost, "/api/h5/bindings", lawyerBind), "uploads")
	consentRefused(t, "profile under a new notice", next.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody("11101201810100801", "13900000802")), "phone")
	var listed struct {
		Items []struct {
			Purpose string
			Current bool
		}
	}
	next.Do(u, http.MethodGet, "/api/h5/consents", nil).JSON(t, &listed)
	if len(listed.Items) != 3 || slices.ContainsFunc(listed.Items, func(c struct {
		Purpose string
		Current bool
	}) bool {
		return c.Current
	}) {
		t.Errorf("consents under a new notice: %+v, want three, none current", listed.Items)
	}
	if r := next.Do(u, http.MethodPost, "/api/h5/consents", map[string]any{"version": v1, "purposes": []string{"uploads"}}); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("consent to the old version under the new one: %d", r.Code)
	}

	// Consent to the new version, given eight times at once: one record.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if r := next.Do(u, http.MethodPost, "/api/h5/consents", map[string]any{"version": v2.Version, "purposes": []string{"uploads"}}); r.Code != http.StatusCreated {
				t.Errorf("concurrent consent: %d %s", r.Code, r.Body)
			}
		})
	}
	wg.Wait()
	if n := f.count(&model.Consent{}, "purpose = ? AND ended_at IS NULL", "uploads"); n != 1 {
		t.Errorf("%d consents to uploads in force, want 1", n)
	}
	if n := f.count(&model.Consent{}, "purpose = ? AND end_reason = ?", "uploads", model.ConsentRenewed); n != 1 {
		t.Errorf("%d consents to uploads renewed, want the old one", n)
	}
	next.Do(u, http.MethodPost, "/api/h5/bindings", lawyerBind)
	if f.count(&model.Binding{}, "user_id = ? AND role = ?", u.UserID, model.RoleLawyer) != 1 {
		t.Error("the lawyer binding was not accepted after consent to the new notice")
	}
}

// TestWithdrawalErasesWhatWasGivenUnderIt: withdrawing phone erases the
// phone number everywhere; withdrawing uploads withdraws pending requests
// and erases the uploads no decided binding holds; withdrawing id_number
// leaves the binding made. Each is asked again afterwards.
func TestWithdrawalErasesWhatWasGivenUnderIt(t *testing.T) {
	f := newPrivacyFixture(t)
	const phone = "13900000901"
	u := f.LoginUser("o-withdraw")
	f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody("11101201810100901", phone)))
	enc := f.phoneEnc(u.UserID)
	f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": phone, "sms_consent": true}))
	smsEnc := f.smsPhoneEnc(u.UserID)

	f.must(http.StatusNoContent, f.Do(u, http.MethodDelete, "/api/h5/consents/phone", nil))
	if left := append(f.findPersonalData(personOf(f.Sealer, "", phone, enc, "")), f.findPersonalData(personOf(f.Sealer, "", phone, smsEnc, ""))...); len(left) > 0 {
		t.Errorf("after withdrawing phone: %v", left)
	}
	if f.count(&model.LawyerProfile{}, "user_id = ?", u.UserID) != 1 {
		t.Error("the rest of the lawyer profile went with the phone number")
	}
	consentRefused(t, "profile after withdrawal", f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody("11101201810100901", phone)), "phone")

	// Uploads: material of an approved binding (a case record), of a
	// pending one, and one never attached.
	_, decidedCase := f.newCase()
	_, pendingCase := f.newCase()
	decided := f.lawyerBinding(u, decidedCase)
	f.must(http.StatusOK, f.Do(f.clerk, http.MethodPost, fmt.Sprintf("/api/staff/bindings/%d/approve", decided), nil))
	pendingUpload := f.upload(u, "power_of_attorney", append(pdfBytes(64), "marker-pending"...))
	r := f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/bindings", map[string]any{"case_no": pendingCase, "role": "lawyer", "materials": []uint64{pendingUpload}}))
	pending := idOf(t, r)
	f.upload(u, "other", append(pdfBytes(64), "marker-loose"...))

	f.must(http.StatusNoContent, f.Do(u, http.MethodDelete, "/api/h5/consents/uploads", nil))
	markers := map[string][]byte{"pending material": []byte("marker-pending"), "loose upload": []byte("marker-loose")}
	if left := f.findPersonalData(markers); len(left) > 0 {
		t.Errorf("after withdrawing uploads: %v", left)
	}
	if s := f.bindingStatus(pending); s != model.StatusCancelled {
		t.Errorf("pending binding is %s after withdrawing uploads, want cancelled", s)
	}
	if s := f.bindingStatus(decided); s != model.StatusApproved || f.count(&model.Upload{}, "user_id = ?", u.UserID) != 1 {
		t.Errorf("approved binding %s, %d uploads left: want the approved binding's material kept", s, f.count(&model.Upload{}, "user_id = ?", u.UserID))
	}
	consentRefused(t, "upload after withdrawal", f.Send(u, multipartRequest("/api/h5/uploads", map[string]string{"kind": "other"}, "a.pdf", pdfBytes(100))), "uploads")

	// id_number: the binding made stays; a new one asks again.
	_, partyCase := f.newCase(service.PartyInput{Name: "李四", Role: "被害人", IDNumber: idNumber(902)})
	_, otherCase := f.newCase(service.PartyInput{Name: "李四", Role: "被害人", IDNumber: idNumber(902)})
	bound := idOf(t, f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(partyCase, "李四", idNumber(902)))))
	f.must(http.StatusNoContent, f.Do(u, http.MethodDelete, "/api/h5/consents/id_number", nil))
	if s := f.bindingStatus(bound); s != model.StatusApproved {
		t.Errorf("party binding is %s after withdrawing id_number, want approved", s)
	}
	consentRefused(t, "party binding after withdrawal", f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(otherCase, "李四", idNumber(902))), "id_number")
	if left := f.findPersonalData(personOf(f.Sealer, "", "", nil, idNumber(902))); len(left) > 0 {
		t.Errorf("the id number given is stored: %v", left)
	}
	var listed struct{ Items []struct{ Purpose string } }
	f.Do(u, http.MethodGet, "/api/h5/consents", nil).JSON(t, &listed)
	if len(listed.Items) != 0 {
		t.Errorf("consents in force after withdrawing all: %+v", listed.Items)
	}
	if n := f.count(&model.Consent{}, "end_reason = ?", model.ConsentWithdrawn); n != 3 {
		t.Errorf("%d withdrawn consent records kept, want 3", n)
	}
}

// TestDeleteAccountLeavesNoPersonalData: after DELETE /api/h5/me no table,
// file or cache key holds the user's openid, id number or phone number
// (nor their ciphertexts or keyed hashes), bindings ended through the
// user's own paths (a booked place given back), every session is over, and
// the audit trail still reads.
func TestDeleteAccountLeavesNoPersonalData(t *testing.T) {
	f := newPrivacyFixture(t)
	appt := apptFixtureOn(t, f.Env)
	const openid, phone = "o-delete-me", "13900001001"
	id := idNumber(1001)
	partyCase, partyCaseNo := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: id})
	u := f.LoginUser(openid)
	other := f.LoginUserWithoutConsent(openid) // a second session (another phone)

	r := f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(partyCaseNo, "张三", idNumber(1002)))
	if r.Code != http.StatusUnprocessableEntity { // a mismatch counts against the rate limit (in the cache)
		t.Fatalf("mismatch: %d %s", r.Code, r.Body)
	}
	f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(partyCaseNo, "张三", id)))
	f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody("11101201810101001", phone)))
	enc := f.phoneEnc(u.UserID)
	f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/phone", map[string]any{"phone": phone, "sms_consent": true}))
	smsEnc := f.smsPhoneEnc(u.UserID)
	// An approved lawyer binding (its 委托书 is a case record) with a
	// confirmed review; a pending one whose material names the user; an
	// upload never attached.
	reviewCase, reviewCaseNo := f.newCase()
	approved := f.lawyerBinding(u, reviewCaseNo)
	f.must(http.StatusOK, f.Do(f.clerk, http.MethodPost, fmt.Sprintf("/api/staff/bindings/%d/approve", approved), nil))
	slot := appt.slot(thursday, service.PeriodAM, 2)
	booking := idOf(t, f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/reviews",
		map[string]any{"case_id": reviewCase, "slot_id": slot, "copy_method": "复印"})))
	appt.expect(http.StatusOK, appt.staffDo("reviews", booking, "confirm", nil))
	_, pendingCaseNo := f.newCase()
	material := f.upload(u, "power_of_attorney", append(pdfBytes(64), (openid+" "+phone)...))
	f.must(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/bindings", map[string]any{"case_no": pendingCaseNo, "role": "lawyer", "materials": []uint64{material}}))
	f.upload(u, "other", append(pdfBytes(64), phone...))
	// A case event queues a push to the follower.
	f.must(http.StatusCreated, f.Do(f.clerk, http.MethodPost, fmt.Sprintf("/api/staff/cases/%d/events", partyCase),
		map[string]any{"stage": "提起公诉", "description": "已提起公诉", "occurred_at": "2026-12-01T09:00:00+08:00"}))
	if f.count(&model.PushMessage{}, "open_id = ? AND status = ?", openid, model.StatusQueued) == 0 {
		t.Fatal("no push queued to the user")
	}
	// The user accepted a subscribe notice (the popup event's record names the openid).
	if err := f.DB.Create(&model.SubscribeConsent{OpenID: openid, TemplateID: "SUB", Status: model.ConsentAccept, ChangedAt: time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	if left := f.findPersonalData(personOf(f.Sealer, openid, phone, enc, id)); len(left) == 0 {
		t.Fatal("the search finds nothing even before the deletion")
	}

	r = f.Do(u, http.MethodDelete, "/api/h5/me", nil)
	if r.Code != http.StatusNoContent || cookiesOf(r)["zsjc_session"] == nil || cookiesOf(r)["zsjc_session"].MaxAge >= 0 {
		t.Fatalf("delete: %d %v %s, want 204 ending the session cookie", r.Code, r.Header["Set-Cookie"], r.Body)
	}
	for i, s := range []handlertest.Caller{u, other} {
		if r := f.Do(s, http.MethodGet, "/api/h5/me", nil); r.Code != http.StatusUnauthorized {
			t.Errorf("session %d after the deletion: %d", i, r.Code)
		}
	}
	if left := append(f.findPersonalData(personOf(f.Sealer, openid, phone, enc, id)), f.findPersonalData(personOf(f.Sealer, "", phone, smsEnc, ""))...); len(left) > 0 {
		t.Errorf("personal data left after the deletion:\n%s", strings.Join(left, "\n"))
	}

	if n := f.count(&model.Binding{}, "user_id = ? AND status IN ?", u.UserID, []model.Status{model.StatusPending, model.StatusApproved}); n != 0 {
		t.Errorf("%d live bindings after the deletion", n)
	}
	if s := appt.reviewStatus(booking); s != model.StatusCancelled || appt.booked(slot) != 0 {
		t.Errorf("review %s, slot booked %d after the deletion: want cancelled and the place back", s, appt.booked(slot))
	}
	if f.count(&model.Upload{}, "user_id = ?", u.UserID) != 1 {
		t.Error("want only the approved binding's 委托书 kept (a case record, until retention)")
	}
	if f.count(&model.PushMessage{}, "open_id = ? AND status = ?", model.ErasedOpenID(u.UserID), model.StatusFailed) == 0 {
		t.Error("the queued push was not failed and unlinked")
	}
	if n := f.count(&model.Consent{}, "end_reason = ?", model.ConsentAccountDeleted); n != 3 {
		t.Errorf("%d consent records kept as proof, want 3", n)
	}
	admin := f.LoginStaff(model.StaffAdmin)
	var audit struct {
		Items []struct{ Action, Actor string }
	}
	f.must(http.StatusOK, f.Do(admin, http.MethodGet, fmt.Sprintf("/api/staff/audit?actor=user:%d&page_size=100", u.UserID), nil)).JSON(t, &audit)
	var actions []string
	for _, a := range audit.Items {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"account.delete", "binding.party", "binding.lawyer", "binding.revoked", "binding.cancelled", "consent.give"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit trail of user:%d lacks %s: %v", u.UserID, want, actions)
		}
	}

	// A login that read the account just before the deletion gets no session.
	if _, err := f.Svc.NewUserSession(context.Background(), model.WeChatUser{ID: u.UserID, OpenID: openid}); !errors.Is(err, model.ErrUnauthorized) {
		t.Errorf("session for a deleted account: %v", err)
	}
	// Idempotent: once more changes nothing and fails nothing.
	if err := f.Svc.DeleteAccount(context.Background(), service.UserSession{UserID: u.UserID, OpenID: openid}, ""); err != nil {
		t.Errorf("second deletion: %v", err)
	}
	if left := f.findPersonalData(personOf(f.Sealer, openid, phone, enc, id)); len(left) > 0 {
		t.Errorf("after a second deletion: %v", left)
	}
	// Coming back is a new account.
	if again := f.LoginUserWithoutConsent(openid); again.UserID == u.UserID {
		t.Error("the openid logs in to the deleted account")
	}
}

// TestDeleteAccountWhileBinding: a binding submitted while the account is
// deleted is either refused or ended by the deletion, never left live, and
// its material is not kept.
func TestDeleteAccountWhileBinding(t *testing.T) {
	f := newPrivacyFixture(t)
	for i := range 6 {
		_, partyCase := f.newCase(service.PartyInput{Name: "王五", Role: "被害人", IDNumber: idNumber(1100 + i)})
		_, lawyerCase := f.newCase()
		u := f.LoginUser(fmt.Sprintf("o-race-delete-%d", i))
		f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody(fmt.Sprintf("111012018101%05d", 1100+i), "13900001100")))
		upload := f.upload(u, "power_of_attorney", pdfBytes(100))
		var wg sync.WaitGroup
		codes := make([]int, 3)
		wg.Go(func() {
			codes[0] = f.Do(u, http.MethodPost, "/api/h5/bindings", partyBody(partyCase, "王五", idNumber(1100+i))).Code
		})
		wg.Go(func() {
			codes[1] = f.Do(u, http.MethodPost, "/api/h5/bindings", map[string]any{"case_no": lawyerCase, "role": "lawyer", "materials": []uint64{upload}}).Code
		})
		wg.Go(func() { codes[2] = f.Do(u, http.MethodDelete, "/api/h5/me", nil).Code })
		wg.Wait()
		if codes[2] != http.StatusNoContent {
			t.Fatalf("round %d: delete answered %d", i, codes[2])
		}
		for j, c := range codes[:2] {
			if c != http.StatusCreated && c != http.StatusUnauthorized && c != http.StatusForbidden {
				t.Errorf("round %d: binding %d answered %d", i, j, c)
			}
		}
		if n := f.count(&model.Binding{}, "user_id = ? AND status IN ?", u.UserID, []model.Status{model.StatusPending, model.StatusApproved}); n != 0 {
			t.Errorf("round %d (answers %v): %d live bindings after the deletion", i, codes, n)
		}
		if n := f.count(&model.Upload{}, "user_id = ?", u.UserID); n != 0 {
			t.Errorf("round %d (answers %v): %d uploads kept", i, codes, n)
		}
		if n := f.count(&model.LawyerProfile{}, "user_id = ?", u.UserID); n != 0 {
			t.Errorf("round %d: the lawyer profile survived", i)
		}
	}
}

// TestWithdrawWhileSaving: a phone number saved while its consent is
// withdrawn is either erased by the withdrawal or refused after it: once
// the consent has ended, no phone number is stored.
func TestWithdrawWhileSaving(t *testing.T) {
	f := newPrivacyFixture(t)
	for i := range 6 {
		u := f.LoginUser(fmt.Sprintf("o-race-withdraw-%d", i))
		licence := fmt.Sprintf("111012018102%05d", i)
		f.must(http.StatusOK, f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody(licence, "13900002000")))
		var wg sync.WaitGroup
		var saved int
		wg.Go(func() { saved = f.Do(u, http.MethodPut, "/api/h5/me/lawyer", profileBody(licence, "13900002001")).Code })
		wg.Go(func() { f.must(http.StatusNoContent, f.Do(u, http.MethodDelete, "/api/h5/consents/phone", nil)) })
		wg.Wait()
		if saved != http.StatusOK && saved != http.StatusForbidden {
			t.Errorf("round %d: save answered %d", i, saved)
		}
		var p model.LawyerProfile
		f.DB.Where("user_id = ?", u.UserID).Take(&p)
		if len(p.PhoneEnc) != 0 || p.PhoneMasked != "" {
			t.Errorf("round %d (save %d): a phone number is stored after the withdrawal", i, saved)
		}
	}
}
