package service

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"

	"zsjc/model"
	"zsjc/secure"
)

// sealedColumn is a column of personal data sealed with the Sealer, and the
// lookup-hash column kept beside it (if any).
type sealedColumn struct {
	model      any
	table      string
	column     string
	hashColumn string
	// normalize turns the opened value into what the hash is taken of.
	normalize func(string) string
}

// sealedColumns lists every sealed column (personal data, and the staff's
// TOTP secrets): rekey and its report cover exactly these.
var sealedColumns = []sealedColumn{
	{model: &model.Party{}, table: "parties", column: "id_number_enc", hashColumn: "id_number_hash", normalize: secure.NormalizeIDNumber},
	{model: &model.LawyerProfile{}, table: "lawyer_profiles", column: "phone_enc"},
	{model: &model.EfileRequest{}, table: "efile_requests", column: "password_enc"},
	{model: &model.WeChatUser{}, table: "we_chat_users", column: "phone_enc"},
	{model: &model.Staff{}, table: "staffs", column: "totp_secret_enc"},
}

// SealedCount is how many values of a column are sealed with one suite
// and key ("sm/1a2b3c4d", "aes/legacy").
type SealedCount struct {
	Table  string
	Column string
	Sealed string
	Rows   int64
}

// SealedCounts counts the sealed values of every column by suite and key,
// in the database (the header is the value's first bytes).
func (s *Service) SealedCounts(ctx context.Context) ([]SealedCount, error) {
	var out []SealedCount
	for _, col := range sealedColumns {
		var rows []struct {
			Header string
			N      int64
		}
		header := fmt.Sprintf("CASE WHEN SUBSTR(%[1]s, 1, 2) = ? THEN HEX(SUBSTR(%[1]s, 1, 7)) ELSE '' END", col.column)
		err := s.db.WithContext(ctx).Model(col.model).
			Select(header+" AS header, COUNT(*) AS n", []byte("zs")).
			Where(col.column + " IS NOT NULL AND LENGTH(" + col.column + ") > 0").
			Group("header").Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("count sealed %s.%s: %w", col.table, col.column, err)
		}
		for _, r := range rows {
			raw, _ := hex.DecodeString(r.Header)
			out = append(out, SealedCount{Table: col.table, Column: col.column, Sealed: secure.Describe(raw), Rows: r.N})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].Sealed < out[j].Sealed
	})
	return out, nil
}

// RekeyResult counts what a rekey run did.
type RekeyResult struct {
	Rekeyed int64
	// Changed counts rows written by someone else between the read and the
	// guarded update; a later run picks them up if they still need it.
	Changed int64
}

// Rekey re-seals every value not under the current suite and key, in
// batches of batch rows, each row with an UPDATE guarded by its old value:
// readers see the old or the new value, both readable (the Sealer opens
// either), and lookups match both (Hashes). It can be stopped and run again
// at any time; it only touches rows that are not current.
func (s *Service) Rekey(ctx context.Context, batch int, progress func(table string, done int64)) (RekeyResult, error) {
	var res RekeyResult
	if batch <= 0 {
		batch = 500
	}
	for _, col := range sealedColumns {
		var done int64
		var last uint64
		for {
			var rows []struct {
				ID     uint64
				Sealed []byte
			}
			err := s.db.WithContext(ctx).Model(col.model).Select("id, "+col.column+" AS sealed").
				Where("id > ? AND "+col.column+" IS NOT NULL", last).Order("id").Limit(batch).Scan(&rows).Error
			if err != nil {
				return res, fmt.Errorf("rekey %s after id %d: %w", col.table, last, err)
			}
			if len(rows) == 0 {
				break
			}
			last = rows[len(rows)-1].ID
			for _, r := range rows {
				if len(r.Sealed) == 0 || s.sealer.Current(r.Sealed) {
					continue
				}
				changed, err := s.reseal(ctx, col, r.ID, r.Sealed)
				if err != nil {
					return res, err
				}
				if changed {
					done++
					res.Rekeyed++
				} else {
					res.Changed++
				}
			}
			if progress != nil {
				progress(col.table, done)
			}
		}
	}
	return res, nil
}

// reseal writes one row's value (and hash) under the current suite and
// key, unless the row changed since it was read.
func (s *Service) reseal(ctx context.Context, col sealedColumn, id uint64, old []byte) (bool, error) {
	plain, err := s.sealer.Open(old)
	if err != nil {
		return false, fmt.Errorf("rekey %s %d: %w (is every old key in ZSJC_OLD_DATA_KEYS?)", col.table, id, err)
	}
	fresh, err := s.sealer.Seal(plain)
	if err != nil {
		return false, fmt.Errorf("rekey %s %d: %w", col.table, id, err)
	}
	set := map[string]any{col.column: fresh}
	if col.hashColumn != "" {
		set[col.hashColumn] = s.sealer.Hash(col.normalize(plain))
	}
	r := s.db.WithContext(ctx).Model(col.model).Where("id = ? AND "+col.column+" = ?", id, old).Updates(set)
	if r.Error != nil {
		return false, fmt.Errorf("rekey %s %d: %w", col.table, id, r.Error)
	}
	return r.RowsAffected == 1, nil
}
