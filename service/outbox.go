package service

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
)

// Push is one message to queue: what happened (Cause, unique per event, e.g.
// "event:42"), to whom, and the values the template shows.
type Push struct {
	OpenID string
	Kind   string
	Cause  string
	Data   map[string]string
	// Path is the H5 page the message links to ("/h5/cases/7").
	Path string
	// NotBefore delays the first attempt (reminders); zero means now.
	NotBefore time.Time
	// UnitID is the unit of the case the push is about; staff see the
	// pushes of their scope, and enqueue names the unit in the data
	// ("unit"), so every push says which 院 writes.
	UnitID uint64
}

// ClientMsgID derives WeChat's idempotency key from the dedup key, so it is
// fixed for the life of the row.
func ClientMsgID(dedupKey string) string {
	sum := sha256.Sum256([]byte(dedupKey))
	return hex.EncodeToString(sum[:16])
}

// enqueue writes outbox rows inside tx. A row whose cause and recipient were
// already queued is skipped, so replaying a cause never pushes twice. Each
// row gets its channel here (reachability.go); a push no channel can carry
// is recorded unreachable, not queued.
func (s *Service) enqueue(tx *gorm.DB, pushes ...Push) error {
	if len(pushes) == 0 {
		return nil
	}
	now := s.Now()
	openids := make([]string, len(pushes))
	for i, p := range pushes {
		openids[i] = p.OpenID
	}
	reaches, err := s.reachOf(tx, openids)
	if err != nil {
		return err
	}
	rows := make([]model.PushMessage, 0, len(pushes))
	unitIDs := make([]uint64, len(pushes))
	for i, p := range pushes {
		unitIDs[i] = p.UnitID
	}
	names, err := unitNames(tx, unitIDs)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", pushes[0].Cause, err)
	}
	for _, p := range pushes {
		if name, ok := names[p.UnitID]; ok {
			p.Data = maps.Clone(p.Data)
			if p.Data == nil {
				p.Data = map[string]string{}
			}
			p.Data["unit"] = name
		}
		data, err := json.Marshal(p.Data)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", p.Cause, err)
		}
		due := now
		if !p.NotBefore.IsZero() {
			due = p.NotBefore.UTC()
		}
		key := p.Cause + ":" + p.OpenID
		row := model.PushMessage{
			OpenID: p.OpenID, Kind: p.Kind, UnitID: p.UnitID, DedupKey: key, ClientMsgID: ClientMsgID(key),
			Data: string(data), URL: p.Path, Status: model.StatusQueued, NextAttemptAt: due,
			Channel: routeOf(reaches[p.OpenID], p.Kind, s.opt.SMSKinds),
		}
		if row.Channel == "" {
			row.Channel, row.Status, row.LastError = model.ChannelWeChatTemplate, model.StatusUnreachable, reasonUnreachable
		}
		rows = append(rows, row)
	}
	if err := s.routeWeChat(tx, rows); err != nil {
		return fmt.Errorf("enqueue %s: %w", pushes[0].Cause, err)
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200).Error; err != nil {
		return fmt.Errorf("enqueue %d pushes: %w", len(rows), err)
	}
	return nil
}

// unitNames names the units with the given ids, read in tx: the name a
// push carries is the unit's as the push is queued.
func unitNames(tx *gorm.DB, ids []uint64) (map[uint64]string, error) {
	var units []model.Unit
	if err := tx.Select("id", "name").Where("id IN ?", ids).Find(&units).Error; err != nil {
		return nil, fmt.Errorf("unit names: %w", err)
	}
	names := make(map[uint64]string, len(units))
	for _, u := range units {
		names[u.ID] = u.Name
	}
	return names, nil
}
