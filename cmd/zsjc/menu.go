package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/util"
	"gopkg.in/yaml.v3"

	"zsjc/config"
	"zsjc/service"
)

// menuFile is menu.yaml: the custom menu in terms of our pages.
type menuFile struct {
	Buttons []menuButton `yaml:"buttons"`
}

type menuButton struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // view | click; empty for a button with sub_buttons
	// Page is an H5 path reached through the WeChat login; URL a full link.
	Page       string       `yaml:"page"`
	URL        string       `yaml:"url"`
	Key        string       `yaml:"key"`
	SubButtons []menuButton `yaml:"sub_buttons"`
}

// loadMenu reads and checks a menu file ("" for the shipped one) and
// builds the SDK's buttons, linking pages under publicURL.
func loadMenu(path, publicURL string) ([]*menu.Button, error) {
	raw := config.DefaultMenu
	if path != "" {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("menu: %w", err)
		}
	} else {
		path = "config/menu.yaml"
	}
	var f menuFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("menu %s: invalid YAML: %w", path, err)
	}
	if len(f.Buttons) == 0 || len(f.Buttons) > 3 {
		return nil, fmt.Errorf("menu %s: needs 1 to 3 buttons, has %d", path, len(f.Buttons))
	}
	out := make([]*menu.Button, 0, len(f.Buttons))
	for _, b := range f.Buttons {
		btn, err := b.build(publicURL, 16)
		if err != nil {
			return nil, fmt.Errorf("menu %s: %w", path, err)
		}
		if len(b.SubButtons) > 0 {
			if len(b.SubButtons) > 5 {
				return nil, fmt.Errorf("menu %s: %q has %d sub_buttons, at most 5", path, b.Name, len(b.SubButtons))
			}
			subs := make([]*menu.Button, 0, len(b.SubButtons))
			for _, sb := range b.SubButtons {
				if len(sb.SubButtons) > 0 {
					return nil, fmt.Errorf("menu %s: %q: sub_buttons cannot nest", path, sb.Name)
				}
				s, err := sb.build(publicURL, 60)
				if err != nil {
					return nil, fmt.Errorf("menu %s: %w", path, err)
				}
				subs = append(subs, s)
			}
			btn.SetSubButton(b.Name, subs)
		}
		out = append(out, btn)
	}
	return out, nil
}

// build makes one button; maxNameBytes is WeChat's limit (16 bytes at the
// top level, 60 below).
func (b menuButton) build(publicURL string, maxNameBytes int) (*menu.Button, error) {
	if b.Name == "" || len(b.Name) > maxNameBytes || !utf8.ValidString(b.Name) {
		return nil, fmt.Errorf("button %q: name must be 1 to %d bytes", b.Name, maxNameBytes)
	}
	btn := &menu.Button{}
	switch {
	case len(b.SubButtons) > 0:
		if b.Type != "" {
			return nil, fmt.Errorf("button %q: a button with sub_buttons has no type", b.Name)
		}
		return btn, nil
	case b.Type == "click" && b.Key != "":
		return btn.SetClickButton(b.Name, b.Key), nil
	case b.Type == "view" && (b.Page == "") != (b.URL == ""):
		link := b.URL
		if b.Page != "" {
			if service.SafeNext(b.Page) == "" {
				return nil, fmt.Errorf("button %q: page must be a site path such as /h5/bind", b.Name)
			}
			if publicURL == "" {
				return nil, errors.New("ZSJC_PUBLIC_URL is required to link pages from the menu")
			}
			link = strings.TrimRight(publicURL, "/") + "/h5/login?next=" + url.QueryEscape(b.Page)
		}
		if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("button %q: %q is not an absolute http(s) link", b.Name, link)
		}
		return btn.SetViewButton(b.Name, link), nil
	}
	return nil, fmt.Errorf("button %q: needs type click with a key, type view with page or url, or sub_buttons", b.Name)
}

// menuPush creates the custom menu from the file (zsjc menu push [-f
// menu.yaml]), through the SDK with our fleet-wide access token. In dev
// mode without credentials it talks to the sandbox of the running server.
func menuPush(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("menu push", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "menu file (default: the shipped config/menu.yaml)")
	if err := fs.Parse(args); err != nil {
		return usageError{"menu push: " + err.Error()}
	}
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	publicURL := a.cfg.PublicURL
	if a.wx.sandbox != nil {
		publicURL = sandboxBase(a.cfg)
	}
	buttons, err := loadMenu(*file, publicURL)
	if err != nil {
		return err
	}
	// The SDK sends through a package-global client; this process talks to
	// one platform only, so it is safe to point that at ours here.
	util.DefaultHTTPClient = a.wx.client.HTTPClient()
	oa := a.wx.client.OfficialAccount(a.wx.cfg.Token, a.wx.cfg.AESKey)
	if err := oa.GetMenu().SetMenu(buttons); err != nil {
		return fmt.Errorf("menu push: %w", err)
	}
	fmt.Fprintf(stdout, "menu created from %s: %d buttons\n", *file, len(buttons))
	return nil
}
