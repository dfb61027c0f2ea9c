package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestShippedUnrecognisedReplyNamesTheMenu: the shipped menu file has a
// reply for unrecognised messages, and it names every entry point of the
// shipped menu.
func TestShippedUnrecognisedReplyNamesTheMenu(t *testing.T) {
	r, err := ParseMenuReplies(DefaultMenu)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unrecognised == "" || len([]rune(r.Unrecognised)) > 300 {
		t.Fatalf("unrecognised_reply %q: want a short text", r.Unrecognised)
	}
	var menu struct {
		Buttons []struct {
			Name       string `yaml:"name"`
			SubButtons []struct {
				Name string `yaml:"name"`
			} `yaml:"sub_buttons"`
		} `yaml:"buttons"`
	}
	if err := yaml.Unmarshal(DefaultMenu, &menu); err != nil {
		t.Fatal(err)
	}
	for _, b := range menu.Buttons {
		if !strings.Contains(r.Unrecognised, b.Name) {
			t.Errorf("the reply does not name the menu button %s", b.Name)
		}
		for _, sb := range b.SubButtons {
			if !strings.Contains(r.Unrecognised, sb.Name) {
				t.Errorf("the reply does not name the menu entry %s → %s", b.Name, sb.Name)
			}
		}
	}
}
