package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"zsjc/config"
	"zsjc/filestore"
	"zsjc/service"
)

// localFilesDir is where uploads live without an object store.
func localFilesDir(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "files") }

// openFiles opens the bucket when ZSJC_S3_ENDPOINT is set, else the local
// directory, warning in prod that the fleet must then share it.
func openFiles(ctx context.Context, cfg *config.Config, log *slog.Logger) (service.FileStore, error) {
	if cfg.S3.Endpoint != "" {
		return openBucket(ctx, cfg)
	}
	if !cfg.Dev() {
		log.Warn("uploads and documents are kept on this instance's disk: with several instances, "+
			"ZSJC_DATA_DIR/files must be one shared volume, or set ZSJC_S3_ENDPOINT to keep them in object storage",
			"dir", localFilesDir(cfg))
	}
	local, err := filestore.NewLocal(localFilesDir(cfg))
	if err != nil {
		return nil, &config.Error{Var: "ZSJC_DATA_DIR", Reason: err.Error()}
	}
	return local, nil
}

func openBucket(ctx context.Context, cfg *config.Config) (*filestore.S3, error) {
	s, err := filestore.NewS3(ctx, filestore.S3Config{Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket,
		AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, Region: cfg.S3.Region,
		PathStyle: cfg.S3.PathStyle, Encrypt: cfg.S3.SSE != ""})
	if err != nil {
		return nil, &config.Error{Var: "ZSJC_S3_ENDPOINT", Reason: err.Error()}
	}
	return s, nil
}

// filesMigrate copies ZSJC_DATA_DIR/files into the configured bucket; run
// again after an interruption, it skips what is already there.
func filesMigrate(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	if cfg.S3.Endpoint == "" {
		return &config.Error{Var: "ZSJC_S3_ENDPOINT", Reason: "is required: files migrate copies the local files into that bucket"}
	}
	bucket, err := openBucket(ctx, cfg)
	if err != nil {
		return err
	}
	local, err := filestore.NewLocal(localFilesDir(cfg))
	if err != nil {
		return &config.Error{Var: "ZSJC_DATA_DIR", Reason: err.Error()}
	}
	res, err := filestore.Migrate(ctx, local, bucket, nil)
	fmt.Fprintf(stdout, "files migrate: %d copied (%d bytes), %d already in bucket %s\n",
		res.Copied, res.CopiedBytes, res.Skipped, cfg.S3.Bucket)
	if err != nil {
		return fmt.Errorf("files migrate (run it again to resume): %w", err)
	}
	return nil
}
