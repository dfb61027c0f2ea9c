package push

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// outcome is the result of one send, waiting to be written.
type outcome struct {
	c       claimed
	updates map[string]any
	// held receives whether the row was still ours and took the updates.
	held chan bool
}

// committer groups the outcomes of concurrent sends (group commit): the
// first sender to arrive writes every outcome queued meanwhile in one
// transaction, the others wait for it. One transaction of two statements
// per group instead of one per push is what lets the outbox keep up with
// dozens of sends in flight.
type committer struct {
	mu      sync.Mutex
	pending []*outcome
	writing bool
}

// release applies updates to a push this instance still holds, clearing
// its lease, and reports whether it did. A lease lost meanwhile (it expired
// and another instance took the push over) leaves the row to that
// instance; a failed write leaves the lease to expire, and the push is sent
// again under the same client_msg_id.
func (w *Worker) release(ctx context.Context, c claimed, updates map[string]any) bool {
	updates["lease_owner"] = ""
	updates["lease_until"] = nil
	updates["updated_at"] = w.now()
	o := &outcome{c: c, updates: updates, held: make(chan bool, 1)}
	g := &w.commits
	g.mu.Lock()
	g.pending = append(g.pending, o)
	if !g.writing {
		g.writing = true
		for len(g.pending) > 0 {
			batch := g.pending
			g.pending = nil
			g.mu.Unlock()
			w.writeOutcomes(ctx, batch)
			g.mu.Lock()
		}
		g.writing = false
	}
	g.mu.Unlock()
	return <-o.held
}

// writeOutcomes writes a group in one transaction: it locks the group's
// rows, keeps those still "sending" under the lease that claimed them (the
// guard), and updates those with one UPDATE … CASE.
func (w *Worker) writeOutcomes(ctx context.Context, batch []*outcome) {
	held := make([]bool, len(batch))
	err := w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]uint64, len(batch))
		for i, o := range batch {
			ids[i] = o.c.row.ID
		}
		q := tx.Model(&model.PushMessage{}).Select("id", "lease_owner").
			Where("id IN ? AND status = ?", ids, model.StatusSending)
		if model.IsMySQL(tx) {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
		}
		var current []model.PushMessage
		if err := q.Find(&current).Error; err != nil {
			return err
		}
		leases := make(map[uint64]string, len(current))
		for _, r := range current {
			leases[r.ID] = r.LeaseOwner
		}
		var mine []*outcome
		for i, o := range batch {
			if leases[o.c.row.ID] == o.c.lease {
				held[i] = true
				mine = append(mine, o)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		stmt, args := updateEach(mine)
		return tx.Exec(stmt, args...).Error
	})
	for i, o := range batch {
		switch {
		case err != nil:
			w.log.Error("record push outcome", "push_id", o.c.row.ID, "status", o.updates["status"], "err", err)
		case !held[i]:
			w.log.Warn("push lease lost before its outcome was recorded; another instance owns it",
				"push_id", o.c.row.ID, "status", o.updates["status"])
		}
		o.held <- held[i] && err == nil
	}
}

// updateEach builds one UPDATE giving each outcome's row its own values:
// SET col = CASE id WHEN 1 THEN ? WHEN 2 THEN ? ELSE col END, … WHERE id IN (…).
// The column names come from this package's own update maps.
func updateEach(outcomes []*outcome) (string, []any) {
	columns := map[string]bool{}
	for _, o := range outcomes {
		for col := range o.updates {
			columns[col] = true
		}
	}
	var b strings.Builder
	var args []any
	b.WriteString("UPDATE push_messages SET ")
	for i, col := range slices.Sorted(maps.Keys(columns)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col + " = CASE id")
		for _, o := range outcomes {
			if v, ok := o.updates[col]; ok {
				b.WriteString(" WHEN ? THEN ?")
				args = append(args, o.c.row.ID, v)
			}
		}
		b.WriteString(" ELSE " + col + " END")
	}
	b.WriteString(" WHERE id IN ?")
	ids := make([]uint64, len(outcomes))
	for i, o := range outcomes {
		ids[i] = o.c.row.ID
	}
	return b.String(), append(args, ids)
}
