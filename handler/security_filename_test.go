package handler_test

import (
	"strings"
	"testing"

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
