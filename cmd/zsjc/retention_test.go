package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRetentionCommand: `zsjc retention -dry-run` reports per kind with
// its period; an audit period under 180 days refuses to start, naming it.
func TestRetentionCommand(t *testing.T) {
	env := map[string]string{"ZSJC_DATA_DIR": t.TempDir(), "ZSJC_RETENTION_PUSHES_DAYS": "60"}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"retention", "-dry-run"}, getenv, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "would remove: 0 uploads (older than 180 days), 0 pushes (60 days)") ||
		!strings.Contains(out.String(), "0 audit rows (365 days)") {
		t.Errorf("output %q", out.String())
	}
	env["ZSJC_RETENTION_AUDIT_DAYS"] = "90"
	err := run(context.Background(), []string{"retention"}, getenv, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "ZSJC_RETENTION_AUDIT_DAYS") {
		t.Errorf("90-day audit retention: %v", err)
	}
}
