package handler_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"zsjc/model"
)

// Finding 15 of the security review: uploaded file names kept bidi
// overrides and other invisible format characters.
func TestUploadNamesLoseBidiAndFormatCharacters(t *testing.T) {
	f := newCaseFixture(t)
	u := f.LoginUser("bidi-uploader")
	r := f.must(201, f.Send(u, multipartRequest("/api/h5/uploads", map[string]string{"kind": "other"},
		"委托书\u202Efdp.exe\u2066\u200f\u061c\u200b", pdfBytes(100))))
	var up struct{ ID uint64 }
	r.JSON(t, &up)
	var stored model.Upload
	f.DB.Take(&stored, up.ID)
	if stored.FileName != "委托书fdp.exe" || strings.ContainsAny(stored.FileName, "\u202e\u2066\u200f\u061c\u200b") {
		t.Errorf("stored file name %q", stored.FileName)
	}
}

// Finding 15 of the security review: a document of someone else's case
// took a second query (the binding check) that an absent id did not, so
// timing told the two apart. Both now take the same single query.
func TestDocumentDownloadSamePathForAbsentAndNotYours(t *testing.T) {
	f := newCaseFixture(t)
	caseID, _ := f.newCase()
	private := f.document(caseID, false)
	u := f.LoginUser("doc-outsider")
	var queries atomic.Int64
	if err := f.DB.Callback().Query().After("gorm:query").Register("count_queries", func(*gorm.DB) { queries.Add(1) }); err != nil {
		t.Fatal(err)
	}
	count := func(id uint64) int64 {
		queries.Store(0)
		if r := f.Do(u, "GET", fmt.Sprintf("/api/h5/documents/%d/file", id), nil); r.Code != 404 {
			t.Fatalf("document %d: %d", id, r.Code)
		}
		return queries.Load()
	}
	absent, notYours := count(private+1000), count(private)
	if absent != notYours {
		t.Errorf("queries: absent id %d, another case's document %d; want the same", absent, notYours)
	}
}
