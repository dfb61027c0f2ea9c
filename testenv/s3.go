package testenv

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"zsjc/filestore"
)

// S3 serves an in-memory S3-protocol server (gofakes3) over HTTP for the
// test and returns the configuration of a new, empty bucket on it.
func S3(t testing.TB) filestore.S3Config {
	t.Helper()
	backend := s3mem.New()
	const bucket = "zsjc-test"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("create test bucket: %v", err)
	}
	// TLS, as in production: over plain HTTP the client signs each chunk
	// of an upload (aws-chunked), which gofakes3 stores undecoded.
	srv := httptest.NewTLSServer(gofakes3.New(backend, gofakes3.WithAutoBucket(false)).Server())
	t.Cleanup(srv.Close)
	return filestore.S3Config{Endpoint: srv.URL, Bucket: bucket, AccessKey: "test-access", SecretKey: "test-secret",
		Region: "us-east-1", PathStyle: true, Transport: srv.Client().Transport}
}

// S3Store is S3 opened as a file store.
func S3Store(t testing.TB) *filestore.S3 {
	t.Helper()
	s, err := filestore.NewS3(context.Background(), S3(t))
	if err != nil {
		t.Fatalf("open test bucket: %v", err)
	}
	return s
}
