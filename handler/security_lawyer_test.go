package handler_test

import (
	"fmt"
	"strings"
	"testing"

	"zsjc/model"
)

// Finding 13 of the security review: licence numbers were not unique, and
// a lawyer could change name, licence or firm after approval and keep
// access.
func TestLawyerIdentity(t *testing.T) {
	f := newCaseFixture(t)
	_, no := f.newCase()
	lawyer, bindingID := f.approvedLawyer("identity-lawyer", no)
	var p model.LawyerProfile
	f.DB.Where("user_id = ?", lawyer.UserID).Take(&p)
	profile := map[string]string{"name": p.Name, "license_no": p.LicenseNo, "firm": p.Firm, "phone": "13800138000"}

	other := f.LoginUser("licence-thief")
	r := f.Do(other, "PUT", "/api/h5/me/lawyer", profile)
	if r.Code != 422 || !strings.Contains(string(r.Body), "license_no") {
		t.Errorf("another user registering the same licence: %d %s", r.Code, r.Body)
	}
	f.must(200, f.Do(lawyer, "PUT", "/api/h5/me/lawyer", profile)) // the phone only: no review
	status := func() model.Binding {
		var b model.Binding
		f.DB.Take(&b, bindingID)
		return b
	}
	if b := status(); b.Status != model.StatusApproved {
		t.Fatalf("saving unchanged identity fields: binding %s", b.Status)
	}
	profile["firm"] = "另一律师事务所"
	f.must(200, f.Do(lawyer, "PUT", "/api/h5/me/lawyer", profile))
	b := status()
	if b.Status != model.StatusPending || !strings.Contains(b.Reason, "另一律师事务所") || !strings.Contains(b.Reason, p.Firm) {
		t.Errorf("after changing the firm: binding %s, note %q", b.Status, b.Reason)
	}
	var caseID uint64
	f.DB.Model(&model.Case{}).Where("case_no = ?", no).Pluck("id", &caseID)
	if r := f.Do(lawyer, "GET", fmt.Sprintf("/api/h5/cases/%d", caseID), nil); r.Code != 404 {
		t.Errorf("case view while back in review: %d", r.Code)
	}
	if rows := auditRows(t, f.Env, "binding.review_again"); len(rows) != 1 {
		t.Errorf("%d review-again audit rows", len(rows))
	}
}
