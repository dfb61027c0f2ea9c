// Package service holds the use cases: bind a case, book a review, decide a
// request, record a case event. Each use case is one transaction that also
// writes the push-outbox rows and audit rows it causes. Handlers call it;
// it calls storage (GORM) and the ports it defines itself (cache, files,
// WeChat), which cmd/zsjc wires to concrete implementations.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"time"

	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/config"
	"zsjc/model"
	"zsjc/secure"
)

// Options are the business settings a Service needs.
type Options struct {
	Location *time.Location
	Calendar model.Calendar
	// ReplyWorkingDays is the reply deadline of a request (件件有回复).
	ReplyWorkingDays int
	// ReplyLead is how long before an appointment's start its request must
	// be answered, if that is earlier than the working-day deadline (unset:
	// two hours).
	ReplyLead time.Duration
	// ReviewCancelCutoff is minutes after midnight, the day before a review.
	ReviewCancelCutoff int
	// ComplaintResultMonths is how long a complaint may wait for its
	// result, from submission (unset: 3).
	ComplaintResultMonths int
	// ReportThreshold is the completion rate under which the monthly 通报
	// names a unit (default 0.9).
	ReportThreshold float64
	// Retention is how long records are kept (retention.go).
	Retention RetentionDays
	// ReminderTime is minutes after midnight, the day before a confirmed
	// review or meeting, when its reminder is pushed (unset: 15:00).
	ReminderTime int
	// UnrecognisedReply answers a text message no keyword matches (the
	// menu file's unrecognised_reply); unset: the help text.
	UnrecognisedReply string
	// PublicURL is where users reach the H5 pages ("" in tests); the
	// JS-SDK signs only pages under it.
	PublicURL string
	// LinkBase makes the links in passive replies absolute: PublicURL, or in
	// dev without one the local address, since WeChat cannot follow a
	// relative link ("" in tests: relative links).
	LinkBase string
	// AppID is the official account's AppID (JS-SDK config).
	AppID string
	Dev   bool
	// SandboxWeChat says the WeChat platform is the local sandbox (dev mode
	// without credentials): only then is the dev login open.
	SandboxWeChat bool
	// IntegrationSecret signs the case system's requests; "" disables the
	// integration API.
	IntegrationSecret string
	// Limits cap live requests per user and the rate of new ones (see limits.go).
	Limits Limits
	// Privacy is the privacy notice in force (unset: the shipped one).
	Privacy config.PrivacyNotice
	// EfileExcludedCaseTypes are the case types (model.Case.Type) kept out
	// of online file review (efile.go).
	EfileExcludedCaseTypes []string
	// EfileTempDir holds the stamped copies being downloaded ("": the
	// system's temporary directory).
	EfileTempDir string
	// SMSKinds are the push kinds with an SMS template: a recipient who
	// unfollowed gets those by SMS (reachability.go). Empty: SMS is off.
	SMSKinds map[string]bool
	// PushQuota is the day's template budget the push worker plans with
	// (zero values: the defaults); staff read it (pushquota.go).
	PushQuota model.QuotaPlan
	// SubscribeTemplates are the push kinds sent as subscribe notices
	// (订阅通知) to users who accepted the template: kind → template id.
	SubscribeTemplates map[string]string
	// StaffTwoFactor says which staff need a TOTP code after their password
	// (twofactor.go); unset: administrators.
	StaffTwoFactor TwoFactorPolicy
}

// Deps are the Service's collaborators.
type Deps struct {
	DB     *gorm.DB
	Cache  cache.Store
	Sealer *secure.Sealer
	Files  FileStore
	OAuth  OAuth
	// JSTicket signs JS-SDK configurations.
	JSTicket JSTicketSource
	Log      *slog.Logger
	// Now is the clock; tests move it.
	Now func() time.Time
	// Passwords delivers online file review passwords apart from the H5
	// page (SMS); nil: the page shows each once per fresh login.
	Passwords PasswordDeliverer
}

// Service runs the use cases.
type Service struct {
	db     *gorm.DB
	cache  cache.Store
	sealer *secure.Sealer
	files  FileStore
	oauth  OAuth
	ticket JSTicketSource
	log    *slog.Logger
	now    func() time.Time
	opt    Options
	texts  weChatTexts // fixed WeChat replies, from opt
	// caseCache holds H5 case views; nil when writes cannot be watched.
	caseCache *caseCache
	// callbackHold is callbackApplyHold; tests shorten it.
	callbackHold time.Duration
	// unitDir is the unit tree held in process (units.go).
	unitDir unitDirectory
	// passwords: see Deps.Passwords.
	passwords PasswordDeliverer
	// stampSlots bounds the online file review copies made at once (efile.go).
	stampSlots chan struct{}
}

// New returns a Service.
func New(d Deps, opt Options) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.ReplyWorkingDays == 0 {
		opt.ReplyWorkingDays = 3
	}
	if opt.ComplaintResultMonths == 0 {
		opt.ComplaintResultMonths = 3
	}
	if opt.ReportThreshold == 0 {
		opt.ReportThreshold = 0.9
	}
	if opt.Retention == (RetentionDays{}) {
		opt.Retention = RetentionDays{Audit: 365, Uploads: 180, Pushes: 180, Callbacks: 30}
	}
	if opt.ReplyLead == 0 {
		opt.ReplyLead = replyLeadDefault
	}
	opt.Limits = opt.Limits.withDefaults()
	if opt.Privacy.Version == "" {
		opt.Privacy = config.MustDefaultPrivacy()
	}
	opt.PushQuota = opt.PushQuota.WithDefaults()
	if opt.ReminderTime == 0 {
		opt.ReminderTime = 15 * 60
	}
	s := &Service{db: d.DB, cache: d.Cache, sealer: d.Sealer, files: d.Files, oauth: d.OAuth, ticket: d.JSTicket,
		log: d.Log, now: d.Now, opt: opt, passwords: d.Passwords, stampSlots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
	s.texts = s.newWeChatTexts()
	s.callbackHold = callbackApplyHold
	if s.db != nil {
		if err := countCreatedCases(s.db); err != nil {
			s.log.Error("unit case tallies are not kept: case list totals go wrong", "err", err)
		}
		if err := s.watchCaseData(); err != nil {
			s.log.Error("H5 case views are read uncached", "err", err)
		} else {
			s.caseCache = &caseCache{entries: map[caseKey]caseEntry{}}
		}
	}
	return s
}

// DB exposes the database to the wiring code (health checks, workers).
func (s *Service) DB() *gorm.DB { return s.db }

// Cache exposes the shared cache to the wiring code.
func (s *Service) Cache() cache.Store { return s.cache }

// Sealer exposes the personal-data sealer to the wiring code.
func (s *Service) Sealer() *secure.Sealer { return s.sealer }

// Now is the service clock, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Location is the office's time zone.
func (s *Service) Location() *time.Location { return s.opt.Location }

// txAttempts bounds how often tx runs a use case whose transaction lost a
// lock conflict (deadlock or lock-wait timeout).
const txAttempts = 4

// tx runs fn in one transaction; once it is committed, a write to case
// data gives it a new version (see casecache.go). A transaction the
// database gave up on because of a lock conflict is run again, after a
// short random pause so the transactions that clashed do not meet again:
// this is the one place every use case gets that retry from.
func (s *Service) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	for attempt := 1; ; attempt++ {
		changes := &txChanges{}
		err := s.db.WithContext(context.WithValue(ctx, txChangesKey{}, changes)).Transaction(fn)
		if err == nil {
			for _, changed := range changes.services {
				changed.caseDataChanged(ctx)
			}
			return nil
		}
		if attempt == txAttempts || !model.IsLockConflict(err) {
			return err
		}
		s.log.Warn("transaction retried after a lock conflict", "attempt", attempt, "err", err)
		if err := pauseBeforeRetry(ctx, attempt); err != nil {
			return err
		}
	}
}

// pauseBeforeRetry waits a random time below 10 ms × 2^attempt (full
// jitter), or until ctx ends.
func pauseBeforeRetry(ctx context.Context, attempt int) error {
	pause := rand.N(10 * time.Millisecond << attempt)
	timer := time.NewTimer(pause)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// notFoundIf turns gorm's record-not-found into the domain's one 404.
func notFoundIf(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return model.ErrNotFound
	}
	return err
}

// Actor is the staff member (or system) on whose behalf a use case runs.
type Actor struct {
	StaffID uint64
	Name    string
	Role    string
	IP      string
	// UnitID is the staff member's unit (0 for the system).
	UnitID uint64
	// Scope is the units the actor may act on (see scope.go).
	Scope Scope
}

// System is the actor for the case-system integration and background jobs.
var System = Actor{Name: "system", Scope: AllUnits}

// audit writes an audit row inside tx.
func (s *Service) audit(tx *gorm.DB, a Actor, action, target, detail string) error {
	row := model.AuditLog{ActorName: a.Name, UnitID: a.UnitID, Action: action, Target: target, IP: a.IP, At: s.Now(), Detail: detail}
	if a.StaffID != 0 {
		id := a.StaffID
		row.ActorID = &id
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("audit %s %s: %w", action, target, err)
	}
	markAudited(tx.Statement.Context)
	return nil
}

// Audit writes an audit row on its own, for events outside a use case
// transaction (logins, reads of personal data).
func (s *Service) Audit(ctx context.Context, a Actor, action, target, detail string) error {
	return s.audit(s.db.WithContext(ctx), a, action, target, detail)
}
