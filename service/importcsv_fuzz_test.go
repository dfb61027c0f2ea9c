package service

import (
	"errors"
	"strings"
	"testing"
)

// FuzzReadImport: any file is either read into cases, each row's line
// kept, or refused with problems naming a line — never a panic.
func FuzzReadImport(f *testing.F) {
	f.Add("case_no,name,accepted_at\nA-1,甲案,2026-11-01\n")
	f.Add("\ufeffcase_no,name,accepted_at,party_name,party_role,party_id_number\nA,x,2026-01-01,p,被害人,1\nA,,,q,近亲属,2\n")
	f.Add("case_no,name\n\"unterminated\n")
	f.Add("case_no,case_no,name,accepted_at\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, file string) {
		cases, order, err := readImport(strings.NewReader(file))
		var ie *ImportError
		if err != nil {
			if !errors.As(err, &ie) || len(ie.Problems) == 0 || ie.Problems[0].Line < 1 {
				t.Fatalf("error without a located problem: %v", err)
			}
			return
		}
		if len(cases) != len(order) {
			t.Fatalf("%d cases, %d in order", len(cases), len(order))
		}
		for _, no := range order {
			if c := cases[no]; c == nil || c.line < 2 || len(c.parties) != len(c.lines) {
				t.Fatalf("case %q: %+v", no, c)
			}
		}
	})
}
