// Package filestore keeps uploaded files under random keys: on local disk
// (dev, a single instance) or in an S3-compatible bucket (a fleet).
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"zsjc/secure"
)

// Local stores files in one directory.
type Local struct{ dir string }

// NewLocal creates dir if needed.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("file store %s: %w", dir, err)
	}
	return &Local{dir: dir}, nil
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{20,64}$`)

// ErrBadKey is returned for a key this store could not have made.
var ErrBadKey = errors.New("filestore: invalid key")

func (l *Local) path(key string) (string, error) {
	if !keyPattern.MatchString(key) {
		return "", ErrBadKey
	}
	return l.dirPath(key), nil
}

func (l *Local) dirPath(key string) string { return filepath.Join(l.dir, key) }

// Save writes r to a new random file, removing it again on error.
func (l *Local) Save(_ context.Context, r io.Reader) (string, int64, error) {
	key := secure.Token(24)
	p, _ := l.path(key)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return "", 0, fmt.Errorf("save file: %w", err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return "", 0, fmt.Errorf("save file: %w", err)
	}
	return key, n, nil
}

// Open opens a stored file.
func (l *Local) Open(_ context.Context, key string) (io.ReadSeekCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	return f, nil
}

// Delete removes a stored file; a missing file is not an error.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete file: %w", err)
	}
	return nil
}
