package handler_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// Finding 3 of the security review: the signature did not cover the
// method or path, so a body signed for one case overwrote another.
func TestIntegrationSignatureCoversMethodAndPath(t *testing.T) {
	f := newCaseFixture(t)
	victim := "/api/integration/cases/" + url.PathEscape("京检刑受〔2026〕7号")
	f.must(201, f.signed("PUT", victim, integrationCaseBody(map[string]string{"name": "赵六", "role": "犯罪嫌疑人", "id_number": idNumber(61)})))

	ts := strconv.FormatInt(f.Clock.Now().Unix(), 10)
	body := integrationCaseBody() // an empty party list
	sig := service.SignIntegration(handlertest.TestIntegrationSecret, service.IntegrationRequest{
		Timestamp: ts, Method: "PUT", Path: "/api/integration/cases/" + url.PathEscape("京检刑受〔2026〕8号"), Body: body})
	for _, target := range []struct{ method, path string }{{"PUT", victim}, {"POST", victim + "/events"}} {
		req := httptest.NewRequest(target.method, target.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Zsjc-Timestamp", ts)
		req.Header.Set("X-Zsjc-Signature", sig)
		if r := f.Send(handlertest.Anonymous, req); r.Code != 401 || r.ErrorCode() != "signature_invalid" {
			t.Errorf("signature of another case's PUT at %s %s: %d %s", target.method, target.path, r.Code, r.Body)
		}
	}
	var parties int64
	f.DB.Model(&model.Party{}).Count(&parties)
	if parties != 1 {
		t.Errorf("victim case has %d parties after the forged request, want 1", parties)
	}
}

// Finding 15 (case numbers holding "/"): the number is one escaped path
// segment, signed as sent.
func TestIntegrationCaseNumberWithSlash(t *testing.T) {
	f := newCaseFixture(t)
	caseNo := "京检刑受〔2026〕9/1号"
	path := "/api/integration/cases/" + url.PathEscape(caseNo)
	var stored service.CaseWithParties
	f.must(201, f.signed("PUT", path, integrationCaseBody())).JSON(t, &stored)
	if stored.CaseNo != caseNo {
		t.Fatalf("stored case number %q, want %q", stored.CaseNo, caseNo)
	}
	event, _ := json.Marshal(map[string]string{"event_id": "S-1", "stage": "提起公诉", "description": "已提起公诉。", "occurred_at": "2026-12-01T15:00:00+08:00"})
	f.must(201, f.signed("POST", path+"/events", event))
}
