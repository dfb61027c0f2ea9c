package handler_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// idNumber is handlertest.IDNumber, short for the many tests using it.
var idNumber = handlertest.IDNumber

// pdfBytes is a minimal file that sniffs as PDF, n bytes long.
func pdfBytes(n int) []byte {
	b := bytes.Repeat([]byte("0"), max(n, 16))
	copy(b, "%PDF-1.4\n%")
	return b
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

// multipartRequest builds a multipart POST with form fields and a "file".
func multipartRequest(path string, fields map[string]string, fileName string, content []byte) *http.Request {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if content != nil {
		fw, _ := w.CreateFormFile("file", fileName)
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

// caseFixture is an environment with a case-office clerk and helpers.
type caseFixture struct {
	*handlertest.Env
	t     *testing.T
	clerk handlertest.Caller
}

func newCaseFixture(t *testing.T) *caseFixture {
	e := handlertest.New(t)
	return &caseFixture{Env: e, t: t, clerk: e.LoginStaff(model.StaffCaseManager)}
}

// must expects status code and returns the response.
func (f *caseFixture) must(code int, r handlertest.Response) handlertest.Response {
	f.t.Helper()
	if r.Code != code {
		f.t.Fatalf("want %d, got %d: %s", code, r.Code, r.Body)
	}
	return r
}

// newCase creates a case through the staff API with the given parties.
func (f *caseFixture) newCase(parties ...service.PartyInput) (uint64, string) {
	f.t.Helper()
	no := f.Unique("京检刑受〔2026〕") + "号"
	deadline := handlertest.Start.In(f.Options.Location).AddDate(0, 0, 10).Format("2006-01-02")
	r := f.must(201, f.Do(f.clerk, "POST", "/api/staff/cases", map[string]any{
		"case_no": no, "name": "测试" + no + "案", "cause": "盗窃罪", "unit": "第一检察部",
		"accepted_at": "2026-11-20T09:00:00+08:00", "deadline": deadline, "stage": "审查起诉",
	}))
	var c struct{ ID uint64 }
	r.JSON(f.t, &c)
	for _, p := range parties {
		f.must(201, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/cases/%d/parties", c.ID), p))
	}
	return c.ID, no
}

// lawyer logs a user in and gives it a lawyer profile.
func (f *caseFixture) lawyer(openid string) handlertest.Caller {
	f.t.Helper()
	u := f.LoginUser(openid)
	p := model.LawyerProfile{UserID: u.UserID, Name: "王律师", LicenseNo: fmt.Sprintf("1110120101%07d", u.UserID), Firm: "某律师事务所", PhoneMasked: "138****0000"}
	if err := f.DB.Create(&p).Error; err != nil {
		f.t.Fatal(err)
	}
	return u
}

// upload posts a material as user and returns its id.
func (f *caseFixture) upload(u handlertest.Caller, kind string, content []byte) uint64 {
	f.t.Helper()
	r := f.must(201, f.Send(u, multipartRequest("/api/h5/uploads", map[string]string{"kind": kind}, "委托书.pdf", content)))
	var up struct{ ID uint64 }
	r.JSON(f.t, &up)
	return up.ID
}

// lawyerBinding asks for a lawyer binding and returns its id (pending).
func (f *caseFixture) lawyerBinding(u handlertest.Caller, caseNo string) uint64 {
	f.t.Helper()
	up := f.upload(u, "power_of_attorney", pdfBytes(100))
	r := f.must(201, f.Do(u, "POST", "/api/h5/bindings", map[string]any{"case_no": caseNo, "role": "lawyer", "materials": []uint64{up}}))
	var b struct {
		ID     uint64
		Status string
	}
	r.JSON(f.t, &b)
	if b.Status != "pending" {
		f.t.Fatalf("lawyer binding status %q", b.Status)
	}
	return b.ID
}

// approvedLawyer is a lawyer whose binding to caseNo staff approved.
func (f *caseFixture) approvedLawyer(openid, caseNo string) (handlertest.Caller, uint64) {
	f.t.Helper()
	u := f.lawyer(openid)
	id := f.lawyerBinding(u, caseNo)
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", id), nil))
	return u, id
}

// document publishes a PDF on a case and returns its id.
func (f *caseFixture) document(caseID uint64, public bool) uint64 {
	f.t.Helper()
	req := multipartRequest(fmt.Sprintf("/api/staff/cases/%d/documents", caseID),
		map[string]string{"title": "起诉书", "doc_no": "京检诉〔2026〕1号", "type": "起诉书", "public": strconv.FormatBool(public)},
		"起诉书.pdf", pdfBytes(4096))
	r := f.must(201, f.Send(f.clerk, req))
	var d struct{ ID uint64 }
	r.JSON(f.t, &d)
	return d.ID
}

// pushes counts outbox rows whose dedup key starts with cause.
func (f *caseFixture) pushes(causePrefix string) int64 {
	f.t.Helper()
	var n int64
	if err := f.DB.Model(&model.PushMessage{}).Where("dedup_key LIKE ?", causePrefix+"%").Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

// signed sends a signed integration request at the fixture clock's time.
func (f *caseFixture) signed(method, path string, body []byte) handlertest.Response {
	return f.signedAt(method, path, body, f.Clock.Now(), handlertest.TestIntegrationSecret)
}

func (f *caseFixture) signedAt(method, path string, body []byte, at time.Time, secret string) handlertest.Response {
	ts := strconv.FormatInt(at.Unix(), 10)
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Zsjc-Timestamp", ts)
	req.Header.Set("X-Zsjc-Signature", service.SignIntegration(secret,
		service.IntegrationRequest{Timestamp: ts, Method: method, Path: req.URL.EscapedPath(), Body: body}))
	return f.Send(handlertest.Anonymous, req)
}
