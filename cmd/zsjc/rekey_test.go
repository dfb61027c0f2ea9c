package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRekeyCommand: `zsjc rekey -dry-run` reports rows per suite and key
// id and changes nothing; `zsjc rekey -to sm` moves them all; an unknown
// suite is a usage error.
func TestRekeyCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ZSJC_DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	file := filepath.Join(dir, "cases.csv")
	if err := os.WriteFile(file, []byte("case_no,name,accepted_at,party_name,party_role,party_id_number\n"+
		"A-1,甲案,2026-11-01,甲,犯罪嫌疑人,11010519491231002X\n"+
		"A-1,,,乙,被害人,110105198001010016\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"import", file}, getenv, nil, &out); err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`parties\.id_number_enc\t(\w+)/[0-9a-f]{8}\t(\d+) rows`)
	report := func(args ...string) (string, [][]string) {
		t.Helper()
		out.Reset()
		if err := run(context.Background(), append([]string{"rekey"}, args...), getenv, nil, &out); err != nil {
			t.Fatalf("rekey %v: %v", args, err)
		}
		return out.String(), rows.FindAllStringSubmatch(out.String(), -1)
	}
	text, got := report("-dry-run", "-to", "sm")
	if len(got) != 1 || got[0][1] != "aes" || got[0][2] != "2" || !strings.Contains(text, "target: sm/") {
		t.Fatalf("dry run: %q", text)
	}
	if _, again := report("-dry-run"); len(again) != 1 || again[0][1] != "aes" {
		t.Fatalf("the dry run changed rows: %v", again)
	}
	text, got = report("-to", "sm")
	if !strings.Contains(text, "rekeyed 2 values") || len(got) != 2 || got[1][1] != "sm" || got[1][2] != "2" {
		t.Fatalf("rekey: %q", text)
	}
	env["ZSJC_CRYPTO"] = "sm"
	if text, _ := report(); !strings.Contains(text, "rekeyed 0 values") {
		t.Errorf("a second run found work: %q", text)
	}
	if err := run(context.Background(), []string{"rekey", "-to", "des"}, getenv, nil, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("unknown suite: %v", err)
	}
}
