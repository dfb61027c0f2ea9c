package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"zsjc/config"
	"zsjc/filestore"
)

// TestLocalFilesInProdWarnThatTheFleetMustShareThem: without an object
// store a prod instance says at start that uploads need a shared volume;
// dev mode (one instance) does not.
func TestLocalFilesInProdWarnThatTheFleetMustShareThem(t *testing.T) {
	for mode, wantWarning := range map[config.Mode]bool{config.ModeProd: true, config.ModeDev: false} {
		var logs bytes.Buffer
		cfg := config.Default()
		cfg.Mode, cfg.DataDir = mode, t.TempDir()
		files, err := openFiles(context.Background(), &cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := files.(*filestore.Local); !ok {
			t.Fatalf("%s without ZSJC_S3_ENDPOINT: %T, want the local store", mode, files)
		}
		if got := strings.Contains(logs.String(), "shared volume"); got != wantWarning {
			t.Errorf("%s: warning logged %v, want %v: %s", mode, got, wantWarning, logs.String())
		}
	}
}

// TestFilesMigrateNeedsABucket: the command names the variable to set.
func TestFilesMigrateNeedsABucket(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	err := filesMigrate(context.Background(), &cfg, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "ZSJC_S3_ENDPOINT") {
		t.Fatalf("files migrate without a bucket: %v", err)
	}
}
