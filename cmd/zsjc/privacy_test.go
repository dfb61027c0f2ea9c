package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A unit's own privacy notice (ZSJC_PRIVACY_FILE) is the one the server
// serves and asks consent to, not only the one checked at start.
func TestServerServesTheUnitsPrivacyNotice(t *testing.T) {
	own := filepath.Join(t.TempDir(), "privacy.yaml")
	notice := "version: unit-2027-01\ntext: 本院个人信息处理规则\npurposes:\n- {code: id_number, name: 身份证号, sensitive: true}\n- {code: phone, name: 手机号码}\n- {code: uploads, name: 上传材料, sensitive: true}\n"
	if err := os.WriteFile(own, []byte(notice), 0o600); err != nil {
		t.Fatal(err)
	}
	in := startInstance(t, map[string]string{"ZSJC_PRIVACY_FILE": own})
	a := in.get("/api/public/privacy", nil)
	if a.code != http.StatusOK || !strings.Contains(a.body, `"version":"unit-2027-01"`) || !strings.Contains(a.body, "本院个人信息处理规则") {
		t.Fatalf("privacy notice: %d %s", a.code, a.body)
	}
}
