package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const (
	goodAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	goodDataKey = "0000000000000000000000000000000000000000000000000000000000000001"
)

func prodEnv() map[string]string {
	return map[string]string{
		"ZSJC_MYSQL_DSN":      "zsjc:pw@tcp(db:3306)/zsjc",
		"ZSJC_REDIS_ADDR":     "redis:6379",
		"ZSJC_DATA_KEY":       goodDataKey,
		"ZSJC_WECHAT_APPID":   "wx123",
		"ZSJC_WECHAT_SECRET":  "secret",
		"ZSJC_WECHAT_TOKEN":   "token",
		"ZSJC_WECHAT_AES_KEY": goodAESKey,
		"ZSJC_PUBLIC_URL":     "https://zsjc.example.gov.cn",
	}
}

func TestEmptyEnvironmentIsDevMode(t *testing.T) {
	cfg, err := Load(env(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Dev() || cfg.Addr != ":8080" || cfg.DataDir != "./data" || cfg.WeChat.APIBase != "https://api.weixin.qq.com" {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestProductionConfiguration(t *testing.T) {
	cfg, err := Load(env(prodEnv()), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeProd {
		t.Fatalf("a MySQL DSN means prod mode, got %s", cfg.Mode)
	}
	key, err := cfg.WeChat.AESKeyBytes()
	if err != nil || len(key) != 32 {
		t.Fatalf("aes key: %v", err)
	}
	if k, err := cfg.DataKeyBytes(); err != nil || len(k) != 32 || k[31] != 1 {
		t.Fatalf("data key: %v %v", k, err)
	}
}

// Each bad value names its variable in one line.
func TestValidationNamesTheVariable(t *testing.T) {
	cases := []struct {
		name, variable string
		change         map[string]string
	}{
		{"malformed DSN", "ZSJC_MYSQL_DSN", map[string]string{"ZSJC_MYSQL_DSN": "not a dsn"}},
		{"short AES key", "ZSJC_WECHAT_AES_KEY", map[string]string{"ZSJC_WECHAT_AES_KEY": "short"}},
		{"AES key not base64", "ZSJC_WECHAT_AES_KEY", map[string]string{"ZSJC_WECHAT_AES_KEY": strings.Repeat("!", 43)}},
		{"missing data key", "ZSJC_DATA_KEY", map[string]string{"ZSJC_DATA_KEY": ""}},
		{"short data key", "ZSJC_DATA_KEY", map[string]string{"ZSJC_DATA_KEY": "abcd"}},
		{"missing appid", "ZSJC_WECHAT_APPID", map[string]string{"ZSJC_WECHAT_APPID": ""}},
		{"missing token", "ZSJC_WECHAT_TOKEN", map[string]string{"ZSJC_WECHAT_TOKEN": ""}},
		{"relative public url", "ZSJC_PUBLIC_URL", map[string]string{"ZSJC_PUBLIC_URL": "zsjc.example"}},
		{"bad api base", "ZSJC_WECHAT_API_BASE", map[string]string{"ZSJC_WECHAT_API_BASE": "ftp://x"}},
		{"bad mode", "ZSJC_MODE", map[string]string{"ZSJC_MODE": "staging"}},
		{"bad number", "ZSJC_PUSH_CONCURRENCY", map[string]string{"ZSJC_PUSH_CONCURRENCY": "eight"}},
		{"zero concurrency", "ZSJC_PUSH_CONCURRENCY", map[string]string{"ZSJC_PUSH_CONCURRENCY": "0"}},
		{"bad cut-off", "ZSJC_REVIEW_CANCEL_CUTOFF", map[string]string{"ZSJC_REVIEW_CANCEL_CUTOFF": "5pm"}},
		{"bad time zone", "ZSJC_TIMEZONE", map[string]string{"ZSJC_TIMEZONE": "Mars/Olympus"}},
		{"bad log level", "ZSJC_LOG_LEVEL", map[string]string{"ZSJC_LOG_LEVEL": "loud"}},
		{"bad trusted proxy", "ZSJC_TRUSTED_PROXIES", map[string]string{"ZSJC_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}},
		{"unknown crypto suite", "ZSJC_CRYPTO", map[string]string{"ZSJC_CRYPTO": "des"}},
		{"unknown staff 2fa policy", "ZSJC_STAFF_2FA", map[string]string{"ZSJC_STAFF_2FA": "yes"}},
		{"bad old data key", "ZSJC_OLD_DATA_KEYS", map[string]string{"ZSJC_OLD_DATA_KEYS": strings.Repeat("ab", 32) + ",xyz"}},
		{"audit kept under six months", "ZSJC_RETENTION_AUDIT_DAYS", map[string]string{"ZSJC_RETENTION_AUDIT_DAYS": "179"}},
		{"pushes kept no day", "ZSJC_RETENTION_PUSHES_DAYS", map[string]string{"ZSJC_RETENTION_PUSHES_DAYS": "0"}},
		{"prod without mysql", "ZSJC_MYSQL_DSN", map[string]string{"ZSJC_MODE": "prod", "ZSJC_MYSQL_DSN": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := prodEnv()
			for k, v := range tc.change {
				e[k] = v
			}
			_, err := Load(env(e), "")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a config error", err)
			}
			if ce.Var != tc.variable {
				t.Fatalf("error names %s, want %s (%v)", ce.Var, tc.variable, err)
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.variable) {
				t.Fatalf("want one line naming %s, got %q", tc.variable, err)
			}
		})
	}
}

func TestYAMLOverlaysEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zsjc.yaml")
	yaml := `
addr: ":9090"
business:
  holidays: ["2027-01-01"]
  makeup_days: ["2027-01-04"]
push:
  templates:
    case_event: {id: "TPL1", fields: {case_name: thing1}}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(map[string]string{"ZSJC_ADDR": ":7070"}), path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9090" || cfg.Business.Holidays[0] != "2027-01-01" || cfg.Push.Templates["case_event"].Fields["case_name"] != "thing1" {
		t.Fatalf("yaml not applied: %+v", cfg)
	}
	if err := os.WriteFile(path, []byte("business:\n  holidays: [\"1 May\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(env(nil), path); err == nil || !strings.Contains(err.Error(), "holidays") {
		t.Fatalf("bad holiday accepted: %v", err)
	}
	if _, err := Load(env(nil), filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing config file accepted")
	}
}

func TestTrustedProxies(t *testing.T) {
	e := prodEnv()
	e["ZSJC_TRUSTED_PROXIES"] = " 10.0.0.0/8, 192.0.2.10 ,fd00::/8,"
	cfg, err := Load(env(e), "")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := cfg.TrustedProxyList()
	if strings.Join(got, "|") != "10.0.0.0/8|192.0.2.10|fd00::/8" {
		t.Errorf("trusted proxies %q", got)
	}
	if cfg, _ := Load(env(prodEnv()), ""); cfg.TrustedProxies != "" {
		t.Errorf("trusted proxies by default: %q", cfg.TrustedProxies)
	}
}

// ZSJC_STAFF_2FA defaults to admins in prod and off in dev (the sandbox's
// demo admin logs in with its printed password); a set value wins in both.
func TestStaffTwoFactorDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"prod default", prodEnv(), "admins"},
		{"dev default", map[string]string{}, "off"},
		{"prod all", merged(prodEnv(), map[string]string{"ZSJC_STAFF_2FA": "all"}), "all"},
		{"prod off", merged(prodEnv(), map[string]string{"ZSJC_STAFF_2FA": "off"}), "off"},
		{"dev admins", map[string]string{"ZSJC_STAFF_2FA": "admins"}, "admins"},
	} {
		cfg, err := Load(env(tc.env), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.Staff2FA != tc.want {
			t.Errorf("%s: ZSJC_STAFF_2FA = %q, want %q", tc.name, cfg.Staff2FA, tc.want)
		}
	}
}

func merged(a, b map[string]string) map[string]string {
	for k, v := range b {
		a[k] = v
	}
	return a
}
