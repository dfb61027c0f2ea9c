package pdfmark_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"zsjc/pdfmark"
	"zsjc/pdfmark/pdfmarktest"
)

// BenchmarkStamp300Pages stamps and encrypts a 300-page PDF from a file to
// a file, as a download does, beside the same-run baseline of copying the
// file; stamp-1page is the same for a one-page file, the fixed cost (the
// watermark page with its CJK font subset). B/op of the two, next to
// file-bytes, shows what grows with the document: the parsed input once,
// the output streamed to its file.
func BenchmarkStamp300Pages(b *testing.B) {
	pdfmarktest.Setup(b)
	dir := b.TempDir()
	src := filepath.Join(dir, "in.pdf")
	doc := pdfmarktest.Document(300)
	if err := os.WriteFile(src, doc, 0o600); err != nil {
		b.Fatal(err)
	}
	single := filepath.Join(dir, "one.pdf")
	if err := os.WriteFile(single, pdfmarktest.Document(1), 0o600); err != nil {
		b.Fatal(err)
	}
	lines := []string{"张律师 律师  执业证号 11101201010123456", "北京市某某律师事务所", "2026-12-02 10:00 下载  线上阅卷申请第 42 号"}
	run := func(b *testing.B, src string, write func(in *os.File, out *os.File) error) {
		b.ReportAllocs()
		st, err := os.Stat(src)
		if err != nil {
			b.Fatal(err)
		}
		defer b.ReportMetric(float64(st.Size()), "file-bytes")
		for b.Loop() {
			in, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			out, err := os.CreateTemp(dir, "out-*.pdf")
			if err != nil {
				b.Fatal(err)
			}
			if err := write(in, out); err != nil {
				b.Fatal(err)
			}
			in.Close()
			out.Close()
			os.Remove(out.Name())
		}
	}
	stamp := func(in, out *os.File) error { return pdfmark.Stamp(in, out, lines, "Kp7-secret") }
	b.Run("copy", func(b *testing.B) {
		run(b, src, func(in, out *os.File) error { _, err := io.Copy(out, in); return err })
	})
	b.Run("stamp", func(b *testing.B) { run(b, src, stamp) })
	b.Run("stamp-1page", func(b *testing.B) { run(b, single, stamp) })
}
