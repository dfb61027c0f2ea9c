// Package push delivers the outbox: every instance runs a Worker that
// claims due rows of model.PushMessage under a lease, hands each to the
// sender of its channel (WeChat template messages here; SMS and others
// plugged in through Options.Channels) with bounded concurrency, and
// records the outcome with a guarded update. Use cases only write rows
// (service.enqueue) in their own transactions; nothing is sent from inside
// a request.
//
// Exactly-once display rests on two facts: a row's client_msg_id never
// changes, and the provider drops a second send with it (WeChat does; the
// SMS sender asks the provider before sending a row again). So a row may
// be sent more than once (the instance died between the provider's answer
// and its commit, its lease expired and another instance took the row
// over) but is shown once.
package push

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/wechat"
)

// Sender sends one template message and returns WeChat's msgid;
// *wechat.Client is one. Platform refusals are errors with an ErrCode.
type Sender interface {
	SendTemplate(ctx context.Context, m wechat.TemplateMessage) (int64, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m wechat.TemplateMessage) (int64, error)

// SendTemplate calls f.
func (f SenderFunc) SendTemplate(ctx context.Context, m wechat.TemplateMessage) (int64, error) {
	return f(ctx, m)
}

// WeChat errcodes the worker treats specially.
const (
	ErrcodeInvalidOpenID   = 40003 // not an openid of this account
	ErrcodeNotSubscribed   = 43004 // the user does not follow the account
	ErrcodeBadTemplateData = 47003 // template data does not fit the template
	ErrcodeQuota           = 45009 // daily API quota used up
)

// finalErrcodes fail a push at once: sending it again cannot succeed.
var finalErrcodes = map[int]bool{
	ErrcodeInvalidOpenID: true, ErrcodeBadTemplateData: true,
}

// Options tune a Worker; zero values take the defaults.
type Options struct {
	// Owner names this instance in leases (default: host, pid and a random
	// suffix).
	Owner string
	// Concurrency bounds the sends in flight (default 8).
	Concurrency int
	// MaxAttempts is how many sends a push gets before it fails (default 8).
	MaxAttempts int
	// Lease is how long a claimed push belongs to this instance; after it
	// another instance may take the push over (default 1 min). It must
	// exceed SendTimeout plus the time to record the outcome.
	Lease time.Duration
	// SendTimeout bounds one send call (default 15 s).
	SendTimeout time.Duration
	// Poll is the wait before looking again when nothing was due (default 1 s).
	Poll    time.Duration
	Backoff Backoff
	// Templates per push kind (default DefaultTemplates()).
	Templates map[string]Template
	// PublicURL makes message links absolute.
	PublicURL string
	// Location is the office's time zone; a quota pause ends at its midnight.
	Location *time.Location
	Now      func() time.Time
	// Jitter returns a number in [0,1) (default math/rand).
	Jitter func() float64
	// Deliveries applies a delivery report that WeChat sent before the
	// push was marked sent (nil: none are kept).
	Deliveries EarlyDeliveries
	// Channels are the senders of the channels other than
	// wechat_template, which the worker builds from its Sender and
	// Templates; a row of a channel without a sender fails.
	Channels map[string]ChannelSender
	// Fallback picks the channel of a push whose recipient turned out not
	// to follow the account (nil: none; the push is unreachable).
	Fallback Fallback
	// Quota plans the day's template sends (model.QuotaPlan); zero values
	// take the defaults.
	Quota model.QuotaPlan
	// Subscribe sends subscribe notices (rows of channel wechat_subscribe;
	// nil: such rows fall back to template messages).
	Subscribe SubscribeSender
	// TemplateFields lists the fields of the account's templates by id, as
	// the platform has them (nil: not checked); see checkTemplateFields.
	TemplateFields func(ctx context.Context) (map[string][]string, error)
}

// Fallback names the channel a push goes on when its recipient cannot get
// it on its own channel, or "" when there is none (service.Service is one).
type Fallback interface {
	FallbackChannel(ctx context.Context, row model.PushMessage) (string, error)
}

// EarlyDeliveries applies a delivery report kept for a push that had not
// yet been recorded as sent when WeChat reported it.
type EarlyDeliveries interface {
	ApplyEarlyDelivery(ctx context.Context, wechatMsgID int64) error
}

func (o *Options) defaults() {
	if o.Owner == "" {
		host, _ := os.Hostname()
		if len(host) > 24 {
			host = host[:24]
		}
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.Concurrency < 1 {
		o.Concurrency = 8
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 8
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 15 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Backoff == (Backoff{}) {
		o.Backoff = DefaultBackoff
	}
	if o.Templates == nil {
		o.Templates = DefaultTemplates()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = mrand.Float64
	}
	o.Quota = o.Quota.WithDefaults()
}

// Worker sends the outbox of one instance.
type Worker struct {
	db      *gorm.DB
	cache   cache.Store
	metrics *Metrics
	log     *slog.Logger
	opt     Options
	senders map[string]ChannelSender
	render  renderer
	claims  atomic.Uint64
	// leaseScan is when claim last looked for expired leases (unix ns,
	// machine clock).
	leaseScan atomic.Int64
	commits   committer
}

// New returns a worker; Run starts it.
func New(db *gorm.DB, store cache.Store, sender Sender, m *Metrics, log *slog.Logger, opt Options) *Worker {
	opt.defaults()
	if log == nil {
		log = slog.Default()
	}
	r := renderer{templates: opt.Templates, publicURL: opt.PublicURL}
	senders := map[string]ChannelSender{
		model.ChannelWeChatTemplate:  templateSender{sender: sender, render: r},
		model.ChannelWeChatSubscribe: subscribeSender{render: r, api: opt.Subscribe, db: db, log: log},
	}
	maps.Copy(senders, opt.Channels)
	return &Worker{db: db, cache: store, metrics: m, log: log, opt: opt, senders: senders, render: r}
}

func (w *Worker) now() time.Time { return w.opt.Now().UTC() }

// Run claims and sends due pushes until ctx ends, then waits for the sends
// in flight: they finish with their own timeout and record their outcome,
// so a graceful stop leaves no lease behind.
func (w *Worker) Run(ctx context.Context) {
	slots := make(chan struct{}, w.opt.Concurrency)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	inFlight.Go(func() { w.checkTemplateFields(ctx) })
	for ctx.Err() == nil {
		if until, paused := w.quotaPausedUntil(ctx); paused {
			w.metrics.paused.Set(1)
			sleep(ctx, min(w.opt.Poll, until.Sub(w.now())))
			continue
		}
		w.metrics.paused.Set(0)
		n := acquire(ctx, slots)
		if n == 0 {
			return
		}
		rows, err := w.claim(ctx, n)
		for range n - len(rows) {
			<-slots
		}
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("claim pushes", "err", err)
			}
			sleep(ctx, w.opt.Poll)
			continue
		}
		if len(rows) == 0 {
			sleep(ctx, w.opt.Poll)
			continue
		}
		for _, c := range rows {
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				defer func() { <-slots }()
				w.deliver(context.WithoutCancel(ctx), c)
			}()
		}
	}
}

// acquire waits for one free send slot, then takes every other free one
// without waiting: the claim fetches as many rows as can start now, so no
// claimed row waits for a slot while its lease runs. 0 means ctx ended.
func acquire(ctx context.Context, slots chan struct{}) int {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < cap(slots) {
		select {
		case slots <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// claimed is a push this instance holds a lease on; lease is the row's
// lease_owner, unique per claim, which every later update must still match.
type claimed struct {
	row   model.PushMessage
	lease string
}

// claim leases up to n due pushes: queued ones whose next attempt is due,
// and pushes in "sending" whose lease expired (their instance died). While
// a push is leased, next_attempt_at holds the lease's end, so one index
// serves both. Each claim counts as an attempt, so a push that crashes its
// sender cannot loop forever.
func (w *Worker) claim(ctx context.Context, n int) ([]claimed, error) {
	now := w.now()
	until := now.Add(w.opt.Lease)
	lease := fmt.Sprintf("%s:%d", w.opt.Owner, w.claims.Add(1))
	var rows []model.PushMessage
	err := w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if rows, err = w.dueRows(tx, now, n); err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]uint64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		res := tx.Model(&model.PushMessage{}).
			Where("id IN ? AND status IN ? AND next_attempt_at <= ?", ids, claimable, now).
			Updates(map[string]any{
				"status": model.StatusSending, "lease_owner": lease, "lease_until": until,
				"next_attempt_at": until, "attempts": gorm.Expr("attempts + 1"), "updated_at": now,
			})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(rows)) { // not with the rows locked or the one SQLite connection
			return tx.Where("id IN ? AND lease_owner = ?", ids, lease).Find(&rows).Error
		}
		for i := range rows {
			r := &rows[i]
			r.Status, r.LeaseOwner, r.LeaseUntil, r.NextAttemptAt = model.StatusSending, lease, &until, until
			r.Attempts++
		}
		return nil
	}, w.claimTxOptions())
	if err != nil {
		return nil, fmt.Errorf("claim %d pushes: %w", n, err)
	}
	out := make([]claimed, len(rows))
	for i, r := range rows {
		out[i] = claimed{row: r, lease: lease}
	}
	return out, nil
}

// claimable are the states a due push is claimed from.
var claimable = []model.Status{model.StatusSending, model.StatusQueued}

// dueRows picks the rows to claim: expired leases first (they have waited
// longest), looked for at most once per Poll since they are rare, then
// queued pushes in due order. On MySQL the rows stay locked until the claim
// commits and rows locked by another instance's claim are skipped; SQLite's
// single connection already serialises claims.
func (w *Worker) dueRows(tx *gorm.DB, now time.Time, n int) ([]model.PushMessage, error) {
	states := claimable
	// Paced by the machine's clock: the business clock may stand still in tests.
	if last := w.leaseScan.Load(); last != 0 && time.Since(time.Unix(0, last)) < w.opt.Poll {
		states = []model.Status{model.StatusQueued}
	} else {
		w.leaseScan.Store(time.Now().UnixNano())
	}
	var rows []model.PushMessage
	for _, st := range states {
		if len(rows) == n {
			break
		}
		q := tx.Where("status = ? AND next_attempt_at <= ?", st, now).Order("next_attempt_at").Limit(n - len(rows))
		if model.IsMySQL(tx) {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked})
		}
		var got []model.PushMessage
		if err := q.Find(&got).Error; err != nil {
			return nil, err
		}
		rows = append(rows, got...)
	}
	return rows, nil
}

// claimTxOptions runs MySQL claims in READ COMMITTED, where FOR UPDATE
// locks the rows it returns and no gaps, so claims do not block the use
// cases inserting new pushes.
func (w *Worker) claimTxOptions() *sql.TxOptions {
	if model.IsMySQL(w.db) {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

// deliver sends one claimed push on its channel and records the outcome.
func (w *Worker) deliver(ctx context.Context, c claimed) {
	sender, ok := w.senders[c.row.Channel]
	if !ok {
		w.fail(ctx, c, "channel", fmt.Errorf("no sender for channel %q", c.row.Channel))
		return
	}
	if until, held := w.quotaHold(ctx, c); held {
		w.holdToNextDay(ctx, c, until, "quota", errQuotaReserved)
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, w.opt.SendTimeout)
	start := time.Now()
	receipt, err := sender.Send(sendCtx, &c.row)
	w.metrics.latency.Observe(time.Since(start).Seconds())
	cancel()
	if err == nil {
		w.markSent(ctx, c, receipt)
		return
	}
	class, code := classify(err)
	switch class {
	case Final:
		w.fail(ctx, c, code, err)
	case NotFollowing:
		w.markUnfollowed(ctx, c.row.OpenID)
		w.fallBack(ctx, c, code, err)
	case NoRecipient:
		w.fallBack(ctx, c, code, err)
	case QuotaExhausted:
		w.pauseForQuota(ctx, c, err)
	case HoldToNextDay:
		w.holdToNextDay(ctx, c, model.NextOfficeDay(w.now(), w.opt.Location), code, err)
	default:
		w.retryLater(ctx, c, code, err)
	}
}

func (w *Worker) markSent(ctx context.Context, c claimed, r Receipt) {
	now := w.now()
	updates := map[string]any{"status": model.StatusSent, "sent_at": now, "last_error": ""}
	if r.WeChatMsgID != 0 {
		updates["we_chat_msg_id"] = r.WeChatMsgID
	}
	if r.ProviderMsgID != "" {
		updates["provider_msg_id"] = r.ProviderMsgID
	}
	if w.release(ctx, c, updates) {
		w.metrics.count(c.row.Channel, c.row.Kind, ResultSent, "0")
		if w.opt.Deliveries != nil && r.WeChatMsgID != 0 {
			if err := w.opt.Deliveries.ApplyEarlyDelivery(ctx, r.WeChatMsgID); err != nil {
				w.log.Warn("apply early delivery report", "push_id", c.row.ID, "err", err)
			}
		}
	}
}

// fallBack moves a push whose recipient cannot get it on its channel (does
// not follow the account, has no phone number) to the fallback channel, for an immediate send that does not count as an
// attempt, or records it unreachable when there is none.
func (w *Worker) fallBack(ctx context.Context, c claimed, code string, cause error) {
	channel := ""
	var se *SendError
	if errors.As(cause, &se) && se.Next != "" {
		channel = se.Next
	} else if w.opt.Fallback != nil {
		var err error
		if channel, err = w.opt.Fallback.FallbackChannel(ctx, c.row); err != nil {
			w.retryLater(ctx, c, code, fmt.Errorf("pick a fallback channel: %w (after %w)", err, cause))
			return
		}
	}
	if channel == "" || channel == c.row.Channel {
		if w.release(ctx, c, map[string]any{"status": model.StatusUnreachable, "last_error": errorText(cause)}) {
			w.metrics.count(c.row.Channel, c.row.Kind, ResultFail, code)
		}
		return
	}
	if w.release(ctx, c, map[string]any{
		"status": model.StatusQueued, "channel": channel, "next_attempt_at": w.now(),
		"attempts": c.row.Attempts - 1, "last_error": errorText(cause),
	}) {
		w.metrics.count(c.row.Channel, c.row.Kind, ResultRetry, code)
	}
}

// markUnfollowed records the platform's answer that openid does not follow
// the account, so no more pushes are queued to it until it follows again
// (the subscribe event clears the mark).
func (w *Worker) markUnfollowed(ctx context.Context, openid string) {
	now := w.now()
	err := w.db.WithContext(ctx).Model(&model.WeChatUser{}).
		Where("open_id = ? AND (subscribed = ? OR unsubscribed_at IS NULL)", openid, true).
		Updates(map[string]any{"subscribed": false, "unsubscribed_at": now, "updated_at": now}).Error
	if err != nil {
		w.log.Warn("record unfollowed recipient", "err", err)
	}
}

// fail ends a push that cannot succeed.
func (w *Worker) fail(ctx context.Context, c claimed, code string, cause error) {
	if w.release(ctx, c, map[string]any{"status": model.StatusFailed, "last_error": errorText(cause)}) {
		w.metrics.count(c.row.Channel, c.row.Kind, ResultFail, code)
		w.log.Warn("push failed", "push_id", c.row.ID, "kind", c.row.Kind, "attempts", c.row.Attempts, "err", cause)
	}
}

// retryLater queues the push again after the backoff, or fails it when
// its attempts are used up.
func (w *Worker) retryLater(ctx context.Context, c claimed, code string, cause error) {
	if c.row.Attempts >= w.opt.MaxAttempts {
		w.fail(ctx, c, code, fmt.Errorf("gave up after %d attempts: %w", c.row.Attempts, cause))
		return
	}
	next := w.now().Add(w.opt.Backoff.Delay(c.row.Attempts, w.opt.Jitter()))
	if w.release(ctx, c, map[string]any{
		"status": model.StatusQueued, "next_attempt_at": next, "last_error": errorText(cause),
	}) {
		w.metrics.count(c.row.Channel, c.row.Kind, ResultRetry, code)
		w.log.Info("push will be retried", "push_id", c.row.ID, "attempts", c.row.Attempts, "next_attempt_at", next, "err", cause)
	}
}

// errorText fits an error into last_error (512 bytes), dropping a
// character cut in half.
func errorText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}
