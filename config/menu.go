package config

import (
	_ "embed"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultMenu is the shipped custom menu (config/menu.yaml), built into the
// binary so `zsjc menu push` and the sandbox need no file beside it.
//
//go:embed menu.yaml
var DefaultMenu []byte

// MenuReplies are the texts of the menu file the server answers with.
type MenuReplies struct {
	// Unrecognised answers a text message no keyword matches.
	Unrecognised string `yaml:"unrecognised_reply"`
}

// ParseMenuReplies reads the replies of a menu file (DefaultMenu for the
// shipped one).
func ParseMenuReplies(raw []byte) (MenuReplies, error) {
	var r MenuReplies
	if err := yaml.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("menu replies: %w", err)
	}
	r.Unrecognised = strings.TrimSpace(r.Unrecognised)
	return r, nil
}
