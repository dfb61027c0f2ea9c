package handler_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/testenv"
)

// TestTwoInstancesShareFilesThroughS3: with the S3 store (a real
// S3-protocol server over HTTP), a file uploaded through one instance is
// served, ranges included, by the other.
func TestTwoInstancesShareFilesThroughS3(t *testing.T) {
	a, b := handlertest.NewPair(t, handlertest.WithFiles(testenv.S3Store(t)))
	f := &caseFixture{Env: a, t: t, clerk: a.LoginStaff(model.StaffCaseManager)}
	onB := &caseFixture{Env: b, t: t, clerk: f.clerk}
	caseID, no := f.newCase()

	// A lawyer's 委托书 uploaded through B is read by staff on A.
	lawyer := f.lawyer("fleet-lawyer")
	power := pdfBytes(3000)
	upload := onB.upload(lawyer, "power_of_attorney", power)
	r := f.must(200, f.Do(f.clerk, "GET", fmt.Sprintf("/api/staff/uploads/%d/file", upload), nil))
	if !bytes.Equal(r.Body, power) {
		t.Fatalf("upload read through A: %d bytes, want %d", len(r.Body), len(power))
	}

	// A document published through A is downloaded, in ranges, through B.
	bindingID := f.must(201, f.Do(lawyer, "POST", "/api/h5/bindings",
		map[string]any{"case_no": no, "role": "lawyer", "materials": []uint64{upload}}))
	var binding struct{ ID uint64 }
	bindingID.JSON(t, &binding)
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", binding.ID), nil))
	content := pdfBytes(200 << 10)
	content[150000] = 'Z'
	r = f.must(201, f.Send(f.clerk, multipartRequest(fmt.Sprintf("/api/staff/cases/%d/documents", caseID),
		map[string]string{"title": "起诉书"}, "起诉书.pdf", content)))
	var doc struct{ ID uint64 }
	r.JSON(t, &doc)
	file := fmt.Sprintf("/api/h5/documents/%d/file", doc.ID)
	r = onB.must(200, b.Do(lawyer, "GET", file, nil))
	if !bytes.Equal(r.Body, content) {
		t.Fatalf("document through B: %d bytes, want %d", len(r.Body), len(content))
	}
	req := httptest.NewRequest("GET", file, nil)
	req.Header.Set("Range", "bytes=149990-150009")
	r = b.Send(lawyer, req)
	if r.Code != http.StatusPartialContent || !bytes.Equal(r.Body, content[149990:150010]) ||
		r.Header.Get("Content-Range") != fmt.Sprintf("bytes 149990-150009/%d", len(content)) {
		t.Fatalf("range through B: %d %v %q", r.Code, r.Header, r.Body)
	}
}
