package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportCommand: `zsjc import FILE.csv` stores a good file and refuses
// a bad one naming line and field, storing nothing of it.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ZSJC_DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "case_no,name,accepted_at,party_name,party_role,party_id_number\n"+
		"A-1,甲案,2026-11-01,甲,犯罪嫌疑人,11010519491231002X\n")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"import", good}, getenv, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 cases created, 0 updated, 1 parties") {
		t.Errorf("output %q", out.String())
	}
	bad := write("bad.csv", "case_no,name,accepted_at\nB-1,乙案,2026-11-01\nB-2,丙案,someday\n")
	err := run(context.Background(), []string{"import", bad}, getenv, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "line 3, accepted_at") || !strings.Contains(err.Error(), "nothing imported") {
		t.Fatalf("bad file: %v", err)
	}
	out.Reset()
	again := write("again.csv", "case_no,name,accepted_at\nA-1,甲案,2026-11-01\nB-1,乙案,2026-11-01\n")
	if err := run(context.Background(), []string{"import", again}, getenv, nil, &out); err != nil || !strings.Contains(out.String(), "1 cases created, 1 updated, 0 parties") {
		t.Errorf("B-1 of the refused file must not have been stored: %q %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"import"}, getenv, nil, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no file: %v", err)
	}
}
