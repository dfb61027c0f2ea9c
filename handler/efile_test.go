package handler_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/pdfmark/pdfmarktest"
)

// TestEfileHTTPJourney walks online file review through the API: apply,
// upload (only a PDF), approve, the once-shown password after a fresh
// login, watermarked encrypted downloads up to the limit, then 410 with a
// message; another lawyer gets 404 for the request and its file; staff
// see the download log.
func TestEfileHTTPJourney(t *testing.T) {
	pdfmarktest.Setup(t)
	f := newApptFixture(t)
	caseID := f.newCase()
	lawyer := f.lawyer(caseID)
	if err := f.DB.Create(&model.LawyerProfile{UserID: lawyer.UserID, Name: "张律师", LicenseNo: "11101201010123456", Firm: "某某律师事务所"}).Error; err != nil {
		t.Fatal(err)
	}
	r := f.expect(http.StatusCreated, f.Do(lawyer, http.MethodPost, "/api/h5/efile-requests", map[string]any{"case_id": caseID, "note": "请提供电子卷宗"}))
	id := idOf(t, r)
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(lawyer, http.MethodPost, "/api/h5/efile-requests", map[string]any{"note": "x"}))

	staffPath := fmt.Sprintf("/api/staff/efile-requests/%d", id)
	f.expectError(http.StatusConflict, "efile_no_files", f.Do(f.staff, http.MethodPost, staffPath+"/approve", map[string]any{}))
	f.expectError(http.StatusUnprocessableEntity, "invalid_input",
		f.Send(f.staff, multipartRequest(staffPath+"/files", nil, "a.pdf", []byte("%PDF-1.4 not a pdf at all"))))
	// Over the 1 MiB body limit of other routes and the 20 MiB of documents: the route takes 200 MiB.
	big := f.expect(http.StatusCreated, f.Send(f.staff, multipartRequest(staffPath+"/files", nil, "附卷.pdf", pdfmarktest.Padded(21<<20))))
	if !strings.Contains(string(big.Body), `"pages":1`) {
		t.Errorf("large upload: %.200s", big.Body)
	}
	up := f.expect(http.StatusCreated, f.Send(f.staff, multipartRequest(staffPath+"/files", nil, "卷宗.pdf", pdfmarktest.Document(3))))
	fileID := idOf(t, up)
	f.expectError(http.StatusConflict, "efile_pending", f.Do(lawyer, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID), nil))
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodPost, staffPath+"/approve", map[string]any{"expires_days": 7, "download_limit": 2}))
	queue := f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/staff/efile-requests?status=approved", nil))
	if !strings.Contains(string(queue.Body), `"total":1`) || !strings.Contains(string(queue.Body), "张律师") {
		t.Errorf("staff queue: %s", queue.Body)
	}
	f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(f.staff, http.MethodGet, "/api/staff/efile-requests?status=bogus", nil))

	f.Clock.Advance(time.Minute)
	fresh := f.Env.LoginUser(lawyer.OpenID)
	var view struct {
		ID        uint64     `json:"id"`
		Status    string     `json:"status"`
		ExpiresAt *time.Time `json:"expires_at"`
		Files     []struct {
			ID            uint64 `json:"id"`
			Name          string `json:"name"`
			Pages         int    `json:"pages"`
			DownloadsLeft int    `json:"downloads_left"`
		} `json:"files"`
		Password string `json:"password"`
	}
	detail := f.expect(http.StatusOK, f.Env.Do(fresh, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d", id), nil))
	detail.JSON(t, &view)
	if view.Status != "approved" || view.ExpiresAt == nil || len(view.Files) != 2 || view.Files[1].ID != fileID || view.Files[1].Pages != 3 ||
		view.Files[1].DownloadsLeft != 2 || view.Password == "" || detail.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("detail: %s", detail.Body)
	}
	password := view.Password
	again := f.expect(http.StatusOK, f.Env.Do(fresh, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d", id), nil))
	if strings.Contains(string(again.Body), `"password"`) {
		t.Errorf("second view shows the password: %s", again.Body)
	}

	// Answered, the request is rated once, by its lawyer only, and 我的申请 lists it.
	var invites int64
	if err := f.DB.Model(&model.PushMessage{}).Where("kind = ? AND dedup_key LIKE ?", model.PushRatingInvite, fmt.Sprintf("rating:efile:%d:%%", id)).
		Count(&invites).Error; err != nil || invites != 1 {
		t.Errorf("approval invited %d ratings (%v), want 1", invites, err)
	}
	rating := map[string]any{"kind": "efile", "id": id, "stars": 5, "tags": []string{"效率高"}}
	other := f.lawyer(caseID)
	f.expectError(http.StatusNotFound, "not_found", f.Do(other, http.MethodPost, "/api/h5/ratings", rating))
	f.expect(http.StatusCreated, f.Do(lawyer, http.MethodPost, "/api/h5/ratings", rating))
	f.expectError(http.StatusConflict, "already_rated", f.Do(lawyer, http.MethodPost, "/api/h5/ratings", rating))
	mine := f.expect(http.StatusOK, f.Do(lawyer, http.MethodGet, "/api/h5/requests", nil))
	if !strings.Contains(string(mine.Body), `"kind":"efile"`) || !strings.Contains(string(mine.Body), `"stars":5`) {
		t.Errorf("我的申请 lacks the rated online file review: %s", mine.Body)
	}

	f.expectError(http.StatusNotFound, "not_found", f.Do(other, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d", id), nil))
	f.expectError(http.StatusNotFound, "not_found", f.Do(other, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID), nil))
	f.expectError(http.StatusNotFound, "not_found", f.Env.Do(fresh, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID+100), nil))

	crossSite := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID), nil)
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	f.expectError(http.StatusForbidden, "cross_origin", f.Env.Send(fresh, crossSite))
	for i := range 2 {
		dl := f.expect(http.StatusOK, f.Env.Do(fresh, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID), nil))
		if dl.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("download %d headers: %v", i, dl.Header)
		}
		pages, err := pdfmarktest.WatermarkText(dl.Body, password)
		if err != nil || len(pages) != 3 || !strings.Contains(pages[2], "张律师") {
			t.Errorf("download %d: %v %q", i, err, pages)
		}
	}
	gone := f.expectError(http.StatusGone, "efile_exhausted",
		f.Env.Do(fresh, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID), nil))
	if msg := errorMessage(t, gone); !strings.Contains(msg, "下载次数已用完") {
		t.Errorf("410 message: %q", msg)
	}
	log := f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, staffPath+"/downloads", nil))
	if !strings.Contains(string(log.Body), `"total":2`) || !strings.Contains(string(log.Body), "卷宗.pdf") {
		t.Errorf("download log: %s", log.Body)
	}
	prosecutor := f.LoginStaff(model.StaffProsecutor)
	f.expectError(http.StatusForbidden, "forbidden", f.Do(prosecutor, http.MethodPost, staffPath+"/reject", map[string]any{"reason": "x"}))
	list := f.expect(http.StatusOK, f.Env.Do(fresh, http.MethodGet, "/api/h5/efile-requests", nil))
	if !strings.Contains(string(list.Body), fmt.Sprintf(`"id":%d`, id)) || strings.Contains(string(list.Body), password) {
		t.Errorf("list: %s", list.Body)
	}
	f.Clock.Advance(8 * 24 * time.Hour)
	late := f.Env.LoginUser(lawyer.OpenID)
	f.expectError(http.StatusGone, "efile_expired", f.Env.Do(late, http.MethodGet, fmt.Sprintf("/api/h5/efile-requests/%d/files/%d", id, fileID), nil))
	if strings.Contains(f.Logs.String(), password) {
		t.Error("the password was logged")
	}
}
