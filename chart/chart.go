// Package chart draws the console's statistics charts as SVG on the
// server: no script library or CDN, printable, and the same picture in
// every browser.
package chart

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Series is one named line or set of bars.
type Series struct {
	Name   string
	Values []float64
}

// palette tells the series apart (WCAG contrast ≥ 3:1 on white).
var palette = []string{"#1d4ed8", "#b45309", "#047857", "#b91c1c", "#6d28d9"}

const (
	width, height      = 720, 320
	left, right        = 56, 40
	top, bottom        = 40, 64
	plotW, plotH       = width - left - right, height - top - bottom
	fontFamily         = `font-family="sans-serif"`
	gridLines          = 4
	legendGap, maxBars = 150, 60
)

// niceMax rounds the axis maximum up to 1, 2 or 5 × 10ⁿ.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// maxOf is the axis maximum: at least one unit per grid line, so that
// counts get whole-number labels.
func maxOf(series []Series) float64 {
	m := float64(gridLines)
	for _, s := range series {
		for _, v := range s.Values {
			m = math.Max(m, v)
		}
	}
	return niceMax(m)
}

// frame writes the SVG head, title, grid, y labels and legend.
func frame(b *strings.Builder, title string, series []Series, ymax float64) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(b, `<title>%s</title><rect width="100%%" height="100%%" fill="#fff"/>`, html.EscapeString(title))
	fmt.Fprintf(b, `<text x="%d" y="22" font-size="15" font-weight="bold" fill="#111" %s>%s</text>`, left, fontFamily, html.EscapeString(title))
	for i := 0; i <= gridLines; i++ {
		y := top + plotH - plotH*i/gridLines
		v := ymax * float64(i) / gridLines
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d1d5db"/>`, left, y, left+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="#374151" %s>%s</text>`, left-6, y+4, fontFamily, label(v))
	}
	for i, s := range series {
		x := left + i*legendGap
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`, x, height-18, palette[i%len(palette)])
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" fill="#111" %s>%s</text>`, x+16, height-8, fontFamily, html.EscapeString(s.Name))
	}
}

func label(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// Bars draws grouped bars: one group per category, one bar per series.
func Bars(w io.Writer, title string, categories []string, series []Series) error {
	var b strings.Builder
	if len(categories) > maxBars {
		categories = categories[:maxBars]
	}
	ymax := maxOf(series)
	frame(&b, title, series, ymax)
	if n := len(categories); n > 0 {
		group := float64(plotW) / float64(n)
		bar := group * 0.8 / float64(max(len(series), 1))
		for i, cat := range categories {
			x0 := float64(left) + group*float64(i) + group*0.1
			for j, s := range series {
				v := 0.0
				if i < len(s.Values) {
					v = s.Values[i]
				}
				h := float64(plotH) * v / ymax
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s：%s</title></rect>`,
					x0+bar*float64(j), float64(top+plotH)-h, bar, h, palette[j%len(palette)],
					html.EscapeString(cat), html.EscapeString(s.Name), label(v))
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#111" %s>%s</text>`,
				x0+group*0.4, top+plotH+16, fontFamily, html.EscapeString(shorten(cat, int(group/11))))
		}
	}
	b.WriteString(`</svg>`)
	_, err := io.WriteString(w, b.String())
	return err
}

// Lines draws one line per series over the x labels (months).
func Lines(w io.Writer, title string, xs []string, series []Series) error {
	var b strings.Builder
	ymax := maxOf(series)
	frame(&b, title, series, ymax)
	step := float64(plotW)
	if len(xs) > 1 {
		step = float64(plotW) / float64(len(xs)-1)
	}
	for i, x := range xs {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#111" %s>%s</text>`,
			float64(left)+step*float64(i), top+plotH+16, fontFamily, html.EscapeString(x))
	}
	for j, s := range series {
		var pts []string
		for i, v := range s.Values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(left)+step*float64(i), float64(top+plotH)-float64(plotH)*v/ymax))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, palette[j%len(palette)], strings.Join(pts, " "))
	}
	b.WriteString(`</svg>`)
	_, err := io.WriteString(w, b.String())
	return err
}

// shorten cuts a label to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
