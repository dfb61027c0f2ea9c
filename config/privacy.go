package config

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultPrivacy is the shipped privacy notice (config/privacy.yaml), built
// into the binary; ZSJC_PRIVACY_FILE names a unit's own version of it.
//
//go:embed privacy.yaml
var DefaultPrivacy []byte

// Purposes of processing personal data that need the user's consent
// (service.requireConsent checks them); every notice must name them.
const (
	PurposeIDNumber = "id_number"
	PurposePhone    = "phone"
	PurposeUploads  = "uploads"
)

// RequiredPurposes are the purposes a privacy notice must describe.
var RequiredPurposes = []string{PurposeIDNumber, PurposePhone, PurposeUploads}

// PrivacyNotice is the 隐私政策 / 个人信息处理规则: its version (consent is
// asked again when it changes), its text and the purposes consent is asked for.
type PrivacyNotice struct {
	Version  string    `yaml:"version" json:"version"`
	Text     string    `yaml:"text" json:"text"`
	Purposes []Purpose `yaml:"purposes" json:"purposes"`
}

// Purpose is one purpose of processing a user consents to separately.
type Purpose struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
	// Sensitive marks sensitive personal data (PIPL art. 28: id numbers,
	// materials that may hold them), asked for by a separate consent.
	Sensitive bool `yaml:"sensitive" json:"sensitive"`
}

// Purpose returns the notice's purpose with code.
func (n PrivacyNotice) Purpose(code string) (Purpose, bool) {
	i := slices.IndexFunc(n.Purposes, func(p Purpose) bool { return p.Code == code })
	if i < 0 {
		return Purpose{}, false
	}
	return n.Purposes[i], true
}

// ParsePrivacy reads and checks a privacy notice: a version of at most 32
// characters, a text, and every required purpose once, each with a name.
func ParsePrivacy(raw []byte) (PrivacyNotice, error) {
	var n PrivacyNotice
	if err := yaml.Unmarshal(raw, &n); err != nil {
		return n, fmt.Errorf("invalid YAML: %w", err)
	}
	n.Version, n.Text = strings.TrimSpace(n.Version), strings.TrimSpace(n.Text)
	switch {
	case n.Version == "" || len(n.Version) > 32:
		return n, fmt.Errorf("version must be 1-32 characters, got %q", n.Version)
	case n.Text == "":
		return n, fmt.Errorf("text is empty")
	}
	seen := map[string]bool{}
	for i, p := range n.Purposes {
		p.Code, p.Name = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name)
		if p.Code == "" || len(p.Code) > 32 || p.Name == "" || seen[p.Code] {
			return n, fmt.Errorf("purpose %d: needs a unique code (at most 32 characters) and a name", i+1)
		}
		seen[p.Code] = true
		n.Purposes[i] = p
	}
	for _, code := range RequiredPurposes {
		if !seen[code] {
			return n, fmt.Errorf("purpose %s is missing", code)
		}
	}
	return n, nil
}

// Privacy returns the privacy notice in force: ZSJC_PRIVACY_FILE when set,
// else the shipped one.
func (c *Config) Privacy() (PrivacyNotice, error) {
	raw := DefaultPrivacy
	if c.PrivacyFile != "" {
		var err error
		if raw, err = os.ReadFile(c.PrivacyFile); err != nil {
			return PrivacyNotice{}, &Error{Var: "ZSJC_PRIVACY_FILE", Reason: err.Error()}
		}
	}
	n, err := ParsePrivacy(raw)
	if err != nil {
		return n, &Error{Var: "ZSJC_PRIVACY_FILE", Reason: err.Error()}
	}
	return n, nil
}

// MustDefaultPrivacy is the shipped notice (a test checks that it parses).
func MustDefaultPrivacy() PrivacyNotice {
	n, err := ParsePrivacy(DefaultPrivacy)
	if err != nil {
		panic("config/privacy.yaml: " + err.Error())
	}
	return n
}
