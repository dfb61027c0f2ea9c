package handler_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/service"
	"zsjc/web"
)

func TestVocabIsServedWithoutLogin(t *testing.T) {
	h := pagesServer(handlertest.New(t), nil)
	rec := get(h, "/api/vocab", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/vocab: %d %s", rec.Code, rec.Body)
	}
	var v service.Vocabulary
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Stages, service.Stages) || len(v.Stages) != 14 {
		t.Errorf("stages: %q", v.Stages)
	}
	if !slices.Contains(v.Stages, "延长审查起诉期限") || slices.Contains(v.Stages, "延长审查期限") {
		t.Errorf("stages offer what the server refuses: %q", v.Stages)
	}
	if v.Statuses["pending"] != "待审核" || v.PushKinds["case_event"] != "案件进展" || v.AuditActions["party.view"] != "查看当事人名单" {
		t.Errorf("labels: %+v", v)
	}
	for name, n := range map[string]int{"party_roles": len(v.PartyRoles), "meeting_types": len(v.MeetingTypes), "copy_methods": len(v.CopyMethods), "measures": len(v.Measures)} {
		if n == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}

// TestNoVocabularyLiteralInPages fails when a page script spells a word of
// a vocabulary itself instead of reading it from /api/vocab.
func TestNoVocabularyLiteralInPages(t *testing.T) {
	v := service.Vocab()
	words := slices.Concat(v.Stages, v.Measures, v.PartyRoles, v.MeetingTypes, v.CopyMethods, v.RatingTags)
	// Audit action and user role names are left out: they are also the
	// plain words of buttons and column heads (新建用户, 律师).
	for _, m := range []map[string]string{v.Statuses, v.PushKinds, v.EventSources, v.StaffRoles, v.Periods, v.ComplaintCategories} {
		for _, l := range m {
			words = append(words, l)
		}
	}
	err := fs.WalkDir(web.Files(), "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		body, err := fs.ReadFile(web.Files(), p)
		if err != nil {
			return err
		}
		for _, w := range words {
			if re := regexp.MustCompile(`['"]` + regexp.QuoteMeta(w) + `['"]`); re.Match(body) {
				t.Errorf("%s spells the vocabulary word %q: read it from Z.vocab (GET /api/vocab)", p, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// auditCall finds the actions the code writes to the audit log: literal
// ones, and "area."+string(status) ones naming a state machine's targets.
var auditCall = regexp.MustCompile(`[aA]udit\((?:tx|ctx), [^,]+, "([a-z0-9_.]+)"(\+string\(to\))?`)

func TestEveryAuditActionHasALabel(t *testing.T) {
	var found int
	for _, dir := range []string{"../service", "."} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range auditCall.FindAllStringSubmatch(string(src), -1) {
				found++
				if m[2] != "" {
					if !hasPrefixed(m[1]) {
						t.Errorf("%s: no labelled action starts with %q", f, m[1])
					}
					continue
				}
				if _, ok := service.AuditActionLabels[m[1]]; !ok {
					t.Errorf("%s: audit action %q has no label in service.AuditActionLabels", f, m[1])
				}
			}
		}
	}
	if found < 15 {
		t.Fatalf("found only %d audit calls: the pattern no longer matches the code", found)
	}
}

func hasPrefixed(prefix string) bool {
	for a := range service.AuditActionLabels {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}
