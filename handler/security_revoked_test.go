package handler_test

import (
	"fmt"
	"testing"

	"zsjc/service"
)

// Finding 12 of the security review: a party whose binding staff revoked
// bound the case again at once. A revoked binding blocks the user and case
// until staff lift it (audited).
func TestRevokedBindingBlocksRebinding(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase(service.PartyInput{Name: "张三", Role: "犯罪嫌疑人", IDNumber: idNumber(12)})
	party := f.LoginUser("revoked-party")
	bind := func() (int, string, uint64) {
		r := f.Do(party, "POST", "/api/h5/bindings", map[string]string{"case_no": no, "role": "party", "name": "张三", "id_number": idNumber(12)})
		var b struct{ ID uint64 }
		if r.Code == 201 {
			r.JSON(t, &b)
		}
		return r.Code, r.ErrorCode(), b.ID
	}
	code, _, id := bind()
	if code != 201 {
		t.Fatalf("first binding: %d", code)
	}
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", id), map[string]string{"reason": "身份存疑"}))
	if code, errCode, _ := bind(); code != 403 || errCode != "binding_blocked" {
		t.Fatalf("re-binding after the revoke: %d %s, want 403 binding_blocked", code, errCode)
	}
	lawyer, bindingID := f.approvedLawyer("revoked-lawyer", no)
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/revoke", bindingID), map[string]string{"reason": "委托已解除"}))
	up := f.upload(lawyer, "power_of_attorney", pdfBytes(120))
	if r := f.Do(lawyer, "POST", "/api/h5/bindings", map[string]any{"case_no": no, "role": "lawyer", "materials": []uint64{up}}); r.Code != 403 {
		t.Errorf("lawyer re-binding after the revoke: %d %s", r.Code, r.Body)
	}

	lift := fmt.Sprintf("/api/staff/bindings/%d/lift", id)
	if r := f.Do(f.clerk, "POST", lift, map[string]string{}); r.Code != 422 {
		t.Errorf("lift without a reason: %d", r.Code)
	}
	f.must(200, f.Do(f.clerk, "POST", lift, map[string]string{"reason": "核实无误"}))
	f.must(409, f.Do(f.clerk, "POST", lift, map[string]string{"reason": "再次"}))
	code, _, again := bind()
	if code != 201 {
		t.Errorf("re-binding after staff lifted the block: %d", code)
	}
	if rows := auditRows(t, f.Env, "binding.lift"); len(rows) != 1 || rows[0].Detail != "核实无误" {
		t.Errorf("lift audit rows %+v", rows)
	}

	// Ending a binding oneself blocks nothing: the user may bind again.
	f.must(200, f.Do(party, "DELETE", fmt.Sprintf("/api/h5/bindings/%d", again), nil))
	if code, errCode, _ := bind(); code != 201 {
		t.Errorf("re-binding after unbinding oneself: %d %s", code, errCode)
	}
}
