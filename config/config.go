// Package config loads the process configuration: ZSJC_* environment
// variables first, optionally overlaid by a YAML file. Nothing else in the
// module reads the environment; cmd/zsjc hands a *Config to everything.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"gopkg.in/yaml.v3"
)

// Mode says whether the process runs with embedded storage and the local
// WeChat sandbox (dev) or against real MySQL, Redis and WeChat (prod).
type Mode string

const (
	ModeDev  Mode = "dev"
	ModeProd Mode = "prod"
)

// Config is everything the process can be told. YAML keys mirror the
// environment variable names without the ZSJC_ prefix, in lower case.
type Config struct {
	Mode Mode   `yaml:"mode"`
	Addr string `yaml:"addr"`
	// MetricsAddr is where /metrics is served, apart from the public
	// listener: DefaultMetricsAddr in prod; in dev "" (dev keeps /metrics on
	// Addr, and here too when set). Instances sharing a host need one each.
	MetricsAddr string `yaml:"metrics_addr"`
	PublicURL   string `yaml:"public_url"`
	DataDir     string `yaml:"data_dir"`
	LogLevel    string `yaml:"log_level"`
	Timezone    string `yaml:"timezone"`

	MySQLDSN string `yaml:"mysql_dsn"`
	// RedisAddr is one address, or several separated by commas (cluster, or
	// sentinels when RedisMaster is set), exactly as go-redis UniversalOptions.
	RedisAddr     string `yaml:"redis_addr"`
	RedisPassword string `yaml:"redis_password"`
	RedisMaster   string `yaml:"redis_master"`

	// DataKey encrypts personal data (id numbers, phone numbers) and keys
	// their lookup hashes: 32 bytes, given as 64 hex digits or base64.
	DataKey string `yaml:"data_key"`
	// OldDataKeys are keys rotated out (comma-separated, same encodings):
	// values sealed with them are still read until `zsjc rekey` has moved
	// every row to DataKey.
	OldDataKeys string `yaml:"old_data_keys"`
	// Crypto is the personal-data suite: "aes" (AES-256-GCM, HMAC-SHA256)
	// or "sm" (SM4-GCM, HMAC-SM3).
	Crypto            string `yaml:"crypto"`
	IntegrationSecret string `yaml:"integration_secret"`
	// TrustedProxies lists the load balancers / reverse proxies (IPs or
	// CIDRs, comma-separated) whose X-Forwarded-For is believed. Empty:
	// none, the client address is the TCP peer's (login rate limits and
	// the audit log rely on it).
	TrustedProxies string `yaml:"trusted_proxies"`
	// Staff2FA says which staff accounts need a TOTP code after their
	// password: "admins" (prod default), "all" or "off" (dev default).
	Staff2FA string `yaml:"staff_2fa"`
	// UnitName names the root unit (the procuratorate itself in a
	// single-unit deployment) when a database first gets it.
	UnitName string `yaml:"unit_name"`
	// PrivacyFile is a unit's own privacy notice (YAML as config/privacy.yaml);
	// empty: the shipped one.
	PrivacyFile string `yaml:"privacy_file"`

	WeChat WeChat `yaml:"wechat"`

	// S3 is the bucket uploads and documents are kept in; without it they
	// stay under DataDir/files, which several instances must then share.
	S3 S3 `yaml:"s3"`

	// BodyLimit caps request bodies outside upload routes.
	BodyLimit int64 `yaml:"body_limit"`

	Business  Business  `yaml:"business"`
	Limits    Limits    `yaml:"limits"`
	Efile     Efile     `yaml:"efile"`
	Push      Push      `yaml:"push"`
	SMS       SMS       `yaml:"sms"`
	Retention Retention `yaml:"retention"`
	// ReportThreshold is the completion rate under which the monthly
	// 通报 names a unit.
	ReportThreshold float64 `yaml:"report_threshold"`
}

// Retention is how long each kind of record is kept, in days (a daily job
// removes what is older; see docs/design.md).
type Retention struct {
	// AuditDays keeps the audit log; the Cybersecurity Law asks for at
	// least six months, so less than MinAuditDays refuses to start.
	AuditDays int `yaml:"audit_days"`
	// UploadsDays keeps binding materials of rejected or ended bindings,
	// and uploads never attached to a binding.
	UploadsDays int `yaml:"uploads_days"`
	// PushesDays keeps push rows that reached a final state.
	PushesDays int `yaml:"pushes_days"`
	// CallbacksDays keeps the database's record of handled WeChat callbacks.
	CallbacksDays int `yaml:"callbacks_days"`
}

// MinAuditDays is the shortest audit retention accepted (180 days).
const MinAuditDays = 180

// Limits cap what one user may have waiting for staff and how many new
// requests a user or an address may make per 10 minutes; 0 keeps the
// default (10 pending bindings, 3 live meetings per case, 5 live reviews,
// 5 live online file reviews, 30 new requests per user, 300 per address).
type Limits struct {
	PendingBindings  int `yaml:"max_pending_bindings"`
	LiveMeetings     int `yaml:"max_live_meetings"`
	LiveReviews      int `yaml:"max_live_reviews"`
	LiveEfiles       int `yaml:"max_live_efiles"`
	CreationsPerUser int `yaml:"creations_per_user"`
	CreationsPerIP   int `yaml:"creations_per_ip"`
}

// Efile configures online file review (线上阅卷).
type Efile struct {
	// ExcludedCaseTypes are the case types (案件类型, as cases carry them)
	// whose files are not delivered online, comma-separated.
	ExcludedCaseTypes string `yaml:"excluded_case_types"`
	// Font is a TrueType font (.ttf or .ttc, glyf outlines) with Chinese
	// glyphs for the download watermark; empty: the first installed of
	// pdfmark.FontCandidates (Debian's fonts-wqy-zenhei).
	Font string `yaml:"font"`
}

// ExcludedTypes lists ExcludedCaseTypes, trimmed, without empties.
func (e Efile) ExcludedTypes() []string {
	var out []string
	for _, t := range strings.Split(e.ExcludedCaseTypes, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// WeChat holds the official account's credentials and the platform hosts.
type WeChat struct {
	AppID    string `yaml:"appid"`
	Secret   string `yaml:"secret"`
	Token    string `yaml:"token"`
	AESKey   string `yaml:"aes_key"`
	APIBase  string `yaml:"api_base"`
	OpenBase string `yaml:"open_base"`
}

// S3 locates a bucket on an S3-compatible object store (Tencent COS,
// Aliyun OSS, Ceph RGW, SeaweedFS). Endpoint empty: no object store.
type S3 struct {
	// Endpoint is the store's base URL, http(s)://host[:port].
	Endpoint  string `yaml:"endpoint"`
	Bucket    string `yaml:"bucket"`
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	Region    string `yaml:"region"`
	// PathStyle addresses the bucket as endpoint/bucket (self-hosted
	// stores) instead of bucket.endpoint (COS, OSS, AWS).
	PathStyle bool `yaml:"path_style"`
	// SSE asks for server-side encryption of every object: "AES256"
	// (SSE-S3), or "" where the store does not support it.
	SSE string `yaml:"sse"`
}

// Business holds the office's working rules.
type Business struct {
	// ReviewCancelCutoff is the local time of day on the day before a review
	// after which the lawyer can no longer cancel it ("17:00").
	ReviewCancelCutoff string `yaml:"review_cancel_cutoff"`
	// ReminderTime is the local time of day, the day before a confirmed
	// review or meeting, at which the lawyer is reminded ("15:00").
	ReminderTime string `yaml:"reminder_time"`
	// ReplyWorkingDays is how many working days staff have to answer a request.
	ReplyWorkingDays int `yaml:"reply_working_days"`
	// ReplyLeadMinutes is how long before an appointment's start staff must
	// have answered it, when that comes before the working-day deadline.
	ReplyLeadMinutes int `yaml:"reply_lead_minutes"`
	// ComplaintResultMonths is how long, from its submission, a complaint
	// (控告申诉) may wait for its result.
	ComplaintResultMonths int `yaml:"complaint_result_months"`
	// Holidays are non-working dates (YYYY-MM-DD); MakeupDays are weekend
	// dates that are working days (调休).
	Holidays   []string `yaml:"holidays"`
	MakeupDays []string `yaml:"makeup_days"`
}

// Push tunes the outbox workers.
type Push struct {
	Concurrency int `yaml:"concurrency"`
	MaxAttempts int `yaml:"max_attempts"`
	// Templates maps a push kind to its template id and field mapping.
	Templates map[string]Template `yaml:"templates"`
	// DailyQuota is the account's daily quota of template messages;
	// QuotaLowWater the share of it from which the rest of the day is kept
	// for the pushes that matter most.
	DailyQuota    int     `yaml:"daily_quota"`
	QuotaLowWater float64 `yaml:"quota_low_water"`
}

// SMS is the Tencent Cloud SMS account of the sms channel; empty SecretID:
// no SMS.
type SMS struct {
	SecretID  string `yaml:"secret_id"`
	SecretKey string `yaml:"secret_key"`
	SDKAppID  string `yaml:"sdk_app_id"`
	Sign      string `yaml:"sign"`
	APIBase   string `yaml:"api_base"`
	// Templates maps a push kind to its SMS template id; a kind without
	// one is not sent by SMS.
	Templates map[string]string `yaml:"templates"`
	// DailyLimit caps the messages one number gets a day.
	DailyLimit int `yaml:"daily_limit"`
}

// Enabled reports whether SMS is configured.
func (s SMS) Enabled() bool { return s.SecretID != "" }

// Template tells which WeChat template a push kind uses and which template
// field carries which value of the push.
type Template struct {
	ID string `yaml:"id"`
	// Fields maps a template field ("thing1") to the push values shown in
	// it, space-separated ("time place"); the values of each push kind are
	// listed in package push. Empty keeps the kind's default mapping.
	Fields map[string]string `yaml:"fields"`
	// Types states the type of fields whose name does not tell it
	// ("keyword1": "character_string"); see push.FieldType.
	Types map[string]string `yaml:"types"`
	// Subscribe sends the kind as a subscribe notice (订阅通知) to users
	// who accepted this template (id, fields and types as above; fields
	// default to the kind's template fields); others still get the
	// template message.
	Subscribe *Template `yaml:"subscribe"`
}

// DefaultMetricsAddr is where prod serves /metrics unless told otherwise.
const DefaultMetricsAddr = "127.0.0.1:9464"

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Addr:      ":8080",
		DataDir:   "./data",
		LogLevel:  "info",
		Timezone:  "Asia/Shanghai",
		UnitName:  "人民检察院",
		Crypto:    "aes",
		BodyLimit: 1 << 20,
		WeChat: WeChat{
			APIBase:  "https://api.weixin.qq.com",
			OpenBase: "https://open.weixin.qq.com",
		},
		Business:        Business{ReviewCancelCutoff: "17:00", ReminderTime: "15:00", ReplyWorkingDays: 3, ReplyLeadMinutes: 120, ComplaintResultMonths: 3},
		Push:            Push{Concurrency: 8, MaxAttempts: 8, DailyQuota: 100000, QuotaLowWater: 0.1},
		SMS:             SMS{APIBase: "https://sms.tencentcloudapi.com", DailyLimit: 10},
		ReportThreshold: 0.9,
		Retention:       Retention{AuditDays: 365, UploadsDays: 180, PushesDays: 180, CallbacksDays: 30},
	}
}

// Error names the variable that is wrong and why, in one line.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return "config: " + e.Var + ": " + e.Reason }

// Load builds the configuration from the environment (getenv, usually
// os.Getenv) and, when yamlPath is not empty, a YAML file whose values win
// over the environment. It validates the result.
func Load(getenv func(string) string, yamlPath string) (*Config, error) {
	cfg := Default()
	if err := applyEnv(&cfg, getenv); err != nil {
		return nil, err
	}
	if yamlPath != "" {
		raw, err := os.ReadFile(yamlPath)
		if err != nil {
			return nil, &Error{Var: "-config", Reason: err.Error()}
		}
		if err := yaml.Unmarshal(raw, &cfg); err != nil {
			return nil, &Error{Var: "-config", Reason: "invalid YAML: " + err.Error()}
		}
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeDev
		if cfg.MySQLDSN != "" {
			cfg.Mode = ModeProd
		}
	}
	if cfg.MetricsAddr == "" && cfg.Mode == ModeProd {
		cfg.MetricsAddr = DefaultMetricsAddr
	}
	if cfg.Staff2FA == "" {
		// The sandbox's demo admin logs in with the printed password alone;
		// production asks administrators for a second factor.
		cfg.Staff2FA = "off"
		if cfg.Mode == ModeProd {
			cfg.Staff2FA = "admins"
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	strs := map[string]*string{
		"ZSJC_ADDR":                      &cfg.Addr,
		"ZSJC_METRICS_ADDR":              &cfg.MetricsAddr,
		"ZSJC_PUBLIC_URL":                &cfg.PublicURL,
		"ZSJC_DATA_DIR":                  &cfg.DataDir,
		"ZSJC_LOG_LEVEL":                 &cfg.LogLevel,
		"ZSJC_TIMEZONE":                  &cfg.Timezone,
		"ZSJC_MYSQL_DSN":                 &cfg.MySQLDSN,
		"ZSJC_REDIS_ADDR":                &cfg.RedisAddr,
		"ZSJC_REDIS_PASSWORD":            &cfg.RedisPassword,
		"ZSJC_REDIS_MASTER":              &cfg.RedisMaster,
		"ZSJC_DATA_KEY":                  &cfg.DataKey,
		"ZSJC_OLD_DATA_KEYS":             &cfg.OldDataKeys,
		"ZSJC_CRYPTO":                    &cfg.Crypto,
		"ZSJC_INTEGRATION_SECRET":        &cfg.IntegrationSecret,
		"ZSJC_TRUSTED_PROXIES":           &cfg.TrustedProxies,
		"ZSJC_UNIT_NAME":                 &cfg.UnitName,
		"ZSJC_PRIVACY_FILE":              &cfg.PrivacyFile,
		"ZSJC_WECHAT_APPID":              &cfg.WeChat.AppID,
		"ZSJC_WECHAT_SECRET":             &cfg.WeChat.Secret,
		"ZSJC_WECHAT_TOKEN":              &cfg.WeChat.Token,
		"ZSJC_WECHAT_AES_KEY":            &cfg.WeChat.AESKey,
		"ZSJC_WECHAT_API_BASE":           &cfg.WeChat.APIBase,
		"ZSJC_WECHAT_OPEN_BASE":          &cfg.WeChat.OpenBase,
		"ZSJC_S3_ENDPOINT":               &cfg.S3.Endpoint,
		"ZSJC_S3_BUCKET":                 &cfg.S3.Bucket,
		"ZSJC_S3_ACCESS_KEY":             &cfg.S3.AccessKey,
		"ZSJC_S3_SECRET_KEY":             &cfg.S3.SecretKey,
		"ZSJC_S3_REGION":                 &cfg.S3.Region,
		"ZSJC_S3_SSE":                    &cfg.S3.SSE,
		"ZSJC_EFILE_EXCLUDED_CASE_TYPES": &cfg.Efile.ExcludedCaseTypes,
		"ZSJC_EFILE_FONT":                &cfg.Efile.Font,
		"ZSJC_SMS_SECRET_ID":             &cfg.SMS.SecretID,
		"ZSJC_SMS_SECRET_KEY":            &cfg.SMS.SecretKey,
		"ZSJC_SMS_SDK_APP_ID":            &cfg.SMS.SDKAppID,
		"ZSJC_SMS_SIGN":                  &cfg.SMS.Sign,
		"ZSJC_SMS_API_BASE":              &cfg.SMS.APIBase,
		"ZSJC_STAFF_2FA":                 &cfg.Staff2FA,
	}
	for name, dst := range strs {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	if v := getenv("ZSJC_MODE"); v != "" {
		cfg.Mode = Mode(v)
	}
	ints := map[string]*int{
		"ZSJC_PUSH_CONCURRENCY":         &cfg.Push.Concurrency,
		"ZSJC_PUSH_MAX_ATTEMPTS":        &cfg.Push.MaxAttempts,
		"ZSJC_PUSH_DAILY_QUOTA":         &cfg.Push.DailyQuota,
		"ZSJC_SMS_DAILY_LIMIT":          &cfg.SMS.DailyLimit,
		"ZSJC_REPLY_WORKING_DAYS":       &cfg.Business.ReplyWorkingDays,
		"ZSJC_RETENTION_AUDIT_DAYS":     &cfg.Retention.AuditDays,
		"ZSJC_RETENTION_UPLOADS_DAYS":   &cfg.Retention.UploadsDays,
		"ZSJC_RETENTION_PUSHES_DAYS":    &cfg.Retention.PushesDays,
		"ZSJC_RETENTION_CALLBACKS_DAYS": &cfg.Retention.CallbacksDays,
		"ZSJC_REPLY_LEAD_MINUTES":       &cfg.Business.ReplyLeadMinutes,
		"ZSJC_COMPLAINT_RESULT_MONTHS":  &cfg.Business.ComplaintResultMonths,
		"ZSJC_MAX_PENDING_BINDINGS":     &cfg.Limits.PendingBindings,
		"ZSJC_MAX_LIVE_MEETINGS":        &cfg.Limits.LiveMeetings,
		"ZSJC_MAX_LIVE_REVIEWS":         &cfg.Limits.LiveReviews,
		"ZSJC_MAX_LIVE_EFILES":          &cfg.Limits.LiveEfiles,
		"ZSJC_CREATIONS_PER_USER":       &cfg.Limits.CreationsPerUser,
		"ZSJC_CREATIONS_PER_IP":         &cfg.Limits.CreationsPerIP,
	}
	for name, dst := range ints {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return &Error{Var: name, Reason: fmt.Sprintf("must be a whole number, got %q", v)}
			}
			*dst = n
		}
	}
	if v := getenv("ZSJC_BODY_LIMIT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return &Error{Var: "ZSJC_BODY_LIMIT", Reason: fmt.Sprintf("must be a number of bytes, got %q", v)}
		}
		cfg.BodyLimit = n
	}
	if v := getenv("ZSJC_PUSH_QUOTA_LOW_WATER"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return &Error{Var: "ZSJC_PUSH_QUOTA_LOW_WATER", Reason: fmt.Sprintf("must be a number such as 0.1, got %q", v)}
		}
		cfg.Push.QuotaLowWater = f
	}
	if v := getenv("ZSJC_REPORT_THRESHOLD"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return &Error{Var: "ZSJC_REPORT_THRESHOLD", Reason: fmt.Sprintf("must be a number such as 0.9, got %q", v)}
		}
		cfg.ReportThreshold = f
	}
	if v := strings.TrimSpace(getenv("ZSJC_S3_PATH_STYLE")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &Error{Var: "ZSJC_S3_PATH_STYLE", Reason: fmt.Sprintf("must be true or false, got %q", v)}
		}
		cfg.S3.PathStyle = b
	}
	if v := getenv("ZSJC_REVIEW_CANCEL_CUTOFF"); v != "" {
		cfg.Business.ReviewCancelCutoff = v
	}
	if v := getenv("ZSJC_REMINDER_TIME"); v != "" {
		cfg.Business.ReminderTime = v
	}
	return nil
}

// Validate checks every value and returns the first problem found.
func (c *Config) Validate() error {
	if c.Mode != ModeDev && c.Mode != ModeProd {
		return &Error{Var: "ZSJC_MODE", Reason: fmt.Sprintf("must be dev or prod, got %q", c.Mode)}
	}
	if c.Addr == "" {
		return &Error{Var: "ZSJC_ADDR", Reason: "must not be empty"}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &Error{Var: "ZSJC_PUBLIC_URL", Reason: "must be an absolute http(s) URL such as https://zsjc.example.gov.cn"}
		}
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return &Error{Var: "ZSJC_TIMEZONE", Reason: fmt.Sprintf("unknown time zone %q", c.Timezone)}
	}
	if c.MySQLDSN != "" {
		if _, err := mysql.ParseDSN(c.MySQLDSN); err != nil {
			return &Error{Var: "ZSJC_MYSQL_DSN", Reason: "not a valid MySQL DSN (user:pass@tcp(host:3306)/db): " + err.Error()}
		}
	} else if c.Mode == ModeProd {
		return &Error{Var: "ZSJC_MYSQL_DSN", Reason: "is required in prod mode"}
	}
	if c.DataKey != "" {
		if _, err := c.DataKeyBytes(); err != nil {
			return &Error{Var: "ZSJC_DATA_KEY", Reason: err.Error()}
		}
	} else if c.Mode == ModeProd {
		return &Error{Var: "ZSJC_DATA_KEY", Reason: "is required outside dev mode (32 random bytes as 64 hex digits or base64)"}
	}
	if _, err := c.OldDataKeyBytes(); err != nil {
		return &Error{Var: "ZSJC_OLD_DATA_KEYS", Reason: err.Error()}
	}
	if c.Crypto != "aes" && c.Crypto != "sm" {
		return &Error{Var: "ZSJC_CRYPTO", Reason: fmt.Sprintf("must be aes (AES-256-GCM + HMAC-SHA256) or sm (SM4-GCM + HMAC-SM3), got %q", c.Crypto)}
	}
	if c.Staff2FA != "admins" && c.Staff2FA != "all" && c.Staff2FA != "off" {
		return &Error{Var: "ZSJC_STAFF_2FA", Reason: fmt.Sprintf("must be admins, all or off, got %q", c.Staff2FA)}
	}
	// A short shared secret could be guessed from signed requests offline.
	if c.IntegrationSecret != "" && len(c.IntegrationSecret) < 16 {
		return &Error{Var: "ZSJC_INTEGRATION_SECRET", Reason: "must be at least 16 characters (empty disables the integration API)"}
	}
	if c.WeChat.AESKey != "" {
		if _, err := c.WeChat.AESKeyBytes(); err != nil {
			return &Error{Var: "ZSJC_WECHAT_AES_KEY", Reason: err.Error()}
		}
	}
	if c.Mode == ModeProd {
		for name, v := range map[string]string{
			"ZSJC_WECHAT_APPID":  c.WeChat.AppID,
			"ZSJC_WECHAT_SECRET": c.WeChat.Secret,
			"ZSJC_WECHAT_TOKEN":  c.WeChat.Token,
			"ZSJC_PUBLIC_URL":    c.PublicURL,
		} {
			if v == "" {
				return &Error{Var: name, Reason: "is required outside dev mode"}
			}
		}
	}
	for name, base := range map[string]string{"ZSJC_WECHAT_API_BASE": c.WeChat.APIBase, "ZSJC_WECHAT_OPEN_BASE": c.WeChat.OpenBase} {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &Error{Var: name, Reason: fmt.Sprintf("must be an absolute http(s) URL, got %q", base)}
		}
	}
	if err := c.S3.validate(); err != nil {
		return err
	}
	if err := c.SMS.validate(); err != nil {
		return err
	}
	if c.Push.DailyQuota < 1 {
		return &Error{Var: "ZSJC_PUSH_DAILY_QUOTA", Reason: "must be at least 1 (the platform's default is 100000)"}
	}
	if c.Push.QuotaLowWater <= 0 || c.Push.QuotaLowWater >= 1 {
		return &Error{Var: "ZSJC_PUSH_QUOTA_LOW_WATER", Reason: "must be a share between 0 and 1 such as 0.1"}
	}
	if _, err := c.TrustedProxyList(); err != nil {
		return &Error{Var: "ZSJC_TRUSTED_PROXIES", Reason: err.Error()}
	}
	if c.BodyLimit < 1024 {
		return &Error{Var: "ZSJC_BODY_LIMIT", Reason: "must be at least 1024 bytes"}
	}
	if _, err := ParseClock(c.Business.ReviewCancelCutoff); err != nil {
		return &Error{Var: "ZSJC_REVIEW_CANCEL_CUTOFF", Reason: err.Error()}
	}
	if _, err := ParseClock(c.Business.ReminderTime); err != nil {
		return &Error{Var: "ZSJC_REMINDER_TIME", Reason: err.Error()}
	}
	if c.Business.ReplyWorkingDays < 1 {
		return &Error{Var: "ZSJC_REPLY_WORKING_DAYS", Reason: "must be at least 1"}
	}
	if c.Business.ReplyLeadMinutes < 1 {
		return &Error{Var: "ZSJC_REPLY_LEAD_MINUTES", Reason: "must be at least 1"}
	}
	if c.Business.ComplaintResultMonths < 1 || c.Business.ComplaintResultMonths > 24 {
		return &Error{Var: "ZSJC_COMPLAINT_RESULT_MONTHS", Reason: "must be between 1 and 24"}
	}
	for _, d := range append(append([]string{}, c.Business.Holidays...), c.Business.MakeupDays...) {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return &Error{Var: "business.holidays", Reason: fmt.Sprintf("%q is not a date YYYY-MM-DD", d)}
		}
	}
	if c.Push.Concurrency < 1 || c.Push.Concurrency > 256 {
		return &Error{Var: "ZSJC_PUSH_CONCURRENCY", Reason: "must be between 1 and 256"}
	}
	if c.Push.MaxAttempts < 1 {
		return &Error{Var: "ZSJC_PUSH_MAX_ATTEMPTS", Reason: "must be at least 1"}
	}
	if c.ReportThreshold <= 0 || c.ReportThreshold > 1 {
		return &Error{Var: "ZSJC_REPORT_THRESHOLD", Reason: fmt.Sprintf("must be a completion rate above 0 and at most 1, got %g", c.ReportThreshold)}
	}
	if c.Retention.AuditDays < MinAuditDays {
		return &Error{Var: "ZSJC_RETENTION_AUDIT_DAYS", Reason: fmt.Sprintf("must be at least %d days (logs are kept six months or more), got %d", MinAuditDays, c.Retention.AuditDays)}
	}
	for name, days := range map[string]int{"ZSJC_RETENTION_UPLOADS_DAYS": c.Retention.UploadsDays,
		"ZSJC_RETENTION_PUSHES_DAYS": c.Retention.PushesDays, "ZSJC_RETENTION_CALLBACKS_DAYS": c.Retention.CallbacksDays} {
		if days < 1 {
			return &Error{Var: name, Reason: fmt.Sprintf("must be at least 1 day, got %d", days)}
		}
	}
	if _, err := c.Privacy(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Var: "ZSJC_LOG_LEVEL", Reason: fmt.Sprintf("must be debug, info, warn or error, got %q", c.LogLevel)}
	}
	return nil
}

func (s S3) validate() error {
	if s.Endpoint == "" {
		if s.Bucket != "" || s.AccessKey != "" || s.SecretKey != "" {
			return &Error{Var: "ZSJC_S3_ENDPOINT", Reason: "is required when ZSJC_S3_BUCKET or the S3 keys are set"}
		}
		return nil
	}
	if u, err := url.Parse(s.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return &Error{Var: "ZSJC_S3_ENDPOINT", Reason: fmt.Sprintf("must be the store's base URL such as https://cos.ap-beijing.myqcloud.com, got %q", s.Endpoint)}
	}
	for name, v := range map[string]string{"ZSJC_S3_BUCKET": s.Bucket, "ZSJC_S3_ACCESS_KEY": s.AccessKey, "ZSJC_S3_SECRET_KEY": s.SecretKey} {
		if v == "" {
			return &Error{Var: name, Reason: "is required when ZSJC_S3_ENDPOINT is set"}
		}
	}
	if s.SSE != "" && s.SSE != "AES256" {
		return &Error{Var: "ZSJC_S3_SSE", Reason: fmt.Sprintf("must be AES256 or empty (no server-side encryption), got %q", s.SSE)}
	}
	return nil
}

// DataKeyBytes decodes ZSJC_DATA_KEY into 32 bytes.
func (c *Config) DataKeyBytes() ([]byte, error) { return decodeDataKey(c.DataKey) }

// OldDataKeyBytes decodes ZSJC_OLD_DATA_KEYS.
func (c *Config) OldDataKeyBytes() ([][]byte, error) {
	var out [][]byte
	for i, k := range strings.Split(c.OldDataKeys, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		b, err := decodeDataKey(k)
		if err != nil {
			return nil, fmt.Errorf("key %d %w", i+1, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func decodeDataKey(k string) ([]byte, error) {
	if b, err := hex.DecodeString(k); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(k); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("must be 32 bytes, given as 64 hex digits or base64")
}

// AESKeyBytes decodes the 43-character EncodingAESKey into the 32-byte key.
func (w WeChat) AESKeyBytes() ([]byte, error) {
	if len(w.AESKey) != 43 {
		return nil, fmt.Errorf("must be 43 base64 characters (EncodingAESKey), got %d", len(w.AESKey))
	}
	b, err := base64.StdEncoding.DecodeString(w.AESKey + "=")
	if err != nil || len(b) != 32 {
		return nil, errors.New("must be 43 base64 characters (EncodingAESKey)")
	}
	return b, nil
}

// Location returns the office's time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil { // Validate already refused it; keep the zero value safe.
		return time.UTC
	}
	return loc
}

// TrustedProxyList splits ZSJC_TRUSTED_PROXIES into IPs and CIDRs.
func (c *Config) TrustedProxyList() ([]string, error) {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR such as 10.0.0.0/8", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// Dev reports whether the process runs in dev mode.
func (c *Config) Dev() bool { return c.Mode == ModeDev }

// ParseClock parses a time of day "HH:MM" into minutes after midnight.
func ParseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("must be a time of day HH:MM, got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// validate checks an SMS account: all of it or nothing.
func (s SMS) validate() error {
	parts := map[string]string{"ZSJC_SMS_SECRET_ID": s.SecretID, "ZSJC_SMS_SECRET_KEY": s.SecretKey,
		"ZSJC_SMS_SDK_APP_ID": s.SDKAppID, "ZSJC_SMS_SIGN": s.Sign}
	given := 0
	for _, v := range parts {
		if v != "" {
			given++
		}
	}
	if given > 0 && given < len(parts) {
		for _, name := range []string{"ZSJC_SMS_SECRET_ID", "ZSJC_SMS_SECRET_KEY", "ZSJC_SMS_SDK_APP_ID", "ZSJC_SMS_SIGN"} {
			if parts[name] == "" {
				return &Error{Var: name, Reason: "is required once any ZSJC_SMS_* account setting is given"}
			}
		}
	}
	if u, err := url.Parse(s.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Var: "ZSJC_SMS_API_BASE", Reason: fmt.Sprintf("must be an absolute http(s) URL such as https://sms.tencentcloudapi.com, got %q", s.APIBase)}
	}
	if s.DailyLimit < 1 {
		return &Error{Var: "ZSJC_SMS_DAILY_LIMIT", Reason: "must be at least 1"}
	}
	return nil
}
