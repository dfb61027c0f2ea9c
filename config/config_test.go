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
		{"privacy notice missing", "ZSJC_PRIVACY_FILE", map[string]string{"ZSJC_PRIVACY_FILE": "/nonexistent/privacy.yaml"}},
		{"SMS account without its sign", "ZSJC_SMS_SIGN", map[string]string{"ZSJC_SMS_SECRET_ID": "AKID", "ZSJC_SMS_SECRET_KEY": "k", "ZSJC_SMS_SDK_APP_ID": "1400000000"}},
		{"bad SMS API base", "ZSJC_SMS_API_BASE", map[string]string{"ZSJC_SMS_API_BASE": "127.0.0.1:9000"}},
		{"no texts a day", "ZSJC_SMS_DAILY_LIMIT", map[string]string{"ZSJC_SMS_DAILY_LIMIT": "0"}},
		{"no template quota", "ZSJC_PUSH_DAILY_QUOTA", map[string]string{"ZSJC_PUSH_DAILY_QUOTA": "0"}},
		{"reserve over the whole quota", "ZSJC_PUSH_QUOTA_LOW_WATER", map[string]string{"ZSJC_PUSH_QUOTA_LOW_WATER": "1.5"}},
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

// TestSMSConfiguration: the SMS account from the environment, its
// templates from YAML; nothing set is no SMS.
func TestSMSConfiguration(t *testing.T) {
	cfg, err := Load(env(nil), "")
	if err != nil || cfg.SMS.Enabled() || cfg.Push.DailyQuota != 100000 || cfg.Push.QuotaLowWater != 0.1 {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	path := filepath.Join(t.TempDir(), "zsjc.yaml")
	if err := os.WriteFile(path, []byte("sms:\n  templates: {case_event: \"1234567\"}\n  daily_limit: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(env(map[string]string{"ZSJC_SMS_SECRET_ID": "AKID", "ZSJC_SMS_SECRET_KEY": "key", "ZSJC_SMS_SDK_APP_ID": "1400000000",
		"ZSJC_SMS_SIGN": "掌上检察", "ZSJC_SMS_API_BASE": "http://127.0.0.1:9000", "ZSJC_PUSH_DAILY_QUOTA": "500", "ZSJC_PUSH_QUOTA_LOW_WATER": "0.2"}), path)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.SMS.Enabled() || cfg.SMS.SDKAppID != "1400000000" || cfg.SMS.Sign != "掌上检察" || cfg.SMS.APIBase != "http://127.0.0.1:9000" ||
		cfg.SMS.Templates["case_event"] != "1234567" || cfg.SMS.DailyLimit != 3 || cfg.Push.DailyQuota != 500 || cfg.Push.QuotaLowWater != 0.2 {
		t.Fatalf("SMS settings: %+v %+v", cfg.SMS, cfg.Push)
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

// TestPrivacyNotice: the shipped notice parses; a unit's file replaces it
// and must name every purpose consent is asked for.
func TestPrivacyNotice(t *testing.T) {
	shipped := MustDefaultPrivacy()
	for _, code := range RequiredPurposes {
		if _, ok := shipped.Purpose(code); !ok {
			t.Errorf("shipped notice lacks %s", code)
		}
	}
	dir := t.TempDir()
	own := filepath.Join(dir, "privacy.yaml")
	os.WriteFile(own, []byte("version: v7\ntext: 本院规则\npurposes:\n- {code: id_number, name: 身份证号, sensitive: true}\n- {code: phone, name: 手机号}\n- {code: uploads, name: 材料, sensitive: true}\n"), 0o600)
	cfg, err := Load(env(map[string]string{"ZSJC_PRIVACY_FILE": own}), "")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cfg.Privacy(); err != nil || n.Version != "v7" || n.Text != "本院规则" {
		t.Errorf("own notice: %+v %v", n, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: v8\ntext: t\npurposes:\n- {code: phone, name: 手机号}\n"), 0o600)
	var ce *Error
	if _, err := Load(env(map[string]string{"ZSJC_PRIVACY_FILE": bad}), ""); !errors.As(err, &ce) || ce.Var != "ZSJC_PRIVACY_FILE" || !strings.Contains(ce.Reason, "id_number") {
		t.Errorf("a notice without id_number: %v", err)
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
