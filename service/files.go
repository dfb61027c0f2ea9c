package service

import (
	"context"
	"io"
)

// FileStore keeps uploaded files (binding materials, legal documents) under
// random keys: local disk now, object storage later.
type FileStore interface {
	// Save stores r and returns the new key and the number of bytes written.
	Save(ctx context.Context, r io.Reader) (key string, size int64, err error)
	// Open returns the file for streaming with range support.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	Delete(ctx context.Context, key string) error
}
