package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnitCommands: `zsjc unit add` and `zsjc unit import` build the tree;
// once there are several units `staff add` needs -unit.
func TestUnitCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ZSJC_DATA_DIR": dir, "ZSJC_UNIT_NAME": "江西省人民检察院"}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out bytes.Buffer
	staff := func(args ...string) error {
		return run(ctx, append([]string{"staff", "add", "-role", "admin"}, args...), getenv, strings.NewReader("Sup3r-secret\n"), &out)
	}
	if err := staff("-username", "chief"); err != nil {
		t.Fatalf("staff add with the root the only unit: %v", err)
	}
	err := run(ctx, []string{"unit", "add", "-code", "360100", "-name", "南昌市人民检察院", "-parent", "root", "-hours", "工作日 9:00–17:00"}, getenv, nil, &out)
	if err != nil || !strings.Contains(out.String(), "created unit 360100 南昌市人民检察院 (level city") {
		t.Fatalf("unit add: %q %v", out.String(), err)
	}
	if err := run(ctx, []string{"unit", "add", "-code", "x", "-name", "甲", "-level", "town"}, getenv, nil, &out); err == nil || !strings.Contains(err.Error(), "level:") {
		t.Errorf("bad level: %v", err)
	}
	file := filepath.Join(dir, "units.csv")
	if err := os.WriteFile(file, []byte("code,name,level,parent_code,address,phone,reception_hours,head\n360102,东湖区人民检察院,county,360100,,,,\n360103,西湖区人民检察院,,nowhere,,,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"unit", "import", file}, getenv, nil, &out); err == nil || !strings.Contains(err.Error(), "line 3, parent_code") {
		t.Fatalf("bad unit file: %v", err)
	}
	if err := os.WriteFile(file, []byte("code,name,parent_code\n360102,东湖区人民检察院,360100\n360103,西湖区人民检察院,360100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"unit", "import", file}, getenv, nil, &out); err != nil || !strings.Contains(out.String(), "2 units created") {
		t.Fatalf("unit import: %q %v", out.String(), err)
	}
	if err := staff("-username", "clerk"); err == nil || !strings.Contains(err.Error(), "unit_code") {
		t.Errorf("staff add without -unit among several units: %v", err)
	}
	if err := staff("-username", "clerk", "-unit", "360102"); err != nil {
		t.Errorf("staff add -unit: %v", err)
	}
}
