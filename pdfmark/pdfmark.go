// Package pdfmark reads, checks, watermarks and encrypts PDF files with
// pdfcpu: the electronic case files of online file review (线上阅卷) are
// checked on upload and stamped afresh for every download.
package pdfmark

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	pdfmodel "github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// FontCandidates are where Debian and Ubuntu install TrueType fonts with
// Chinese glyphs (fonts-wqy-zenhei, fonts-arphic-ukai, fonts-arphic-uming);
// the first present is used when none is configured. pdfcpu embeds
// TrueType (glyf) outlines only: OpenType CFF fonts such as Noto Sans CJK
// are refused.
var FontCandidates = []string{
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/ukai.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
}

// ErrNoFont says no font with Chinese glyphs is set up: watermarks cannot
// be drawn.
var ErrNoFont = errors.New("pdfmark: no font with Chinese glyphs (set ZSJC_EFILE_FONT)")

// ErrNotPDF says a file is not a PDF pdfcpu can read and validate.
var ErrNotPDF = errors.New("pdfmark: not a valid PDF")

var (
	setupMu  sync.Mutex
	fontName string // the PostScript name of the installed watermark font
)

// Setup points pdfcpu's configuration (a process-wide setting) at dir and
// installs fontFile there (a TrueType font or collection with Chinese
// glyphs; "" picks the first of FontCandidates). It is idempotent: a font
// already installed is not installed again.
func Setup(dir, fontFile string) error {
	setupMu.Lock()
	defer setupMu.Unlock()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("pdfcpu configuration dir %s: %w", dir, err)
	}
	pdfmodel.ConfigPath = dir
	if err := pdfmodel.EnsureDefaultConfigAt(dir, false); err != nil {
		return fmt.Errorf("pdfcpu configuration at %s: %w", dir, err)
	}
	if fontFile == "" {
		for _, c := range FontCandidates {
			if _, err := os.Stat(c); err == nil {
				fontFile = c
				break
			}
		}
	}
	if fontFile == "" {
		fontName = ""
		return ErrNoFont
	}
	name, err := installFont(fontFile)
	if err != nil {
		return err
	}
	fontName = name
	return nil
}

// installFont installs fontFile into pdfcpu's font directory (unless a
// font is installed there already) and returns the PostScript name of its
// Simplified Chinese face. What is on disk decides, not pdfcpu's metrics
// in memory: a second Setup in the process may name another directory.
func installFont(fontFile string) (string, error) {
	if n := pickFont(installedFonts()); n != "" {
		return n, reloadFonts(fontFile)
	}
	var report font.InstallReport
	var err error
	if strings.EqualFold(filepath.Ext(fontFile), ".ttc") {
		report, err = font.InstallTrueTypeCollection(font.UserFontDir, fontFile)
	} else {
		report, err = font.InstallTrueTypeFont(font.UserFontDir, fontFile)
	}
	if err != nil {
		return "", fmt.Errorf("install watermark font %s: %w", fontFile, err)
	}
	var names []string
	for _, r := range report.Fonts {
		names = append(names, r.PostScriptName)
	}
	n := pickFont(names)
	if n == "" {
		return "", fmt.Errorf("watermark font %s: %w", fontFile, ErrNoFont)
	}
	return n, reloadFonts(fontFile)
}

// installedFonts names the fonts installed in pdfcpu's font directory.
func installedFonts() []string {
	entries, err := os.ReadDir(font.UserFontDir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".gob"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	return names
}

func reloadFonts(fontFile string) error {
	if err := font.ReloadUserFonts(); err != nil {
		return fmt.Errorf("load watermark font %s: %w", fontFile, err)
	}
	return nil
}

// pickFont prefers a Simplified Chinese face of the installed fonts; any
// other non-Roboto face (a single-face TTF) will do.
func pickFont(names []string) string {
	other := ""
	for _, n := range names {
		switch {
		case strings.Contains(n, "SC") || strings.Contains(strings.ToLower(n), "wqy") || strings.Contains(n, "WenQuanYi"):
			return n
		case !strings.HasPrefix(n, "Roboto") && other == "":
			other = n
		}
	}
	return other
}

// FontName is the installed watermark font ("" before Setup succeeded).
func FontName() string {
	setupMu.Lock()
	defer setupMu.Unlock()
	return fontName
}

func conf() *pdfmodel.Configuration {
	c := pdfmodel.NewDefaultConfiguration()
	c.ValidationMode = pdfmodel.ValidationRelaxed
	return c
}

// Pages validates the PDF read from rs and returns its page count;
// anything pdfcpu cannot read and validate is ErrNotPDF.
func Pages(rs io.ReadSeeker) (int, error) {
	ctx, err := api.ReadAndValidate(rs, conf())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotPDF, err)
	}
	return ctx.PageCount, nil
}

// Stamp writes to w a copy of the PDF read from rs carrying lines as a
// visible watermark on every page, encrypted (AES-256) with password as
// both the user and the owner password: opening it needs the password,
// and the copy allows printing only. The file is parsed once; the
// watermarked document is encrypted as it is written.
//
// The text is set once, on a blank page (markPage), and that page is laid
// over every page as a PDF watermark: pdfcpu lays out a text watermark
// afresh for each page, copying the CJK font's metrics for every
// character, which made a 300-page file cost gigabytes of allocations.
func Stamp(rs io.ReadSeeker, w io.Writer, lines []string, password string) error {
	mark, err := markPage(lines)
	if err != nil {
		return err
	}
	c := conf()
	c.Cmd = pdfmodel.ADDWATERMARKS
	c.OptimizeDuplicateContentStreams = false
	ctx, err := api.ReadValidateAndOptimize(rs, c)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotPDF, err)
	}
	wm, err := api.PDFWatermarkForReadSeeker(bytes.NewReader(mark), 1, "scale:1 rel, rot:0", true, false, types.POINTS)
	if err != nil {
		return fmt.Errorf("watermark: %w", err)
	}
	if err := api.WatermarkContext(ctx, nil, wm); err != nil {
		return fmt.Errorf("watermark: %w", err)
	}
	ctx.Cmd = pdfmodel.ENCRYPT
	ctx.UserPW, ctx.OwnerPW = password, password
	ctx.EncryptUsingAES, ctx.EncryptKeyLength = true, 256
	ctx.Permissions = pdfmodel.PermissionsPrint
	if err := api.WriteContext(ctx, w); err != nil {
		return fmt.Errorf("write stamped PDF: %w", err)
	}
	return nil
}

// markPage is a one-page A4 PDF showing lines diagonally, translucent, in
// the watermark font.
func markPage(lines []string) ([]byte, error) {
	name := FontName()
	if name == "" {
		return nil, ErrNoFont
	}
	desc := fmt.Sprintf("font:%s, points:16, scale:0.85 rel, rot:35, opacity:0.35, fillcolor:#c00000, align:c", name)
	wm, err := api.TextWatermark(strings.Join(lines, "\n"), desc, true, false, types.POINTS)
	if err != nil {
		return nil, fmt.Errorf("watermark text: %w", err)
	}
	var out bytes.Buffer
	c := conf()
	if err := api.AddWatermarks(bytes.NewReader(blankPage), &out, nil, wm, c); err != nil {
		return nil, fmt.Errorf("watermark page: %w", err)
	}
	return out.Bytes(), nil
}

// blankPage is an empty A4 page.
var blankPage = Assemble([]string{
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
	"<< /Length 0 >>\nstream\n\nendstream",
})

// Assemble writes a PDF of objs, numbered from 1 (the first is the
// catalog), with its cross-reference table.
func Assemble(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
