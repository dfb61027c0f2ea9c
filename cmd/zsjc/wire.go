package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/config"
	"zsjc/handler"
	"zsjc/model"
	"zsjc/pdfmark"
	"zsjc/push"
	"zsjc/secure"
	"zsjc/service"
)

// app is the wired process: storage, cache, service and HTTP handler.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	db       *gorm.DB
	cache    cache.Store
	files    service.FileStore
	svc      *service.Service
	registry *prometheus.Registry
	sealer   *secure.Sealer
	wx       *weChat
	// pushTemplates are the push kinds' templates (the sandbox shows them).
	pushTemplates map[string]push.Template
	sms           textMessages
	push          *push.Worker
	closers       []func()
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// openStorage opens and migrates the database.
func openStorage(ctx context.Context, cfg *config.Config) (*gorm.DB, error) {
	db, err := model.Open(cfg.MySQLDSN, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("ZSJC_MYSQL_DSN: %w", err)
	}
	if err := model.Migrate(ctx, db, model.MigrateOptions{RootUnitName: cfg.UnitName}); err != nil {
		closeDB(db)
		return nil, err
	}
	return db, nil
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

// dataKey returns ZSJC_DATA_KEY, or in dev mode a key generated once and
// kept in the data dir so that a restart can still read the demo data.
func dataKey(cfg *config.Config) ([]byte, error) {
	if cfg.DataKey != "" {
		return cfg.DataKeyBytes()
	}
	if !cfg.Dev() {
		return nil, &config.Error{Var: "ZSJC_DATA_KEY", Reason: "is required outside dev mode"}
	}
	path := filepath.Join(cfg.DataDir, "dev-data-key")
	if raw, err := os.ReadFile(path); err == nil {
		return hex.DecodeString(strings.TrimSpace(string(raw)))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read dev data key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate dev data key: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return nil, fmt.Errorf("write dev data key: %w", err)
	}
	return key, nil
}

// wire builds every long-lived piece from the configuration.
func wire(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	key, err := dataKey(cfg)
	if err != nil {
		return nil, err
	}
	oldKeys, _ := cfg.OldDataKeyBytes() // validated with the configuration
	sealer, err := secure.NewSuiteSealer(cfg.Crypto, key, oldKeys...)
	if err != nil {
		return nil, &config.Error{Var: "ZSJC_DATA_KEY", Reason: err.Error()}
	}
	log.Info("personal data protection", "crypto", sealer.Suite(), "key_id", sealer.KeyID(), "old_keys", len(oldKeys))
	a.db, err = openStorage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { closeDB(a.db) })
	if cfg.RedisAddr != "" {
		cache.SetRedisLogger(log)
		client, cluster, err := cache.ConnectRedis(ctx, cfg.RedisAddr, cfg.RedisPassword, cfg.RedisMaster)
		if err != nil {
			a.close()
			return nil, &config.Error{Var: "ZSJC_REDIS_ADDR", Reason: err.Error()}
		}
		if cluster && len(cache.RedisAddrs(cfg.RedisAddr)) == 1 {
			log.Info("ZSJC_REDIS_ADDR is a Redis Cluster node: using the cluster client; list several nodes "+
				"(comma-separated) so that a restart does not depend on this one", "addr", cfg.RedisAddr)
		}
		a.closers = append(a.closers, func() { client.Close() })
		a.cache = cache.NewRedis(client, "zsjc:")
	} else {
		a.cache = cache.NewMemory()
	}
	a.files, err = openFiles(ctx, cfg, log)
	if err != nil {
		a.close()
		return nil, err
	}
	// Online file review stamps downloads with a CJK font; without one the
	// downloads answer 503, which a configured but unusable font refuses.
	if err := pdfmark.Setup(filepath.Join(cfg.DataDir, "pdfcpu"), cfg.Efile.Font); err != nil {
		if cfg.Efile.Font != "" {
			a.close()
			return nil, &config.Error{Var: "ZSJC_EFILE_FONT", Reason: err.Error()}
		}
		log.Error("online file review downloads are unavailable: no watermark font", "err", err)
	}
	if a.wx, err = setupWeChat(cfg, a.cache, log); err != nil {
		a.close()
		return nil, err
	}
	if a.sms, err = setupSMS(cfg, a.wx.sandbox != nil); err != nil {
		a.close()
		return nil, err
	}
	a.sealer = sealer
	replies, err := config.ParseMenuReplies(config.DefaultMenu)
	if err != nil {
		a.close()
		return nil, err
	}
	if a.pushTemplates, err = loadPushTemplates(a); err != nil {
		a.close()
		return nil, err
	}
	privacy, err := cfg.Privacy()
	if err != nil {
		a.close()
		return nil, err
	}
	minutes, _ := config.ParseClock(cfg.Business.ReviewCancelCutoff)
	reminderMinutes, _ := config.ParseClock(cfg.Business.ReminderTime)
	a.svc = service.New(service.Deps{DB: a.db, Cache: a.cache, Sealer: sealer, Files: a.files, Log: log,
		OAuth: a.wx.client, JSTicket: a.wx.client, Passwords: a.sms.passwords(cfg.Location())},
		service.Options{
			Location:           cfg.Location(),
			Calendar:           model.NewCalendar(cfg.Business.Holidays, cfg.Business.MakeupDays),
			ReplyWorkingDays:   cfg.Business.ReplyWorkingDays,
			ReplyLead:          time.Duration(cfg.Business.ReplyLeadMinutes) * time.Minute,
			ReviewCancelCutoff: minutes,
			ReminderTime:       reminderMinutes,
			ReportThreshold:    cfg.ReportThreshold,
			Retention: service.RetentionDays{Audit: cfg.Retention.AuditDays, Uploads: cfg.Retention.UploadsDays,
				Pushes: cfg.Retention.PushesDays, Callbacks: cfg.Retention.CallbacksDays},
			UnrecognisedReply: replies.Unrecognised,
			PublicURL:         cfg.PublicURL,
			LinkBase:          linkBase(cfg),
			AppID:             a.wx.cfg.AppID,
			Dev:               cfg.Dev(),
			SandboxWeChat:     a.wx.sandbox != nil,
			IntegrationSecret: cfg.IntegrationSecret,
			Limits: service.Limits{PendingBindings: cfg.Limits.PendingBindings, LiveMeetings: cfg.Limits.LiveMeetings,
				LiveReviews: cfg.Limits.LiveReviews, LiveEfiles: cfg.Limits.LiveEfiles,
				CreationsPerUser: cfg.Limits.CreationsPerUser, CreationsPerIP: cfg.Limits.CreationsPerIP},
			EfileExcludedCaseTypes: cfg.Efile.ExcludedTypes(),
			SMSKinds:               a.sms.kinds(),
			PushQuota:              model.QuotaPlan{Daily: int64(cfg.Push.DailyQuota), LowWater: cfg.Push.QuotaLowWater},
			SubscribeTemplates:     subscribeKinds(a.pushTemplates),
			ComplaintResultMonths:  cfg.Business.ComplaintResultMonths,
			StaffTwoFactor:         service.TwoFactorPolicy(cfg.Staff2FA),
			Privacy:                privacy,
		})
	log.Info("staff login", "second_factor", cfg.Staff2FA)
	a.push = newPushWorker(a)
	return a, nil
}

// workers are the background loops every instance runs until shutdown
// (push delivery, reminders); each coordinates with the other instances
// through MySQL/Redis.
func (a *app) workers() []func(context.Context) {
	return []func(context.Context){
		func(ctx context.Context) { a.svc.RunReminders(ctx, reminderInterval) },
		func(ctx context.Context) { a.svc.RunRetention(ctx, time.Hour) },
		func(ctx context.Context) { a.svc.RunReportFreeze(ctx, time.Hour) },
		a.push.Run,
	}
}

// reminderInterval is how often each instance looks for due reminders.
const reminderInterval = time.Minute

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// handler builds the HTTP handler.
func (a *app) handlerDeps() handler.Deps {
	sqlDB, _ := a.db.DB()
	proxies, _ := a.cfg.TrustedProxyList() // checked by Validate
	ready := map[string]handler.Pinger{"db": sqlPinger{sqlDB}, a.cacheName(): a.cache}
	if p, ok := a.files.(handler.Pinger); ok { // the bucket; a local directory needs no check
		ready["files"] = p
	}
	return handler.Deps{
		Service: a.svc, Log: a.log, Registry: a.registry,
		Ready:     ready,
		BodyLimit: a.cfg.BodyLimit, PublicURL: a.cfg.PublicURL, Dev: a.cfg.Dev(), TrustedProxies: proxies,
		Sandbox: a.sandboxDeps(), WeChat: a.wx.crypto, MetricsElsewhere: !a.cfg.Dev(),
		DevLoopbackOnly: a.cfg.Dev() && a.cfg.MySQLDSN != "",
	}
}

// cacheName names the cache in /readyz: "redis", or "cache" for the
// in-process one.
func (a *app) cacheName() string {
	if a.cfg.RedisAddr != "" {
		return "redis"
	}
	return "cache"
}

type sqlPinger struct{ db *sql.DB }

func (p sqlPinger) Ping(ctx context.Context) error { return p.db.PingContext(ctx) }
