package handler_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"zsjc/service"
)

// TestDocumentUploadAndDownload: PDF only by content, 20 MiB cap, and a
// streamed download with type, disposition and ranges.
func TestDocumentUploadAndDownload(t *testing.T) {
	f := newCaseFixture(t)
	id, no := f.newCase()
	path := fmt.Sprintf("/api/staff/cases/%d/documents", id)
	fields := map[string]string{"title": "不起诉决定书"}

	r := f.must(422, f.Send(f.clerk, multipartRequest(path, fields, "fake.pdf", pngBytes)))
	if !strings.Contains(string(r.Body), "PDF") {
		t.Errorf("png as pdf: %s", r.Body)
	}
	f.must(422, f.Send(f.clerk, multipartRequest(path, map[string]string{}, "a.pdf", pdfBytes(100))))
	f.must(422, f.Send(f.clerk, multipartRequest(path, fields, "", nil)))
	f.must(413, f.Send(f.clerk, multipartRequest(path, fields, "big.pdf", pdfBytes(service.MaxDocumentSize+1))))
	f.must(404, f.Send(f.clerk, multipartRequest("/api/staff/cases/999999/documents", fields, "a.pdf", pdfBytes(100))))
	f.must(400, f.Do(f.clerk, "POST", path, "not multipart"))

	content := pdfBytes(5000)
	req := multipartRequest(path, map[string]string{"title": "不起诉决定书", "doc_no": "京检不诉〔2026〕3号"}, `C:\scan\不起诉决定书.pdf`, content)
	r = f.must(201, f.Send(f.clerk, req))
	var doc struct {
		ID       uint64
		FileName string `json:"file_name"`
		Size     int64
	}
	r.JSON(t, &doc)
	if doc.FileName != "不起诉决定书.pdf" || doc.Size != int64(len(content)) {
		t.Errorf("document %+v", doc)
	}

	u, _ := f.approvedLawyer("reader", no)
	var docs struct{ Items []map[string]any }
	f.must(200, f.Do(u, "GET", fmt.Sprintf("/api/h5/cases/%d/documents", id), nil)).JSON(t, &docs)
	if len(docs.Items) != 1 {
		t.Fatalf("documents %v", docs.Items)
	}
	file := fmt.Sprintf("/api/h5/documents/%d/file", doc.ID)
	r = f.must(200, f.Do(u, "GET", file, nil))
	if !bytes.Equal(r.Body, content) || r.Header.Get("Content-Type") != "application/pdf" ||
		r.Header.Get("Content-Disposition") != "inline; filename*=utf-8''%E4%B8%8D%E8%B5%B7%E8%AF%89%E5%86%B3%E5%AE%9A%E4%B9%A6.pdf" ||
		r.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("download headers %v", r.Header)
	}
	rangeReq := httptest.NewRequest("GET", file, nil)
	rangeReq.Header.Set("Range", "bytes=100-199")
	r = f.Send(u, rangeReq)
	if r.Code != http.StatusPartialContent || !bytes.Equal(r.Body, content[100:200]) ||
		r.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(content)) {
		t.Errorf("range: %d %v", r.Code, r.Header)
	}
}

// TestUploads: PDF, JPEG and PNG by content; 10 MiB; the user's quota.
func TestUploads(t *testing.T) {
	f := newCaseFixture(t)
	u := f.LoginUser("uploader")
	send := func(kind, name string, content []byte) int {
		return f.Send(u, multipartRequest("/api/h5/uploads", map[string]string{"kind": kind}, name, content)).Code
	}
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, 64)...)
	for name, tc := range map[string]struct {
		kind    string
		content []byte
		want    int
	}{
		"pdf":          {"power_of_attorney", pdfBytes(10), 201},
		"jpeg":         {"license", jpeg, 201},
		"png, no kind": {"", pngBytes, 201},
		"html":         {"other", []byte("<html><script>alert(1)</script></html>"), 422},
		"bad kind":     {"passport", pdfBytes(10), 422},
		"too large":    {"other", pdfBytes(service.MaxUploadSize + 1), 413},
	} {
		if got := send(tc.kind, name+".pdf", tc.content); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	for range service.UploadQuotaFiles - 3 {
		if c := send("other", "x.pdf", pdfBytes(10)); c != 201 {
			t.Fatalf("upload within quota: %d", c)
		}
	}
	// A body without Content-Length is cut at the limit while being read.
	req := multipartRequest("/api/h5/uploads", nil, "big.pdf", pdfBytes(service.MaxUploadSize+100<<10))
	req.Body, req.ContentLength = io.NopCloser(io.MultiReader(req.Body)), -1
	if r := f.Send(u, req); r.Code != 413 {
		t.Errorf("chunked oversize upload: %d %s", r.Code, r.Body)
	}
	r := f.Send(u, multipartRequest("/api/h5/uploads", nil, "x.pdf", pdfBytes(10)))
	if r.Code != 409 || r.ErrorCode() != "upload_quota" {
		t.Errorf("over quota: %d %s", r.Code, r.Body)
	}
}
