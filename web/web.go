// Package web holds the pages people see, embedded in the binary: the H5
// pages lawyers and parties open inside WeChat, the staff console and the
// local WeChat sandbox. They are plain HTML, CSS and vanilla JavaScript with
// no build step; each app is one HTML shell whose script picks the view
// from the URL path, so every page keeps its own address.
package web

import (
	"embed"
	"io/fs"
)

//go:embed assets pages
var files embed.FS

// Files is the embedded tree: pages/ holds the HTML shells (h5.html,
// staff.html, sandbox.html), assets/ the CSS and scripts they load.
func Files() fs.FS { return files }
