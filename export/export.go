// Package export writes tables as spreadsheets: .xlsx (one sheet per
// table, numbers as numbers) and .csv (UTF-8 with a BOM, so that Excel
// reads the Chinese headers right).
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Table is one sheet: a header row and rows of cells. A cell is a string,
// an int64, a float64, a Percent, or nil (empty).
type Table struct {
	Sheet  string
	Header []string
	Rows   [][]any
}

// Percent is a rate shown as a percentage (0.93 → 93.0%).
type Percent float64

// XLSX writes the tables as a workbook, one sheet each, in order.
func XLSX(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	for i, t := range tables {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", t.Sheet); err != nil {
				return fmt.Errorf("xlsx sheet %s: %w", t.Sheet, err)
			}
		} else if _, err := f.NewSheet(t.Sheet); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", t.Sheet, err)
		}
		sw, err := f.NewStreamWriter(t.Sheet)
		if err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", t.Sheet, err)
		}
		header := make([]any, len(t.Header))
		for j, h := range t.Header {
			header[j] = excelize.Cell{StyleID: bold, Value: h}
		}
		if err := sw.SetRow("A1", header); err != nil {
			return fmt.Errorf("xlsx header: %w", err)
		}
		for r, row := range t.Rows {
			cells := make([]any, len(row))
			for j, v := range row {
				if p, ok := v.(Percent); ok {
					cells[j] = excelize.Cell{StyleID: pct, Value: float64(p)}
				} else {
					cells[j] = v
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, cells); err != nil {
				return fmt.Errorf("xlsx row %d: %w", r+2, err)
			}
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", t.Sheet, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// bom makes Excel read a CSV file as UTF-8.
const bom = "\ufeff"

// CSV writes one table as CSV with a BOM.
func CSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for j, v := range row {
			rec[j] = cellText(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case Percent:
		return strconv.FormatFloat(float64(x)*100, 'f', 1, 64) + "%"
	default:
		return fmt.Sprint(x)
	}
}
