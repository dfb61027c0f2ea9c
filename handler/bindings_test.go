package handler_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// TestPartyBindingRefusalIsGeneric: a wrong case number, a wrong name and
// a wrong id number all get the same answer; then the attempts run out.
func TestPartyBindingRefusalIsGeneric(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(3)})
	u := f.LoginUser("guesser")
	bind := func(caseNo, name, id string) handlertest.Response {
		return f.Do(u, "POST", "/api/h5/bindings", map[string]string{"case_no": caseNo, "role": "party", "name": name, "id_number": id})
	}
	first := bind("京检刑受〔1999〕404号", "张三", idNumber(3))
	if first.Code != 422 || first.ErrorCode() != "binding_mismatch" {
		t.Fatalf("unknown case: %d %s", first.Code, first.Body)
	}
	for name, r := range map[string]handlertest.Response{
		"wrong name":      bind(no, "张四", idNumber(3)),
		"wrong id number": bind(no, "张三", idNumber(4)),
		"both wrong":      bind(no, "王五", idNumber(5)),
	} {
		if r.Code != first.Code || !bytes.Equal(r.Body, first.Body) {
			t.Errorf("%s: %d %s, want the same as an unknown case: %s", name, r.Code, r.Body, first.Body)
		}
	}
	// A malformed id number is a plain field error (it reveals nothing).
	if r := bind(no, "张三", "110105199001010011"); r.Code != 422 || !strings.Contains(string(r.Body), `"id_number"`) {
		t.Errorf("bad check digit: %d %s", r.Code, r.Body)
	}
	// The fifth attempt is the last; the sixth, even correct, is refused.
	if r := bind(no, "王五", idNumber(5)); r.ErrorCode() != "binding_mismatch" {
		t.Fatalf("fifth attempt: %d %s", r.Code, r.Body)
	}
	r := bind(no, "张三", idNumber(3))
	if r.Code != http.StatusTooManyRequests || !strings.Contains(string(r.Body), "请于 11:00 后再试") {
		t.Fatalf("sixth attempt: %d %s", r.Code, r.Body)
	}
	// Guessing one case from one address is limited across users: a second
	// account behind the same IP gets the one mismatch left on that case.
	other := func(name string) handlertest.Response {
		return f.Do(f.LoginUser("same-ip"), "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": name, "id_number": idNumber(3)})
	}
	if r := other("李四"); r.ErrorCode() != "binding_mismatch" {
		t.Errorf("same IP, fifth mismatch on the case: %d %s", r.Code, r.Body)
	}
	if r := other("张三"); r.Code != 429 {
		t.Errorf("same IP, after five mismatches on the case: %d %s", r.Code, r.Body)
	}
	// After the window the right data binds at once.
	sum := sha256.Sum256([]byte(no))
	f.Cache.Del(t.Context(), "bind:oid:guesser", "bind:cip:"+hex.EncodeToString(sum[:8])+":192.0.2.1")
	r = f.must(201, bind(no, " 张三 ", strings.ToLower(idNumber(3))))
	var b service.BindingView
	r.JSON(t, &b)
	if b.Status != model.StatusApproved || b.CaseID == 0 {
		t.Errorf("binding %+v", b)
	}
	// One live binding per user and case.
	if r := f.Do(u, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "张三", "id_number": idNumber(3)}); r.Code != 409 {
		t.Errorf("second binding: %d %s", r.Code, r.Body)
	}
	// Unbinding ends it; the case disappears from the user's list.
	f.must(200, f.Do(u, "DELETE", fmt.Sprintf("/api/h5/bindings/%d", b.ID), nil))
	var cases struct{ Items []any }
	f.must(200, f.Do(u, "GET", "/api/h5/cases", nil)).JSON(t, &cases)
	if len(cases.Items) != 0 {
		t.Errorf("cases after unbinding: %v", cases.Items)
	}
	f.must(409, f.Do(u, "DELETE", fmt.Sprintf("/api/h5/bindings/%d", b.ID), nil))
}

// TestLawyerBinding: profile and 委托书 required, materials must be the
// caller's, staff decide with a pushed result; an unknown case number is
// accepted the same way and can only be rejected.
func TestLawyerBinding(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase()
	noProfile := f.LoginUser("no-profile")
	f.must(403, f.Do(noProfile, "POST", "/api/h5/bindings", map[string]any{"case_no": no, "role": "lawyer", "materials": []uint64{1}}))

	l := f.lawyer("lawyer")
	license := f.upload(l, "license", pngBytes)
	r := f.must(422, f.Do(l, "POST", "/api/h5/bindings", map[string]any{"case_no": no, "role": "lawyer", "materials": []uint64{license}}))
	if !strings.Contains(string(r.Body), "委托书") {
		t.Errorf("missing 委托书: %s", r.Body)
	}
	foreign := f.upload(f.lawyer("someone-else"), "power_of_attorney", pdfBytes(64))
	f.must(422, f.Do(l, "POST", "/api/h5/bindings", map[string]any{"case_no": no, "role": "lawyer", "materials": []uint64{license, foreign}}))

	known := f.lawyerBinding(l, no)
	unknown := f.lawyerBinding(l, "京检刑受〔1999〕404号")
	var mine struct{ Items []map[string]any }
	f.must(200, f.Do(l, "GET", "/api/h5/bindings", nil)).JSON(t, &mine)
	if len(mine.Items) != 2 || len(mine.Items[0]) != len(mine.Items[1]) {
		t.Errorf("known and unknown case requests must look alike: %v", mine.Items)
	}

	var queue struct{ Items []service.StaffBinding }
	f.must(200, f.Do(f.clerk, "GET", "/api/staff/bindings?status=pending", nil)).JSON(t, &queue)
	if len(queue.Items) != 2 || queue.Items[0].Applicant == nil || queue.Items[0].Applicant.Name != "王律师" || len(queue.Items[0].Materials) != 1 {
		t.Fatalf("queue %+v", queue.Items)
	}
	// Staff are told which request names no case; the lawyer never is.
	for _, it := range queue.Items {
		if want := map[bool]string{true: "案号不存在", false: ""}[it.ID == unknown]; it.CaseNote != want {
			t.Errorf("binding %d (case %d): case note %q, want %q", it.ID, it.CaseID, it.CaseNote, want)
		}
	}
	if r := f.must(200, f.Do(l, "GET", "/api/h5/bindings", nil)); strings.Contains(string(r.Body), "案号不存在") {
		t.Errorf("the lawyer is told the case does not exist: %s", r.Body)
	}
	staffFile := f.must(200, f.Do(f.clerk, "GET", fmt.Sprintf("/api/staff/uploads/%d/file", queue.Items[0].Materials[0].UploadID), nil))
	if staffFile.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("material content type %q", staffFile.Header.Get("Content-Type"))
	}

	f.must(422, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/reject", unknown), map[string]string{"reason": " "}))
	if r := f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", unknown), nil); r.Code != 409 || r.ErrorCode() != "case_unknown" {
		t.Errorf("approve unknown case: %d %s", r.Code, r.Body)
	}
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/reject", unknown), map[string]string{"reason": "案号不存在"}))
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", known), nil))
	if r := f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", known), nil); r.Code != 409 || !strings.Contains(string(r.Body), "已通过") {
		t.Errorf("second approve: %d %s", r.Code, r.Body)
	}
	if f.pushes(fmt.Sprintf("binding:%d:approved:", known)) != 1 || f.pushes(fmt.Sprintf("binding:%d:rejected:", unknown)) != 1 {
		t.Errorf("result pushes missing")
	}
	f.must(422, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", known), map[string]string{}))
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", known), map[string]string{"reason": "委托已解除"}))
	if f.pushes(fmt.Sprintf("binding:%d:revoked:", known)) != 1 {
		t.Errorf("revoke push missing")
	}
	// The lawyer may ask again once staff lift the revocation's block.
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/lift", known), map[string]string{"reason": "新的委托"}))
	f.lawyerBinding(l, no)
}

// TestConcurrentApproveAndRevoke races staff decisions on one binding:
// every outcome is a legal sequence, with one push per decision that won.
func TestConcurrentApproveAndRevoke(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase()
	other := f.LoginStaff(model.StaffAdmin)
	for i := range 8 {
		id := f.lawyerBinding(f.lawyer(fmt.Sprintf("racer%d", i)), no)
		var wg sync.WaitGroup
		var approve, revoke, approve2 handlertest.Response
		wg.Add(3)
		go func() {
			defer wg.Done()
			approve = f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", id), nil)
		}()
		go func() {
			defer wg.Done()
			approve2 = f.Do(other, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", id), nil)
		}()
		go func() {
			defer wg.Done()
			revoke = f.Do(other, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", id), map[string]string{"reason": "误操作"})
		}()
		wg.Wait()
		if (approve.Code == 200) == (approve2.Code == 200) {
			t.Fatalf("round %d: two approvals %d/%d", i, approve.Code, approve2.Code)
		}
		var b model.Binding
		f.DB.Take(&b, id)
		want := model.StatusApproved
		if revoke.Code == 200 {
			want = model.StatusRevoked
		} else if revoke.Code != 409 {
			t.Fatalf("revoke: %d %s", revoke.Code, revoke.Body)
		}
		if b.Status != want || (b.LiveKey != nil) != (want == model.StatusApproved) {
			t.Errorf("round %d: status %s live %v after revoke %d", i, b.Status, b.LiveKey, revoke.Code)
		}
		if n := f.pushes(fmt.Sprintf("binding:%d:", id)); n != map[bool]int64{true: 2, false: 1}[revoke.Code == 200] {
			t.Errorf("round %d: %d pushes for revoke %d", i, n, revoke.Code)
		}
	}
}

// TestParallelBindingsOfOneUser: the same user binding the same case twice
// at once gets one binding and one 409, for parties and lawyers.
func TestParallelBindingsOfOneUser(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(9)})
	party := f.LoginUser("twice")
	l := f.lawyer("twice-lawyer")
	up := f.upload(l, "power_of_attorney", pdfBytes(100))
	bodies := map[handlertest.Caller]map[string]any{
		party: {"case_no": no, "role": "party", "name": "张三", "id_number": idNumber(9)},
		l:     {"case_no": no, "role": "lawyer", "materials": []uint64{up}},
	}
	for u, body := range bodies {
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i] = f.Do(u, "POST", "/api/h5/bindings", body).Code }()
		}
		wg.Wait()
		if !(codes[0] == 201 && codes[1] == 409 || codes[0] == 409 && codes[1] == 201) {
			t.Errorf("%s: codes %v, want one 201 and one 409", body["role"], codes)
		}
		var n int64
		f.DB.Model(&model.Binding{}).Where("user_id = ?", u.UserID).Count(&n)
		if n != 1 {
			t.Errorf("%s: %d bindings", body["role"], n)
		}
	}
}

// TestPendingBindingWithdrawn: a lawyer withdraws a pending request
// (pending → cancelled), someone else cannot, staff can no longer decide
// it, and the lawyer may ask again; raced with an approval exactly one wins.
func TestPendingBindingWithdrawn(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase()
	l := f.lawyer("withdrawer")
	id := f.lawyerBinding(l, no)
	f.must(404, f.Do(f.lawyer("stranger"), "DELETE", fmt.Sprintf("/api/h5/bindings/%d", id), nil))
	var b service.BindingView
	f.must(200, f.Do(l, "DELETE", fmt.Sprintf("/api/h5/bindings/%d", id), nil)).JSON(t, &b)
	if b.Status != model.StatusCancelled {
		t.Fatalf("withdrawn binding %+v, want cancelled", b)
	}
	f.must(409, f.Do(l, "DELETE", fmt.Sprintf("/api/h5/bindings/%d", id), nil))
	f.must(409, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", id), nil))
	if f.pushes(fmt.Sprintf("binding:%d:", id)) != 0 {
		t.Error("a withdrawal pushed a result")
	}

	again := f.lawyerBinding(l, no)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		codes[0] = f.Do(l, "DELETE", fmt.Sprintf("/api/h5/bindings/%d", again), nil).Code
	}()
	go func() {
		defer wg.Done()
		codes[1] = f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", again), nil).Code
	}()
	wg.Wait()
	// The approval may come first; then the lawyer's DELETE revokes it.
	if codes[1] == 200 && codes[0] != 200 || codes[1] != 200 && (codes[0] != 200 || codes[1] != 409) {
		t.Errorf("withdraw %d, approve %d", codes[0], codes[1])
	}
	var row model.Binding
	if err := f.DB.Take(&row, again).Error; err != nil {
		t.Fatal(err)
	}
	if row.Status != model.StatusCancelled && row.Status != model.StatusRevoked {
		t.Errorf("after the race the binding is %s", row.Status)
	}
}

// TestPartyBindingBehindNAT: successes never count — many people behind
// one carrier-NAT address all bind — while mismatches from that address
// stop at the per-IP ceiling, and one user's parallel guesses cannot race
// past the per-user limit.
func TestPartyBindingBehindNAT(t *testing.T) {
	f := newCaseFixture(t)
	var parties []service.PartyInput
	for i := range 30 {
		parties = append(parties, service.PartyInput{Name: fmt.Sprintf("当事人%d", i), Role: "被害人", IDNumber: idNumber(100 + i)})
	}
	_, no := f.newCase(parties...)
	for i, p := range parties {
		r := f.Do(f.LoginUser(fmt.Sprintf("nat-%d", i)), "POST", "/api/h5/bindings",
			map[string]string{"case_no": no, "role": "party", "name": p.Name, "id_number": p.IDNumber})
		f.must(201, r)
	}

	// One user's parallel guesses: at most BindAttempts are answered.
	racer := f.LoginUser("nat-racer")
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered := 0
	for range 3 * service.BindAttempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := f.Do(racer, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "王五", "id_number": idNumber(5)})
			if r.ErrorCode() == "binding_mismatch" {
				mu.Lock()
				answered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if answered > service.BindAttempts {
		t.Errorf("%d parallel guesses answered, limit %d", answered, service.BindAttempts)
	}

	// Mismatches of many users on many case numbers reach the IP ceiling.
	mismatches := answered
	for u := 0; mismatches < service.BindIPCeiling; u++ {
		guesser := f.LoginUser(fmt.Sprintf("nat-guesser-%d", u))
		for k := 0; k < service.BindAttempts && mismatches < service.BindIPCeiling; k++ {
			r := f.Do(guesser, "POST", "/api/h5/bindings", map[string]string{"case_no": fmt.Sprintf("京检刑受〔1999〕%d号", u*10+k), "role": "party", "name": "王五", "id_number": idNumber(5)})
			if r.ErrorCode() != "binding_mismatch" {
				t.Fatalf("mismatch %d: %d %s", mismatches+1, r.Code, r.Body)
			}
			mismatches++
		}
	}
	_, fresh := f.newCase(service.PartyInput{Name: "赵六", Role: "被害人", IDNumber: idNumber(6)})
	r := f.Do(f.LoginUser("nat-late"), "POST", "/api/h5/bindings", map[string]string{"case_no": fresh, "role": "party", "name": "赵六", "id_number": idNumber(6)})
	if r.Code != http.StatusTooManyRequests {
		t.Errorf("after %d mismatches from one IP: %d %s", mismatches, r.Code, r.Body)
	}
}
