package pdfmark_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"zsjc/pdfmark"
	"zsjc/pdfmark/pdfmarktest"
)

func setup(t testing.TB) { pdfmarktest.Setup(t) }

// TestStampMarksEveryPageAndLocks: the stamped copy shows the watermark
// lines on every page, opens with the password and not without it.
func TestStampMarksEveryPageAndLocks(t *testing.T) {
	setup(t)
	doc := pdfmarktest.Document(3)
	if n, err := pdfmark.Pages(bytes.NewReader(doc)); err != nil || n != 3 {
		t.Fatalf("pages = %d, %v", n, err)
	}
	lines := []string{"律师 张三 执业证号 11101200910123456", "某某律师事务所 2026-12-01 10:00 线上阅卷 EF7"}
	var out bytes.Buffer
	if err := pdfmark.Stamp(bytes.NewReader(doc), &out, lines, "Kp7-secret"); err != nil {
		t.Fatal(err)
	}
	pages, err := pdfmarktest.WatermarkText(out.Bytes(), "Kp7-secret")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages", len(pages))
	}
	for i, text := range pages {
		for _, l := range lines {
			if !strings.Contains(text, l) {
				t.Errorf("page %d: watermark %q lacks %q", i+1, text, l)
			}
		}
	}
	if _, err := pdfmarktest.WatermarkText(out.Bytes(), ""); err == nil {
		t.Error("the stamped copy opened without its password")
	}
	if _, err := pdfmarktest.WatermarkText(out.Bytes(), "wrong"); err == nil {
		t.Error("the stamped copy opened with a wrong password")
	}
}

// TestPagesRefusesWhatIsNotAPDF: a file with the PDF magic but no valid
// structure, and a non-PDF, are ErrNotPDF.
func TestPagesRefusesWhatIsNotAPDF(t *testing.T) {
	setup(t)
	for _, b := range [][]byte{[]byte("%PDF-1.7\nnot really\n%%EOF"), []byte("hello"), nil} {
		if _, err := pdfmark.Pages(bytes.NewReader(b)); !errors.Is(err, pdfmark.ErrNotPDF) {
			t.Errorf("Pages(%q) = %v, want ErrNotPDF", b, err)
		}
	}
}

// TestSetupAgainElsewhere: a second Setup naming a fresh directory (a
// second server in one process) installs the font there too, and stamps.
func TestSetupAgainElsewhere(t *testing.T) {
	setup(t)
	t.Cleanup(func() {
		if err := pdfmark.Setup(pdfmarktest.Dir(), ""); err != nil {
			t.Error(err)
		}
	})
	for range 2 {
		if err := pdfmark.Setup(t.TempDir(), ""); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := pdfmark.Stamp(bytes.NewReader(pdfmarktest.Document(1)), &out, []string{"张三"}, "pw"); err != nil {
			t.Fatalf("stamp after a new Setup: %v", err)
		}
	}
}
