package service

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
)

// ImportColumns is the header of a case import file, in any order. One row
// per party; a case with several parties repeats its case_no, and its case
// columns may then be left empty (if filled they must equal the first
// row's). A case whose rows name no party keeps its party list; otherwise
// the file's parties replace it. Required: case_no, name, accepted_at.
var ImportColumns = []string{
	"case_no", "name", "type", "cause", "unit_code", "unit", "prosecutor", "accepted_at", "deadline",
	"measure", "stage", "result", "party_name", "party_role", "party_id_number",
}

var caseColumns = ImportColumns[:12]

// RowProblem is one bad field of an import file.
type RowProblem struct {
	Line    int
	Field   string
	Message string
}

// ImportError lists the problems that stopped an import; nothing of the
// file was stored.
type ImportError struct{ Problems []RowProblem }

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import refused, nothing imported (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  line %d, %s: %s", p.Line, p.Field, p.Message)
	}
	return b.String()
}

// maxImportProblems bounds the report of a thoroughly wrong file.
const maxImportProblems = 20

// ImportResult counts what an import stored.
type ImportResult struct {
	Created, Updated, Parties int
}

// importCase gathers one case's rows.
type importCase struct {
	line    int
	fields  map[string]string
	parties []PartyInput
	lines   []int // line of each party, for error reports
}

// ImportCases reads a case file and upserts every case in one
// transaction: a bad row refuses the whole file with its line and field.
func (s *Service) ImportCases(ctx context.Context, r io.Reader) (ImportResult, error) {
	cases, order, err := readImport(r)
	if err != nil {
		return ImportResult{}, err
	}
	type prepared struct {
		c       model.Case
		parties *[]PartyInput
	}
	var problems []RowProblem
	var ready []prepared
	for _, no := range order {
		ic := cases[no]
		fe := model.FieldErrors{}
		in := CaseInput{CaseNo: no, Name: ic.fields["name"], Type: ic.fields["type"], Cause: ic.fields["cause"],
			UnitCode: ic.fields["unit_code"], Unit: ic.fields["unit"], Prosecutor: ic.fields["prosecutor"], AcceptedAt: ic.fields["accepted_at"],
			Deadline: ic.fields["deadline"], Measure: ic.fields["measure"], Stage: ic.fields["stage"], Result: ic.fields["result"]}
		var parties *[]PartyInput
		if len(ic.parties) > 0 {
			parties = &ic.parties
		}
		c, cleaned := s.validUpsert(ctx, fe, in, parties)
		for _, field := range sortedKeys(fe) {
			line, name := ic.line, field
			var i int
			if _, err := fmt.Sscanf(field, "parties[%d].", &i); err == nil {
				line, name = ic.lines[i], "party_"+field[strings.Index(field, ".")+1:]
			}
			problems = append(problems, RowProblem{Line: line, Field: name, Message: fe[field]})
		}
		ready = append(ready, prepared{c, cleaned})
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return ImportResult{}, &ImportError{Problems: problems[:min(len(problems), maxImportProblems)]}
	}
	var res ImportResult
	err = s.txRetryRaced(ctx, func(tx *gorm.DB) error {
		res = ImportResult{}
		for _, p := range ready {
			_, isNew, err := s.upsertCase(tx, Actor{Name: "import"}, p.c, p.parties)
			if err != nil {
				return err
			}
			if isNew {
				res.Created++
			} else {
				res.Updated++
			}
			if p.parties != nil {
				res.Parties += len(*p.parties)
			}
		}
		return nil
	})
	return res, err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readImport parses the file into cases by number, in first-seen order.
func readImport(r io.Reader) (map[string]*importCase, []string, error) {
	cr, col, err := readHeader(r, ImportColumns, []string{"case_no", "name", "accepted_at"})
	if err != nil {
		return nil, nil, err
	}
	var problems []RowProblem
	cases := map[string]*importCase{}
	var order []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, csvProblem(err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank line
		}
		no := get("case_no")
		if no == "" {
			problems = append(problems, RowProblem{line, "case_no", "不能为空"})
			continue
		}
		ic, seen := cases[no]
		if !seen {
			ic = &importCase{line: line, fields: map[string]string{}}
			for _, c := range caseColumns {
				ic.fields[c] = get(c)
			}
			cases[no] = ic
			order = append(order, no)
		} else {
			for _, c := range caseColumns {
				if v := get(c); v != "" && v != ic.fields[c] {
					problems = append(problems, RowProblem{line, c, fmt.Sprintf("与第 %d 行同一案件的值不同", ic.line)})
				}
			}
		}
		if p := (PartyInput{Name: get("party_name"), Role: get("party_role"), IDNumber: get("party_id_number")}); p != (PartyInput{}) {
			ic.parties = append(ic.parties, p)
			ic.lines = append(ic.lines, line)
		}
	}
	if len(problems) > 0 {
		return nil, nil, &ImportError{problems[:min(len(problems), maxImportProblems)]}
	}
	return cases, order, nil
}

// readHeader opens a CSV file and reads its header: the columns it may
// hold (in any order) and those it must. col maps a column to its index.
func readHeader(r io.Reader, columns, required []string) (cr *csv.Reader, col map[string]int, err error) {
	cr = csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, &ImportError{[]RowProblem{{1, "header", "文件为空"}}}
	}
	if err != nil {
		return nil, nil, csvProblem(err)
	}
	col = map[string]int{}
	var problems []RowProblem
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup || !slices.Contains(columns, h) {
			problems = append(problems, RowProblem{1, "header", fmt.Sprintf("未知或重复的列 %q；可用的列：%s", h, strings.Join(columns, ","))})
			continue
		}
		col[h] = i
	}
	for _, need := range required {
		if _, ok := col[need]; !ok {
			problems = append(problems, RowProblem{1, "header", "缺少必需的列 " + need})
		}
	}
	if len(problems) > 0 {
		return nil, nil, &ImportError{problems}
	}
	return cr, col, nil
}

// csvProblem reports a malformed CSV line.
func csvProblem(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ImportError{[]RowProblem{{pe.Line, "csv", pe.Err.Error()}}}
	}
	return fmt.Errorf("read import file: %w", err)
}
