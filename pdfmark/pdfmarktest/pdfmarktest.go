// Package pdfmarktest makes PDF files for tests and benchmarks.
package pdfmarktest

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"zsjc/pdfmark"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	pdfmodel "github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// onePage is a minimal one-page PDF with a line of text; its xref offsets
// are computed when it is built.
func onePage() []byte { return Padded(0) }

// Padded is a one-page PDF whose content stream carries about pad bytes
// of comment lines: a large file that is still a valid PDF.
func Padded(pad int) []byte {
	content := "BT /F1 18 Tf 72 720 Td (Case file page) Tj ET"
	if pad > 0 {
		content = strings.Repeat("% padding padding padding padding padding padding padding padding\n", pad/66+1) + content
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	return pdfmark.Assemble(objs)
}

// Document is a PDF of the given number of pages, each with a line of
// text, merged by pdfcpu.
func Document(pages int) []byte {
	if pages <= 1 {
		return onePage()
	}
	page := onePage()
	in := make([]io.ReadSeeker, pages)
	for i := range in {
		in[i] = bytes.NewReader(page)
	}
	var out bytes.Buffer
	if err := api.MergeRaw(in, &out, false, pdfmodel.NewDefaultConfiguration()); err != nil {
		panic(fmt.Sprintf("merge %d pages: %v", pages, err))
	}
	return out.Bytes()
}

// WatermarkText opens pdf with password and returns, for every page, the
// text of the watermarks drawn on it (the form XObjects the page draws,
// and the forms they draw in turn), decoded through the embedded fonts'
// ToUnicode maps: what a reader sees stamped on the page.
func WatermarkText(pdf []byte, password string) ([]string, error) {
	conf := pdfmodel.NewDefaultConfiguration()
	conf.UserPW, conf.OwnerPW = password, password
	ctx, err := api.ReadContext(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, err
	}
	if err := api.ValidateContext(ctx); err != nil {
		return nil, err
	}
	out := make([]string, ctx.PageCount)
	for p := 1; p <= ctx.PageCount; p++ {
		_, _, attrs, err := ctx.PageDict(p, false)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", p, err)
		}
		var text strings.Builder
		if err := formsText(ctx, attrs.Resources, &text, 0); err != nil {
			return nil, fmt.Errorf("page %d: %w", p, err)
		}
		out[p-1] = text.String()
	}
	return out, nil
}

// formsText writes the text of the form XObjects of resources res (and of
// the forms inside them) to text.
func formsText(ctx *pdfmodel.Context, res types.Dict, text *strings.Builder, depth int) error {
	if res == nil || depth > 4 {
		return nil
	}
	xobjects, err := ctx.DereferenceDict(res["XObject"])
	if err != nil || xobjects == nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(xobjects)) {
		sd, _, err := ctx.DereferenceStreamDict(xobjects[name])
		if err != nil || sd == nil {
			continue
		}
		if st := sd.Subtype(); st == nil || *st != "Form" {
			continue
		}
		if err := sd.Decode(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		glyphs, err := formGlyphs(ctx, sd)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		text.WriteString(decodeShown(string(sd.Content), glyphs))
		inner, err := ctx.DereferenceDict(sd.Dict["Resources"])
		if err != nil {
			return err
		}
		if err := formsText(ctx, inner, text, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// formGlyphs maps the glyph ids of the form's fonts back to runes, from
// each font's ToUnicode CMap (bfchar and bfrange entries).
func formGlyphs(ctx *pdfmodel.Context, sd *types.StreamDict) (map[uint16]rune, error) {
	glyphs := map[uint16]rune{}
	res, err := ctx.DereferenceDict(sd.Dict["Resources"])
	if err != nil || res == nil {
		return glyphs, err
	}
	fonts, err := ctx.DereferenceDict(res["Font"])
	if err != nil || fonts == nil {
		return glyphs, err
	}
	for _, ref := range fonts {
		fd, err := ctx.DereferenceDict(ref)
		if err != nil || fd == nil {
			continue
		}
		cmap, _, err := ctx.DereferenceStreamDict(fd["ToUnicode"])
		if err != nil || cmap == nil {
			continue
		}
		if err := cmap.Decode(); err != nil {
			return nil, err
		}
		parseToUnicode(string(cmap.Content), glyphs)
	}
	return glyphs, nil
}

var (
	bfchar  = regexp.MustCompile(`<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,8})>`)
	bfrange = regexp.MustCompile(`<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>`)
	shown   = regexp.MustCompile(`<([0-9A-Fa-f]*)>\s*Tj|\(((?:[^()\\]|\\.)*)\)\s*Tj`)
)

func parseToUnicode(cmap string, glyphs map[uint16]rune) {
	for _, block := range strings.Split(cmap, "beginbfrange")[1:] {
		body, _, _ := strings.Cut(block, "endbfrange")
		for _, m := range bfrange.FindAllStringSubmatch(body, -1) {
			lo, hi, to := hex16(m[1]), hex16(m[2]), hex16(m[3])
			for g := lo; g <= hi && g >= lo; g++ {
				glyphs[g] = rune(to + (g - lo))
			}
		}
	}
	for _, block := range strings.Split(cmap, "beginbfchar")[1:] {
		body, _, _ := strings.Cut(block, "endbfchar")
		for _, m := range bfchar.FindAllStringSubmatch(body, -1) {
			glyphs[hex16(m[1])] = rune(hex16(m[2][:4]))
		}
	}
}

func hex16(s string) uint16 {
	v, _ := strconv.ParseUint(s, 16, 16)
	return uint16(v)
}

// decodeShown is the text of the content's Tj operators, one line each:
// two-byte glyph ids, in hex or literal strings, mapped through glyphs.
func decodeShown(content string, glyphs map[uint16]rune) string {
	var b strings.Builder
	for _, m := range shown.FindAllStringSubmatch(content, -1) {
		raw := unescapeLiteral(m[2])
		if m[1] != "" {
			raw = make([]byte, len(m[1])/2)
			for i := range raw {
				v, _ := strconv.ParseUint(m[1][2*i:2*i+2], 16, 8)
				raw[i] = byte(v)
			}
		}
		for i := 0; i+2 <= len(raw); i += 2 {
			if r, ok := glyphs[uint16(raw[i])<<8|uint16(raw[i+1])]; ok {
				b.WriteRune(r)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// unescapeLiteral undoes a PDF literal string's escapes.
func unescapeLiteral(s string) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			out = append(out, c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, j := 0, i
			for ; j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7'; j++ {
				v = v*8 + int(s[j]-'0')
			}
			out = append(out, byte(v))
			i = j - 1
		default:
			out = append(out, e)
		}
	}
	return out
}

var (
	setupOnce sync.Once
	setupErr  error
)

// Dir is the pdfcpu configuration directory Setup uses.
func Dir() string { return filepath.Join(os.TempDir(), "zsjc-test-pdfcpu") }

// Setup points pdfcpu at a configuration directory shared by the test
// processes of this machine (the font is installed into it once, under a
// file lock) and fails t when no font with Chinese glyphs is installed.
func Setup(t testing.TB) {
	t.Helper()
	setupOnce.Do(func() {
		dir := Dir()
		if setupErr = os.MkdirAll(dir, 0o750); setupErr != nil {
			return
		}
		lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			setupErr = err
			return
		}
		defer lock.Close()
		if setupErr = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); setupErr != nil {
			return
		}
		defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		setupErr = pdfmark.Setup(dir, os.Getenv("ZSJC_EFILE_FONT"))
	})
	if errors.Is(setupErr, pdfmark.ErrNoFont) && os.Getenv("ZSJC_REQUIRE_EFILE_FONT") == "" {
		// As the browser tests without Chromium: CI installs the font and
		// sets ZSJC_REQUIRE_EFILE_FONT, so there they run.
		t.Skip("no TrueType font with Chinese glyphs (Debian's fonts-wqy-zenhei, or ZSJC_EFILE_FONT): watermark tests skipped")
	}
	if setupErr != nil {
		t.Fatalf("pdfmark setup (install a TrueType font with Chinese glyphs, e.g. Debian's fonts-wqy-zenhei, or set ZSJC_EFILE_FONT): %v", setupErr)
	}
}
