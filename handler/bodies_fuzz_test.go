package handler_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// FuzzJSONBodies sends arbitrary bodies to the routes that decode JSON
// (bindings, profile, cases and events, appointments, staff accounts,
// login and its second step): whatever arrives, the answer is a 2xx or a 4xx with an error
// body, never a 500 or a panic.
func FuzzJSONBodies(f *testing.F) {
	env := handlertest.New(f)
	staff := env.LoginStaff(model.StaffAdmin)
	lawyer := env.LoginUser("openid-fuzz")
	c := model.Case{CaseNo: "京检刑受〔2026〕fuzz", Name: "测试案", Stage: "审查起诉", AcceptedAt: env.Clock.Now()}
	if err := env.DB.Create(&c).Error; err != nil {
		f.Fatal(err)
	}
	if err := env.DB.Create(&model.Binding{UserID: lawyer.UserID, CaseID: c.ID, Role: model.RoleLawyer,
		Status: model.StatusApproved, LiveKey: model.LiveKey(lawyer.UserID, c.ID)}).Error; err != nil {
		f.Fatal(err)
	}
	second := env.LoginStaff(model.StaffAdmin) // a pending login of an enrolled administrator
	var account model.Staff
	env.DB.Take(&account, second.StaffID)
	pending := handlertest.Caller{Cookie: env.PostStaffLogin(account.Username, handlertest.StaffPassword).Cookie("zsjc_staff")}
	routes := []struct {
		caller       handlertest.Caller
		method, path string
	}{
		{lawyer, http.MethodPost, "/api/h5/reviews"},
		{lawyer, http.MethodPost, "/api/h5/meetings"},
		{lawyer, http.MethodPost, "/api/h5/bindings"},
		{lawyer, http.MethodPut, "/api/h5/me/lawyer"},
		{staff, http.MethodPost, "/api/staff/review-slots"},
		{staff, http.MethodPost, "/api/staff/review-slots/bulk"},
		{staff, http.MethodPost, "/api/staff/reviews/1/reject"},
		{staff, http.MethodPost, "/api/staff/meetings/1/confirm"},
		{staff, http.MethodPost, "/api/staff/meetings/1/reject"},
		{staff, http.MethodPost, "/api/staff/bindings/1/reject"},
		{staff, http.MethodPost, "/api/staff/cases"},
		{staff, http.MethodPut, fmt.Sprintf("/api/staff/cases/%d", c.ID)},
		{staff, http.MethodPost, fmt.Sprintf("/api/staff/cases/%d/events", c.ID)},
		{staff, http.MethodPost, "/api/staff/users"},
		{handlertest.Anonymous, http.MethodPost, "/api/staff/login"},
		{pending, http.MethodPost, "/api/staff/login/2fa"},
	}
	for _, seed := range []string{
		fmt.Sprintf(`{"case_id":%d,"slot_id":1,"copy_method":"复印","note":"x"}`, c.ID),
		fmt.Sprintf(`{"case_id":%d,"type":"其他","preferred_times":["2026-12-03T10:00:00+08:00","2026-12-03T11:00:00+08:00"]}`, c.ID),
		`{"date":"2026-12-03","period":"am","room_id":1,"capacity":3}`,
		`{"from":"2026-12-03","to":"2026-12-09","periods":["am"],"room_id":1,"capacity":3}`,
		`{"time":"2026-12-03T10:00:00+08:00","place":"接待室","reason":"理由"}`,
		`{"case_id":-1,"slot_id":1e99,"preferred_times":[null,{}],"capacity":"5"}`,
		`{"date":"9999-99-99","start_time":"25:61","from":"0000-01-01","to":"9999-12-31"}`,
		`{"case_no":"京检刑受〔2026〕fuzz","role":"party","name":"张三","id_number":"11010519491231002X"}`,
		`{"case_no":"x","role":"lawyer","materials":[1,2,-3]}`,
		`{"name":"李律师","license_no":"11101201910123456","firm":"某律师事务所","phone":"13800138000"}`,
		`{"case_no":"京检刑受〔2026〕9号","name":"案","accepted_at":"2026-11-01T09:00:00+08:00","deadline":"2027-01-01","stage":"受理"}`,
		`{"stage":"提起公诉","description":"已提起公诉","occurred_at":"2026-12-01T09:00:00+08:00"}`,
		`{"username":"fuzzer","role":"admin","password":"Aa1!aaaa"}`,
		`{"username":"admin","password":"x"}`,
		`{"code":"123456"}`, `{"code":"ABCDE-23456"}`, `{"code":" 12 34 56 "}`,
		`{"case_no":"京检刑受〔2026〕10号","name":"案","accepted_at":"0000-01-01T00:00:00Z","deadline":"0001-01-01","stage":"受理"}`,
		`{"name":"案","accepted_at":"9999-12-31T23:59:59-23:59","deadline":"9999-12-31","stage":"受理"}`,
		`{"stage":"提起公诉","occurred_at":"9999-12-31T23:59:59-23:59"}`,
		`{"stage":"提起公诉","occurred_at":"0000-01-01T00:00:00Z"}`,
		`{"time":"9999-12-31T23:59:59-23:59","place":"接待室"}`,
		`{"date":"0001-01-01","period":"am","room":"一","capacity":1}`,
		`[]`, `null`, `"\u0000"`, `{"note":"` + string(bytes.Repeat([]byte("长"), 600)) + `"}`,
	} {
		for i := range routes {
			f.Add(i, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, route int, body []byte) {
		if route < 0 || route >= len(routes) {
			return
		}
		rt := routes[route]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		r := env.Send(rt.caller, req)
		if r.Code >= 500 || r.Code < 200 {
			t.Fatalf("%s %s %q → %d %s", rt.method, rt.path, body, r.Code, r.Body)
		}
		if r.Code >= 400 && r.ErrorCode() == "" {
			t.Fatalf("%s %s %q → %d without an error body: %s", rt.method, rt.path, body, r.Code, r.Body)
		}
	})
}
