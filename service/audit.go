package service

import (
	"context"
	"fmt"
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
	// Page counts from 1; PageSize is capped at MaxAuditPageSize.
	Page     int
	PageSize int
}

// Audit log paging.
const (
	DefaultAuditPageSize = 50
	MaxAuditPageSize     = 200
)

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Items    []model.AuditLog `json:"items"`
	Total    int64            `json:"total"`
	Page     int              `json:"page"`
	PageSize int              `json:"page_size"`
}

// AuditLog lists audit rows matching q, newest first.
func (s *Service) AuditLog(ctx context.Context, q AuditQuery) (AuditPage, error) {
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PageSize < 1 {
		q.PageSize = DefaultAuditPageSize
	}
	q.PageSize = min(q.PageSize, MaxAuditPageSize)
	db := s.db.WithContext(ctx).Model(&model.AuditLog{})
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
	page := AuditPage{Items: []model.AuditLog{}, Page: q.Page, PageSize: q.PageSize}
	if err := db.Count(&page.Total).Error; err != nil {
		return AuditPage{}, fmt.Errorf("count audit log: %w", err)
	}
	err := db.Order("id DESC").Limit(q.PageSize).Offset((q.Page - 1) * q.PageSize).Find(&page.Items).Error
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit log: %w", err)
	}
	return page, nil
}
