package filestore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"zsjc/filestore"
	"zsjc/testenv"
)

// countingReader counts what Save read.
type countingReader struct {
	r     io.Reader
	total atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.total.Add(int64(n))
	return n, err
}

func TestS3SaveOpenRangeDelete(t *testing.T) {
	ctx := context.Background()
	s := testenv.S3Store(t)
	body := make([]byte, 20<<20) // over one part: a multipart upload
	rand.Read(body)
	src := &countingReader{r: bytes.NewReader(body)}
	key, n, err := s.Save(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(body)) || src.total.Load() != n {
		t.Fatalf("saved %d bytes, read %d, want %d", n, src.total.Load(), len(body))
	}
	f, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// http.ServeContent seeks for the size and serves the range from a seek.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/f", nil)
	req.Header.Set("Range", "bytes=15000000-15000099")
	http.ServeContent(rec, req, "f.pdf", time.Time{}, f)
	f.Close()
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), body[15000000:15000100]) {
		t.Fatalf("range answered %d with %d bytes", rec.Code, rec.Body.Len())
	}
	if got := rec.Header().Get("Content-Range"); got != "bytes 15000000-15000099/20971520" {
		t.Fatalf("Content-Range %q", got)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, key); !errors.Is(err, filestore.ErrNotExist) {
		t.Fatalf("open after delete: %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing file: %v", err)
	}
}

func TestS3RefusesKeysItCouldNotHaveMade(t *testing.T) {
	s := testenv.S3Store(t)
	for _, key := range []string{"../etc/passwd", "short", strings.Repeat("a", 65)} {
		if _, err := s.Open(context.Background(), key); !errors.Is(err, filestore.ErrBadKey) {
			t.Errorf("Open(%q) = %v, want ErrBadKey", key, err)
		}
	}
}

func TestNewS3NamesAMissingBucket(t *testing.T) {
	cfg := testenv.S3(t)
	cfg.Bucket = "no-such-bucket"
	_, err := filestore.NewS3(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("err = %v, want one naming the bucket", err)
	}
}

func TestMigrateCopiesLocalFilesAndResumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	local, err := filestore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 3 {
		key, _, err := local.Save(ctx, strings.NewReader(strings.Repeat("x", 1000*(i+1))))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	os.WriteFile(filepath.Join(dir, "dev-data-key"), []byte("not a stored file"), 0o600)
	bucket := testenv.S3Store(t)
	// An interrupted earlier run left the first file complete and the
	// second one short (as if written by hand or by another tool).
	first, _ := local.Open(ctx, keys[0])
	copyInto(t, bucket, keys[0], first)
	copyInto(t, bucket, keys[1], strings.NewReader("short"))

	res, err := filestore.Migrate(ctx, local, bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 2 || res.Skipped != 1 || res.CopiedBytes != 5000 {
		t.Fatalf("first run %+v, want 2 copied (5000 bytes), 1 skipped", res)
	}
	for i, key := range keys {
		f, err := bucket.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if len(got) != 1000*(i+1) {
			t.Fatalf("object %d has %d bytes", i, len(got))
		}
	}
	res, err = filestore.Migrate(ctx, local, bucket, nil)
	if err != nil || res.Copied != 0 || res.Skipped != 3 {
		t.Fatalf("second run %+v, %v: want everything skipped", res, err)
	}
}

func copyInto(t *testing.T, s *filestore.S3, key string, r io.Reader) {
	t.Helper()
	if _, err := filestore.PutObject(s, context.Background(), key, r, -1); err != nil {
		t.Fatal(err)
	}
}
