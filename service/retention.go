package service

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// RetentionDays is how long each kind of record is kept (see config).
type RetentionDays struct {
	Audit, Uploads, Pushes, Callbacks int
}

// RetentionReport counts what a retention pass removed (or, dry, would).
type RetentionReport struct {
	Uploads   int64 `json:"uploads"`
	Pushes    int64 `json:"pushes"`
	Callbacks int64 `json:"callbacks"`
	Audit     int64 `json:"audit"`
	Consents  int64 `json:"consents"`
	// EfileFiles are online file review PDFs of requests that ended.
	EfileFiles int64 `json:"efile_files"`
}

// ConsentProofYears is how long a consent record is kept after it ended
// (withdrawn, renewed, account deleted): the proof of what was agreed,
// kept like the records of processing of PIPL art. 56 (three years).
const ConsentProofYears = 3

// retentionBatch bounds each DELETE, so a first pass over years of rows
// never holds long locks.
const retentionBatch = 500

// retentionRule is one kind of record that ages out.
type retentionRule struct {
	row   any // the model
	count func(r *RetentionReport) *int64
	// expired selects the rows past their period; pk is their key column,
	// "id" (a number) or "key" (a string).
	expired func(db *gorm.DB, now time.Time) *gorm.DB
	pk      string
	// before runs on a batch of keys before the rows go (files, links).
	before func(ctx context.Context, s *Service, tx *gorm.DB, keys []any) error
}

func (s *Service) retentionRules() []retentionRule {
	days := s.opt.Retention
	cutoff := func(now time.Time, d int) time.Time { return now.AddDate(0, 0, -d) }
	return []retentionRule{
		uploadRetention().expiring(func(db *gorm.DB, now time.Time) *gorm.DB {
			// Uploads past their period, unless a live binding, or one that
			// ended within the period, still holds them as its material, or
			// they are attached to a complaint not resolved, or resolved
			// within the period.
			c := cutoff(now, days.Uploads)
			held := db.Table("binding_materials").Select("binding_materials.upload_id").
				Joins("JOIN bindings ON bindings.id = binding_materials.binding_id").
				Where("bindings.status IN ? OR bindings.updated_at >= ?", []model.Status{model.StatusPending, model.StatusApproved}, c)
			attached := db.Table("complaint_attachments").Select("complaint_attachments.upload_id").
				Joins("JOIN complaints ON complaints.id = complaint_attachments.complaint_id").
				Where("complaints.status <> ? OR complaints.updated_at >= ?", model.StatusResolved, c)
			return db.Model(&model.Upload{}).Where("created_at < ? AND id NOT IN (?) AND id NOT IN (?)", c, held, attached)
		}),
		{
			// The PDFs of an online file review that ended (rejected,
			// expired, cancelled) before the uploads period: the file goes
			// first, then the row; the download log keeps the file's name.
			row:   &model.EfileFile{},
			count: func(r *RetentionReport) *int64 { return &r.EfileFiles },
			pk:    "id",
			expired: func(db *gorm.DB, now time.Time) *gorm.DB {
				ended := db.Model(&model.EfileRequest{}).Select("id").
					Where("status IN ? AND updated_at < ?", []model.Status{model.StatusRejected, model.StatusExpired, model.StatusCancelled},
						cutoff(now, days.Uploads))
				return db.Model(&model.EfileFile{}).Where("request_id IN (?)", ended)
			},
			before: func(ctx context.Context, s *Service, tx *gorm.DB, ids []any) error {
				var keys []string
				if err := tx.Model(&model.EfileFile{}).Where("id IN ?", ids).Pluck("file_key", &keys).Error; err != nil {
					return err
				}
				return s.deleteFiles(ctx, keys)
			},
		},
		{
			row:   &model.PushMessage{},
			count: func(r *RetentionReport) *int64 { return &r.Pushes },
			pk:    "id",
			expired: func(db *gorm.DB, now time.Time) *gorm.DB {
				return db.Model(&model.PushMessage{}).Where("status IN ? AND created_at < ?",
					[]model.Status{model.StatusSent, model.StatusDelivered, model.StatusFailed, model.StatusUnreachable}, cutoff(now, days.Pushes))
			},
		},
		{
			row:   &model.WeChatCallback{},
			count: func(r *RetentionReport) *int64 { return &r.Callbacks },
			pk:    "key",
			expired: func(db *gorm.DB, now time.Time) *gorm.DB {
				return db.Model(&model.WeChatCallback{}).Where("created_at < ?", cutoff(now, days.Callbacks))
			},
		},
		{
			row:   &model.AuditLog{},
			count: func(r *RetentionReport) *int64 { return &r.Audit },
			pk:    "id",
			expired: func(db *gorm.DB, now time.Time) *gorm.DB {
				return db.Model(&model.AuditLog{}).Where("at < ?", cutoff(now, days.Audit))
			},
		},
		{
			row:   &model.Consent{},
			count: func(r *RetentionReport) *int64 { return &r.Consents },
			pk:    "id",
			expired: func(db *gorm.DB, now time.Time) *gorm.DB {
				return db.Model(&model.Consent{}).Where("ended_at < ?", now.AddDate(-ConsentProofYears, 0, 0))
			},
		},
	}
}

// uploadRetention is how uploads are removed, by retention and by erasure
// (privacy.go): the file goes first — a row without its file is harmless,
// a file without its row would be personal data nobody knows of —, then
// the material links, then the row.
func uploadRetention() retentionRule {
	return retentionRule{
		row:   &model.Upload{},
		count: func(r *RetentionReport) *int64 { return &r.Uploads },
		pk:    "id",
		before: func(ctx context.Context, s *Service, tx *gorm.DB, ids []any) error {
			var keys []string
			if err := tx.Model(&model.Upload{}).Where("id IN ?", ids).Pluck("file_key", &keys).Error; err != nil {
				return err
			}
			if err := s.deleteFiles(ctx, keys); err != nil {
				return err
			}
			if err := tx.Where("upload_id IN ?", ids).Delete(&model.ComplaintAttachment{}).Error; err != nil {
				return err
			}
			return tx.Where("upload_id IN ?", ids).Delete(&model.BindingMaterial{}).Error
		},
	}
}

// deleteFiles removes stored files by key.
func (s *Service) deleteFiles(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := s.files.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete file: %w", err)
		}
	}
	return nil
}

// expiring is r with its selection of expired rows.
func (r retentionRule) expiring(expired func(db *gorm.DB, now time.Time) *gorm.DB) retentionRule {
	r.expired = expired
	return r
}

// ApplyRetention removes every record past its retention period (dry:
// only counts them). Safe to run on several instances at once: each batch
// deletes by key what it selected, and a row already gone is skipped.
func (s *Service) ApplyRetention(ctx context.Context, dry bool) (RetentionReport, error) {
	var rep RetentionReport
	now := s.Now()
	db := s.db.WithContext(ctx)
	for _, rule := range s.retentionRules() {
		n := rule.count(&rep)
		if dry {
			if err := rule.expired(db, now).Count(n).Error; err != nil {
				return rep, fmt.Errorf("retention: count: %w", err)
			}
			continue
		}
		removed, err := s.deleteInBatches(ctx, rule, func(db *gorm.DB) *gorm.DB { return rule.expired(db, now) })
		*n += removed
		if err != nil {
			return rep, fmt.Errorf("retention: %w", err)
		}
	}
	return rep, nil
}

// deleteInBatches deletes the rows of rule's table that selected picks, in
// batches by key, each batch in its own transaction after rule.before; it
// returns how many went.
func (s *Service) deleteInBatches(ctx context.Context, rule retentionRule, selected func(db *gorm.DB) *gorm.DB) (int64, error) {
	var n int64
	db := s.db.WithContext(ctx)
	for {
		keys, err := pluckKeys(selected(db).Order(clause.OrderByColumn{Column: clause.Column{Name: rule.pk}}).Limit(retentionBatch), rule.pk)
		if err != nil {
			return n, fmt.Errorf("select: %w", err)
		}
		if len(keys) == 0 {
			return n, nil
		}
		err = s.tx(ctx, func(tx *gorm.DB) error {
			if rule.before != nil {
				if err := rule.before(ctx, s, tx, keys); err != nil {
					return err
				}
			}
			r := tx.Where(clause.IN{Column: clause.Column{Name: rule.pk}, Values: keys}).Delete(rule.row)
			n += r.RowsAffected
			return r.Error
		})
		if err != nil {
			return n, fmt.Errorf("delete: %w", err)
		}
	}
}

// pluckKeys reads the key column pk ("id" or "key") of q's rows.
func pluckKeys(q *gorm.DB, pk string) ([]any, error) {
	var out []any
	if pk == "id" {
		var ids []uint64
		err := q.Pluck(pk, &ids).Error
		for _, id := range ids {
			out = append(out, id)
		}
		return out, err
	}
	var keys []string
	err := q.Pluck(pk, &keys).Error
	for _, k := range keys {
		out = append(out, k)
	}
	return out, err
}

// retentionClaimKey names the day's retention pass in the shared cache.
func retentionClaimKey(day string) string { return "retention:" + day }

// RunRetention applies retention once a day (office time) across the
// fleet: every instance checks hourly, the first to claim the day runs it.
func (s *Service) RunRetention(ctx context.Context, every time.Duration) {
	s.runEvery(ctx, every, func(ctx context.Context) {
		if rep, ran, err := s.RetentionDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retention pass failed", "err", err)
		} else if ran {
			s.log.Info("retention pass", "uploads", rep.Uploads, "pushes", rep.Pushes, "callbacks", rep.Callbacks, "audit", rep.Audit,
				"consents", rep.Consents, "efile_files", rep.EfileFiles)
		}
	})
}

// runEvery runs fn now and then every interval until ctx ends.
func (s *Service) runEvery(ctx context.Context, every time.Duration, fn func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RetentionDue runs today's retention pass unless another instance has
// claimed it; it reports whether this call ran it. A failed pass releases
// the claim so the next check retries.
func (s *Service) RetentionDue(ctx context.Context) (RetentionReport, bool, error) {
	key := retentionClaimKey(s.today().Format(model.DateLayout))
	claimed, err := s.cache.SetNX(ctx, key, "1", 26*time.Hour)
	if err != nil || !claimed {
		return RetentionReport{}, false, err
	}
	rep, err := s.ApplyRetention(ctx, false)
	if err != nil {
		_ = s.cache.Del(context.WithoutCancel(ctx), key)
		return rep, true, err
	}
	return rep, true, nil
}
