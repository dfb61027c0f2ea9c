package handler_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
)

func integrationCaseBody(parties ...map[string]string) []byte {
	body, _ := json.Marshal(map[string]any{
		"name": "赵六涉嫌诈骗案", "cause": "诈骗罪", "unit": "第二检察部", "prosecutor": "钱检察官",
		"accepted_at": "2026-11-25T10:00:00+08:00", "deadline": "2027-01-10", "measure": "逮捕", "stage": "审查起诉",
		"parties": append([]map[string]string{}, parties...),
	})
	return body
}

// TestIntegrationAPI: signature, window and replay guard; idempotent case
// upsert and event delivery (the same event twice → one event, one push).
func TestIntegrationAPI(t *testing.T) {
	f := newCaseFixture(t)
	caseNo := "京检刑受〔2026〕88号"
	casePath := "/api/integration/cases/" + url.PathEscape(caseNo)
	body := integrationCaseBody(map[string]string{"name": "赵六", "role": "犯罪嫌疑人", "id_number": idNumber(60)})

	if r := f.signedAt("PUT", casePath, body, f.Clock.Now(), "wrong-secret"); r.Code != 401 || r.ErrorCode() != "signature_invalid" {
		t.Errorf("bad signature: %d %s", r.Code, r.Body)
	}
	if r := f.signedAt("PUT", casePath, body, f.Clock.Now().Add(-6*time.Minute), "test-integration-secret"); r.Code != 401 || r.ErrorCode() != "timestamp_stale" {
		t.Errorf("stale timestamp: %d %s", r.Code, r.Body)
	}
	if r := f.signedAt("PUT", casePath, body, f.Clock.Now().Add(6*time.Minute), "test-integration-secret"); r.Code != 401 {
		t.Errorf("future timestamp: %d %s", r.Code, r.Body)
	}
	if r := f.Do(f.clerk, "PUT", casePath, body); r.Code != 401 {
		t.Errorf("unsigned: %d %s", r.Code, r.Body)
	}

	at := f.Clock.Now().Add(-time.Minute)
	r := f.must(201, f.signedAt("PUT", casePath, body, at, "test-integration-secret"))
	var stored service.CaseWithParties
	r.JSON(t, &stored)
	if stored.CaseNo != caseNo || len(stored.Parties) != 1 || stored.Deadline != "2027-01-10" {
		t.Fatalf("stored %+v", stored)
	}
	if r := f.signedAt("PUT", casePath, body, at, "test-integration-secret"); r.Code != 401 || r.ErrorCode() != "request_replayed" {
		t.Errorf("replay: %d %s", r.Code, r.Body)
	}
	f.must(200, f.signed("PUT", casePath, body)) // the same content, signed anew: idempotent
	var cases, parties int64
	f.DB.Model(&model.Case{}).Count(&cases)
	f.DB.Model(&model.Party{}).Count(&parties)
	if cases != 1 || parties != 1 {
		t.Errorf("after two upserts: %d cases, %d parties", cases, parties)
	}

	bad, _ := json.Marshal(map[string]any{"name": "", "accepted_at": "soon", "stage": "x",
		"parties": []map[string]string{{"name": "a", "role": "犯罪嫌疑人", "id_number": "123"}}})
	r = f.must(422, f.signed("PUT", casePath, bad))
	var errBody struct {
		Error struct{ Fields map[string]string }
	}
	r.JSON(t, &errBody)
	for _, field := range []string{"name", "accepted_at", "stage", "parties[0].id_number"} {
		if errBody.Error.Fields[field] == "" {
			t.Errorf("no error for %s: %v", field, errBody.Error.Fields)
		}
	}

	// Two approved bindings follow the case.
	party := f.LoginUser("integration-party")
	f.must(201, f.Do(party, "POST", "/api/h5/bindings", map[string]string{"case_no": caseNo, "role": "party", "name": "赵六", "id_number": idNumber(60)}))
	f.approvedLawyer("integration-lawyer", caseNo)

	eventPath := casePath + "/events"
	event, _ := json.Marshal(map[string]string{"event_id": "EV-1", "stage": "退回补充侦查", "description": "退回公安机关补充侦查。", "occurred_at": "2026-12-01T15:00:00+08:00"})
	r = f.must(201, f.signed("POST", eventPath, event))
	var ev model.CaseEvent
	r.JSON(t, &ev)
	r = f.must(200, f.signedAt("POST", eventPath, event, f.Clock.Now().Add(time.Second), "test-integration-secret"))
	var again model.CaseEvent
	r.JSON(t, &again)
	if again.ID != ev.ID {
		t.Errorf("second delivery stored event %d, first %d", again.ID, ev.ID)
	}
	var events int64
	f.DB.Model(&model.CaseEvent{}).Count(&events)
	if events != 1 || f.pushes("event:") != 2 {
		t.Errorf("%d events, %d pushes; want 1 event, one push per approved binding (2)", events, f.pushes("event:"))
	}

	if r := f.signedAt("POST", "/api/integration/cases/nope/events", event, f.Clock.Now().Add(2*time.Second), "test-integration-secret"); r.Code != 404 || r.ErrorCode() != "case_not_found" {
		t.Errorf("unknown case: %d %s", r.Code, r.Body)
	}
	noID, _ := json.Marshal(map[string]string{"stage": "受理", "occurred_at": "2026-12-01T15:00:00+08:00"})
	if r := f.signed("POST", eventPath, noID); r.Code != 422 || !strings.Contains(string(r.Body), "event_id") {
		t.Errorf("event without id: %d %s", r.Code, r.Body)
	}

	// Dropping the party from the list revokes its binding, with a push.
	f.must(200, f.signed("PUT", casePath, integrationCaseBody()))
	var b model.Binding
	f.DB.Where("user_id = ?", party.UserID).Take(&b)
	if b.Status != model.StatusRevoked || f.pushes("binding:") != 2 { // lawyer approved + party revoked
		t.Errorf("party binding %s, %d binding pushes", b.Status, f.pushes("binding:"))
	}
}

// TestIntegrationDisabled: without a secret the API says so, whatever the
// signature.
func TestIntegrationDisabled(t *testing.T) {
	svc := service.New(service.Deps{}, service.Options{})
	req := service.IntegrationRequest{Timestamp: "1", Method: "PUT", Path: "/api/integration/cases/x"}
	err := svc.VerifyIntegration(t.Context(), req, service.SignIntegration("", req))
	if err != service.ErrIntegrationDisabled {
		t.Fatalf("got %v", err)
	}
}
