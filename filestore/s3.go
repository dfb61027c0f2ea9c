package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"zsjc/secure"
)

// S3Config locates a bucket on an S3-compatible object store (Tencent COS,
// Aliyun OSS, Ceph RGW, SeaweedFS, AWS).
type S3Config struct {
	// Endpoint is the store's base URL, http(s)://host[:port].
	Endpoint  string
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	// PathStyle addresses the bucket as endpoint/bucket rather than
	// bucket.endpoint (most self-hosted stores need it).
	PathStyle bool
	// Encrypt asks the store to encrypt objects at rest (SSE-S3, AES256).
	Encrypt bool
	// Transport replaces the default HTTP transport (tests).
	Transport http.RoundTripper
}

// S3 stores files as objects of one bucket, under the same random keys as
// Local, so that every instance of a fleet sees every file.
type S3 struct {
	client *minio.Client
	bucket string
	sse    encrypt.ServerSide
}

// s3PartSize is the buffer an upload of unknown length is sent in: a file
// is never held in memory whole, only one part of it.
const s3PartSize = 8 << 20

// NewS3 connects to the bucket and checks that it exists.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("object store endpoint %q: not an http(s) URL", cfg.Endpoint)
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
		MaxRetries:   2,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket}
	if cfg.Encrypt {
		s.sse = encrypt.NewSSE()
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("object store bucket %s: %w", cfg.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("object store bucket %s does not exist", cfg.Bucket)
	}
	return s, nil
}

// Ping checks that the bucket answers, for readiness.
func (s *S3) Ping(ctx context.Context) error {
	if _, err := s.client.BucketExists(ctx, s.bucket); err != nil {
		return fmt.Errorf("object store bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Save streams r into a new object under a random key.
func (s *S3) Save(ctx context.Context, r io.Reader) (string, int64, error) {
	key := secure.Token(24)
	n, err := s.put(ctx, key, r, -1)
	if err != nil {
		return "", 0, fmt.Errorf("save file: %w", err)
	}
	return key, n, nil
}

// put writes an object; size -1 means unknown (sent in s3PartSize parts).
func (s *S3) put(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	info, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{
		ContentType:          "application/octet-stream",
		PartSize:             s3PartSize,
		ServerSideEncryption: s.sse,
	})
	if err != nil {
		return 0, err
	}
	return info.Size, nil
}

// Open returns the object as a ReadSeekCloser: each Seek past what was
// read starts a ranged GET, so http.ServeContent's range requests fetch
// only the bytes asked for.
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if !keyPattern.MatchString(key) {
		return nil, ErrBadKey
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	// GetObject is lazy; Stat makes a missing object an error here rather
	// than at the first Read, after the response headers were sent.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, fmt.Errorf("open file: %w", notExist(err))
	}
	return obj, nil
}

// Delete removes an object; a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !keyPattern.MatchString(key) {
		return ErrBadKey
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete file: %w", err)
	}
	return nil
}

// size returns the stored size of key, or ok false when there is none.
func (s *S3) size(ctx context.Context, key string) (int64, bool, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if errors.Is(notExist(err), ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return info.Size, true, nil
}

// ErrNotExist is wrapped by Open for a key without a file.
var ErrNotExist = errors.New("filestore: no such file")

func notExist(err error) error {
	if err != nil && minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("%w: %w", ErrNotExist, err)
	}
	return err
}
