package service

import (
	"context"
	"errors"
	"io"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
)

// UnitColumns is the header of a unit import file, in any order. A parent
// must exist already or come on an earlier line. Required: code, name.
var UnitColumns = []string{"code", "name", "level", "parent_code", "address", "phone", "reception_hours", "head"}

// ImportUnits adds every unit of a file in one transaction: a bad row
// refuses the whole file with its line and field.
func (s *Service) ImportUnits(ctx context.Context, a Actor, r io.Reader) (int, error) {
	cr, col, err := readHeader(r, UnitColumns, []string{"code", "name"})
	if err != nil {
		return 0, err
	}
	created := 0
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var problems []RowProblem
		for len(problems) < maxImportProblems {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return csvProblem(err)
			}
			if strings.TrimSpace(strings.Join(rec, "")) == "" {
				continue
			}
			line, _ := cr.FieldPos(0)
			get := func(name string) *string {
				v := ""
				if i, ok := col[name]; ok && i < len(rec) {
					v = strings.TrimSpace(rec[i])
				}
				return &v
			}
			in := UnitInput{Code: get("code"), Name: get("name"), ParentCode: get("parent_code"), Address: get("address"),
				Phone: get("phone"), ReceptionHours: get("reception_hours"), Head: get("head")}
			if lv := get("level"); *lv != "" {
				in.Level = lv
			}
			// Each row in a savepoint: a refused row leaves the rest usable
			// for finding the file's other problems.
			err = tx.Transaction(func(row *gorm.DB) error {
				_, err := s.createUnit(row, a, in)
				return err
			})
			var de *model.Error
			switch {
			case err == nil:
				created++
			case errors.Is(err, ErrUnitCodeTaken):
				problems = append(problems, RowProblem{line, "code", ErrUnitCodeTaken.Message})
			case errors.As(err, &de) && len(de.Fields) > 0:
				for _, f := range sortedKeys(de.Fields) {
					problems = append(problems, RowProblem{line, f, de.Fields[f]})
				}
			default:
				return err
			}
		}
		if len(problems) > 0 {
			return &ImportError{Problems: problems[:min(len(problems), maxImportProblems)]}
		}
		return nil
	})
	s.unitsChanged()
	if err != nil {
		return 0, err
	}
	return created, nil
}
