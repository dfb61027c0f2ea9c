package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/secure"
)

// The H5 case page is the hottest read: every bound lawyer and party opens
// it from each push. Its data (the case, its timeline and who holds an
// approved binding) is kept in process, tagged with a fleet-wide version
// held in the shared cache. Every committed write to those tables, from
// any instance and any code path (a GORM callback sees every Create,
// Update and Delete; nothing writes them with raw SQL), sets a new random
// version after its commit, so an edit shows and a revoked
// binding loses access on every instance as soon as the write is
// committed. A version that was never set, or lost with a Redis restart,
// is replaced by a new random one, which no cached entry carries.
//
// The version is kept in caseVersionCopies independent copies under keys
// that hash to different Cluster slots, every write renewing them all, and
// each session reads the copy its id picks (with the session, in one round
// trip): H5 reads spread over the masters instead of all hitting the one
// holding a single key. Cached entries are per case and copy, so the
// copies need not agree. When the copy cannot be read (its master is down)
// the view is served from what was loaded within caseCacheMaxAge instead
// of failing the request.
const (
	caseVersionCopies = 8
	// caseCacheMaxAge bounds how long an entry is trusted should a version
	// write be lost, or the version be unreadable (the shared cache
	// unreachable just then).
	caseCacheMaxAge = 10 * time.Second
	// caseCacheSize bounds memory; the cases read within caseCacheMaxAge
	// are far fewer.
	caseCacheSize = 1024
	// caseVersionTTL keeps a version key from living for ever; one that
	// expires is replaced like a lost one.
	caseVersionTTL = 24 * time.Hour
)

// caseVersionKeys are the keys of the version copies.
var caseVersionKeys = func() (keys [caseVersionCopies]string) {
	for n := range keys {
		keys[n] = "h5:casever:" + strconv.Itoa(n)
	}
	return keys
}()

// caseVersionKey is the key of copy n of the case data version.
func caseVersionKey(n int) string { return caseVersionKeys[n] }

// caseVersionCopyOf is the copy a session reads, picked by its key
// (FNV-1a, inline: this runs on every H5 request).
func caseVersionCopyOf(sessionKey string) int {
	h := uint32(2166136261)
	for i := range len(sessionKey) {
		h = (h ^ uint32(sessionKey[i])) * 16777619
	}
	return int(h % caseVersionCopies)
}

// caseDataTables are the tables an H5 case view is read from. Units are
// among them for their contact details: they are rarely edited, so the
// views dropped by an edit cost nothing.
var caseDataTables = map[string]bool{"cases": true, "case_events": true, "bindings": true, "units": true}

// caseEntry is what an H5 case view needs of one case, as loaded at a
// version. found is false for an id without a case, so that probing absent
// ids takes the same path as reading cases one is not bound to.
type caseEntry struct {
	version  string // "" when loaded without a readable version
	loadedAt time.Time
	found    bool
	c        model.Case
	unit     *UnitContact // nil: the case has no unit row
	timeline []H5Event
	approved []uint64 // users with an approved binding
}

// caseKey names an entry: a case as seen through one version copy.
type caseKey struct {
	id   uint64
	copy int
}

type caseCache struct {
	mu      sync.RWMutex
	entries map[caseKey]caseEntry
}

// get returns the entry loaded at version; version "" (unreadable) takes
// whatever entry is still within caseCacheMaxAge.
func (cc *caseCache) get(id caseKey, version string) (caseEntry, bool) {
	if cc == nil {
		return caseEntry{}, false
	}
	cc.mu.RLock()
	e, ok := cc.entries[id]
	cc.mu.RUnlock()
	return e, ok && (e.version == version || version == "") && time.Since(e.loadedAt) < caseCacheMaxAge
}

func (cc *caseCache) put(id caseKey, e caseEntry) {
	if cc == nil {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.entries) >= caseCacheSize {
		for k, old := range cc.entries {
			if time.Since(old.loadedAt) >= caseCacheMaxAge {
				delete(cc.entries, k)
			}
		}
	}
	if len(cc.entries) >= caseCacheSize {
		for k := range cc.entries { // map order is random: evict any one
			delete(cc.entries, k)
			break
		}
	}
	cc.entries[id] = e
}

func (cc *caseCache) clear() {
	if cc == nil {
		return
	}
	cc.mu.Lock()
	clear(cc.entries)
	cc.mu.Unlock()
}

// txChanges collects, inside one s.tx, the services whose case data the
// transaction wrote, so that their version changes only after the commit.
type txChanges struct {
	mu       sync.Mutex
	services []*Service
}

func (ch *txChanges) add(s *Service) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !slices.Contains(ch.services, s) {
		ch.services = append(ch.services, s)
	}
}

type txChangesKey struct{}

// watchCaseData registers the GORM callback that notices every write to
// caseDataTables. It runs after GORM commits a single statement; inside a
// transaction of s.tx it only takes note, and s.tx acts after the commit.
// Each Service registers its own (SQLite tests run two on one handle).
func (s *Service) watchCaseData() error {
	hook := func(db *gorm.DB) {
		if db.Error != nil || db.RowsAffected == 0 || !caseDataTables[db.Statement.Table] {
			return
		}
		ctx := db.Statement.Context
		if ch, ok := ctx.Value(txChangesKey{}).(*txChanges); ok {
			ch.add(s)
			return
		}
		s.caseDataChanged(ctx)
	}
	name := fmt.Sprintf("zsjc:case_data_changed:%p", s)
	const after = "gorm:commit_or_rollback_transaction"
	cb := s.db.Callback()
	if err := errors.Join(
		cb.Create().After(after).Register(name, hook),
		cb.Update().After(after).Register(name, hook),
		cb.Delete().After(after).Register(name, hook),
	); err != nil {
		return fmt.Errorf("watch case data: %w", err)
	}
	return nil
}

// caseDataChanged gives case data a new version, dropping every instance's
// cached case views. It runs after a commit, so it must not be cut short
// by the request ending.
func (s *Service) caseDataChanged(ctx context.Context) {
	s.caseCache.clear()
	ctx = context.WithoutCancel(ctx)
	version := secure.Token(12)
	// At once: the copies live on different masters, and one that is down
	// must not delay the write by its timeout once per copy.
	errs := make([]error, caseVersionCopies)
	var wg sync.WaitGroup
	for n := range caseVersionCopies {
		wg.Go(func() { errs[n] = s.cache.Set(ctx, caseVersionKey(n), version, caseVersionTTL) })
	}
	wg.Wait()
	if failed := errors.Join(errs...); failed != nil {
		s.log.ErrorContext(ctx, "case data version not changed everywhere: other instances may show case views up to the cache's max age old",
			"max_age", caseCacheMaxAge.String(), "err", failed)
	}
}

// userSessionWithVersion reads the session at key and the case data
// version copy it uses in one round trip. When that fails, the session is
// read alone: an unreachable version leaves caseDataVersion "" (see
// caseData) rather than failing every request of the session.
func (s *Service) userSessionWithVersion(ctx context.Context, key string) (raw string, found bool, sess UserSession, err error) {
	sess.caseVersionCopy = caseVersionCopyOf(key)
	vkey := caseVersionKey(sess.caseVersionCopy)
	got, err := s.cache.GetMulti(ctx, key, vkey)
	if err != nil {
		got, sess.caseVersionDown = map[string]string{}, true
		raw, err = s.cache.Get(ctx, key)
		if errors.Is(err, cache.ErrMiss) {
			return "", false, sess, nil
		}
		if err != nil {
			return "", false, sess, err
		}
		got[key] = raw
	}
	raw, found = got[key]
	sess.caseDataVersion = got[vkey]
	return raw, found, sess, nil
}

// caseDataVersion is the current version copy n; "" when unreadable.
func (s *Service) caseDataVersion(ctx context.Context, n int) string {
	key := caseVersionKey(n)
	v, err := s.cache.Get(ctx, key)
	if errors.Is(err, cache.ErrMiss) {
		fresh := secure.Token(12)
		var set bool
		if set, err = s.cache.SetNX(ctx, key, fresh, caseVersionTTL); set {
			return fresh
		}
		if err == nil {
			v, err = s.cache.Get(ctx, key)
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "case data version unreadable: serving case views loaded within the max age",
			"max_age", caseCacheMaxAge.String(), "err", err)
		return ""
	}
	return v
}

// caseData is the case's entry at the session's version (read with the
// session, before anything is read from the database), loaded on a miss.
func (s *Service) caseData(ctx context.Context, u UserSession, id uint64) (caseEntry, error) {
	version := u.caseDataVersion
	if version == "" && !u.caseVersionDown {
		version = s.caseDataVersion(ctx, u.caseVersionCopy)
	}
	ck := caseKey{id: id, copy: u.caseVersionCopy}
	if e, ok := s.caseCache.get(ck, version); ok {
		return e, nil
	}
	e := caseEntry{version: version, loadedAt: time.Now()}
	db := s.db.WithContext(ctx)
	err := db.Take(&e.c, id).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return caseEntry{}, fmt.Errorf("load case %d: %w", id, err)
	default:
		e.found = true
		events, err := timeline(db, id)
		if err != nil {
			return caseEntry{}, err
		}
		e.timeline = h5Events(events)
		units, err := unitsOf(db, e.c)
		if err != nil {
			return caseEntry{}, err
		}
		u, ok := units[e.c.UnitID]
		e.unit = unitContact(u, ok)
		if err := db.Model(&model.Binding{}).Where("case_id = ? AND status = ?", id, model.StatusApproved).
			Pluck("user_id", &e.approved).Error; err != nil {
			return caseEntry{}, fmt.Errorf("approved users of case %d: %w", id, err)
		}
	}
	s.caseCache.put(ck, e)
	return e, nil
}

// UserCase is the H5 case view for a user with an approved binding to the case;
// anyone else gets ErrNotFound, as for a case that does not exist.
func (s *Service) UserCase(ctx context.Context, u UserSession, caseID uint64) (H5CaseDetail, error) {
	e, err := s.caseData(ctx, u, caseID)
	if err != nil {
		return H5CaseDetail{}, err
	}
	if !e.found || !slices.Contains(e.approved, u.UserID) {
		return H5CaseDetail{}, model.ErrNotFound
	}
	return H5CaseDetail{H5Case: H5Case{caseFacts: s.facts(e.c), Unit: e.unit}, Timeline: e.timeline}, nil
}
