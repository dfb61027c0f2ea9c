package service

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"zsjc/model"
)

// auditTrackerKey carries an *AuditTracker in a request's context.
type auditTrackerKey struct{}

// AuditTracker records whether a request wrote an audit row, so the HTTP
// layer can write a fallback row for a staff write whose use case did not.
type AuditTracker struct{ written atomic.Bool }

// TrackAudit returns ctx carrying a fresh tracker.
func TrackAudit(ctx context.Context) (context.Context, *AuditTracker) {
	t := &AuditTracker{}
	return context.WithValue(ctx, auditTrackerKey{}, t), t
}

// Written reports whether an audit row was written under the tracker.
func (t *AuditTracker) Written() bool { return t.written.Load() }

// markAudited notes on ctx's tracker, if any, that an audit row was written.
func markAudited(ctx context.Context) {
	if ctx == nil {
		return
	}
	if t, ok := ctx.Value(auditTrackerKey{}).(*AuditTracker); ok {
		t.written.Store(true)
	}
}

// AuditQuery filters the audit log. Zero fields do not filter.
type AuditQuery struct {
	Actor  string
	Action string
	Target string
	From   time.Time // inclusive
	To     time.Time // exclusive
	Paging
}

// AuditLog lists the audit rows in the actor's scope matching q, newest
// first. A row belongs to the acting staff member's unit; rows of the
// system (integration, import, CLI) are for top-level units' staff.
func (s *Service) AuditLog(ctx context.Context, a Actor, q AuditQuery) (Page[model.AuditLog], error) {
	db := a.Scope.where(s.db.WithContext(ctx).Model(&model.AuditLog{}), "unit_id")
	if a := strings.TrimSpace(q.Actor); a != "" {
		db = db.Where("actor_name = ?", a)
	}
	if a := strings.TrimSpace(q.Action); a != "" {
		db = db.Where("action = ?", a)
	}
	if t := strings.TrimSpace(q.Target); t != "" {
		db = db.Where("target = ?", t)
	}
	if !q.From.IsZero() {
		db = db.Where("at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		db = db.Where("at < ?", q.To.UTC())
	}
	return pageOf[model.AuditLog](db, q.Paging, "id DESC", "audit log")
}
