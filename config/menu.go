package config

import _ "embed"

// DefaultMenu is the shipped custom menu (config/menu.yaml), built into the
// binary so `zsjc menu push` and the sandbox need no file beside it.
//
//go:embed menu.yaml
var DefaultMenu []byte
