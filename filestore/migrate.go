package filestore

import (
	"context"
	"fmt"
	"os"
)

// MigrateResult counts what Migrate did.
type MigrateResult struct {
	Copied, Skipped int
	CopiedBytes     int64
}

// Migrate copies every file of from into to under the same key, so that
// the database rows keep pointing at them. It can be run again after an
// interruption: an object already present with the file's size is skipped
// (a partial upload never becomes visible in S3, so a size match is a
// complete copy). progress, if not nil, is told about each file.
func Migrate(ctx context.Context, from *Local, to *S3, progress func(key string, size int64, copied bool)) (MigrateResult, error) {
	var res MigrateResult
	entries, err := os.ReadDir(from.dir)
	if err != nil {
		return res, fmt.Errorf("migrate files: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !keyPattern.MatchString(e.Name()) {
			continue // not a stored file (dev data key, editor leftovers)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		key := e.Name()
		copied, size, err := migrateOne(ctx, from, to, key)
		if err != nil {
			return res, fmt.Errorf("migrate file %s: %w", key, err)
		}
		if copied {
			res.Copied++
			res.CopiedBytes += size
		} else {
			res.Skipped++
		}
		if progress != nil {
			progress(key, size, copied)
		}
	}
	return res, nil
}

func migrateOne(ctx context.Context, from *Local, to *S3, key string) (copied bool, size int64, err error) {
	f, err := os.Open(from.dirPath(key))
	if err != nil {
		return false, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, 0, err
	}
	have, ok, err := to.size(ctx, key)
	if err != nil {
		return false, 0, err
	}
	if ok && have == st.Size() {
		return false, st.Size(), nil
	}
	n, err := to.put(ctx, key, f, st.Size())
	return true, n, err
}
