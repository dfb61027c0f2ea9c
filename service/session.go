package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/secure"
)

// Session lifetimes.
const (
	UserSessionIdle      = 2 * time.Hour
	UserSessionLifetime  = 7 * 24 * time.Hour
	StaffSessionIdle     = 30 * time.Minute
	StaffSessionLifetime = 12 * time.Hour
)

// UserSession is a WeChat user's H5 session.
type UserSession struct {
	UserID    uint64    `json:"uid"`
	OpenID    string    `json:"oid"`
	CreatedAt time.Time `json:"at"`
	SeenAt    time.Time `json:"seen"`
	// caseDataVersion is read with the session, in the same round trip,
	// for the H5 case read (see casecache.go); "" when not set yet or
	// unreadable (caseVersionDown). caseVersionCopy is the copy it was read from.
	caseDataVersion string
	caseVersionCopy int
	caseVersionDown bool
}

// StaffSession is a staff member's console session.
type StaffSession struct {
	StaffID   uint64    `json:"sid"`
	Username  string    `json:"u"`
	Role      string    `json:"r"`
	UnitID    uint64    `json:"unit"`
	CSRFToken string    `json:"csrf"`
	CreatedAt time.Time `json:"at"`
	SeenAt    time.Time `json:"seen"`
	// Epoch is the account's session epoch at login; disabling the account,
	// resetting its password or its second factor starts a new epoch,
	// ending older sessions.
	Epoch string `json:"ep"`
	// scope is resolved from UnitID on every load (units.go), so a unit
	// added below is in scope without a new login.
	scope Scope
}

// Actor returns the actor of this session from ip, with its scope.
func (s StaffSession) Actor(ip string) Actor {
	return Actor{StaffID: s.StaffID, Name: s.Username, Role: s.Role, IP: ip, UnitID: s.UnitID, Scope: s.scope}
}

func userSessionKey(id string) string  { return "sess:u:" + id }
func staffSessionKey(id string) string { return "sess:s:" + id }

// NewUserSession stores a session for the WeChat user and returns its id.
func (s *Service) NewUserSession(ctx context.Context, u model.WeChatUser) (string, error) {
	id := secure.Token(32)
	now := s.Now()
	sess := UserSession{UserID: u.ID, OpenID: u.OpenID, CreatedAt: now, SeenAt: now}
	if err := s.putSession(ctx, userSessionKey(id), sess, UserSessionIdle); err != nil {
		return "", err
	}
	if err := s.indexUserSession(ctx, u.ID, id); err != nil {
		return "", err
	}
	// A login racing the account's deletion: either the deletion finds
	// this session in the index, or this finds the account deleted.
	var erased int64
	if err := s.db.WithContext(ctx).Model(&model.WeChatUser{}).Where("id = ? AND erased_at IS NOT NULL", u.ID).Count(&erased).Error; err != nil {
		return "", fmt.Errorf("check user %d: %w", u.ID, err)
	}
	if erased > 0 {
		_ = s.cache.Del(ctx, userSessionKey(id))
		return "", model.ErrUnauthorized
	}
	return id, nil
}

// UserSession loads and touches (idle timeout) an H5 session.
func (s *Service) UserSession(ctx context.Context, id string) (UserSession, error) {
	key := userSessionKey(id)
	if len(key) > maxSessionKey {
		return UserSession{}, model.ErrUnauthorized
	}
	raw, found, sess, err := s.userSessionWithVersion(ctx, key)
	if err != nil {
		return UserSession{}, fmt.Errorf("load session: %w", unavailable(err))
	}
	if !found {
		return UserSession{}, model.ErrUnauthorized
	}
	err = s.checkSession(ctx, key, raw, &sess, &sess.CreatedAt, &sess.SeenAt, UserSessionIdle, UserSessionLifetime)
	return sess, err
}

// EndUserSession deletes an H5 session.
func (s *Service) EndUserSession(ctx context.Context, id string) error {
	return s.cache.Del(ctx, userSessionKey(id))
}

// NewStaffSession stores a console session with a fresh CSRF token and
// returns the session id and the session.
func (s *Service) NewStaffSession(ctx context.Context, st model.Staff) (string, StaffSession, error) {
	epoch, err := s.staffEpoch(ctx, st.ID)
	if err != nil {
		return "", StaffSession{}, err
	}
	return s.newStaffSession(ctx, st, epoch)
}

func (s *Service) newStaffSession(ctx context.Context, st model.Staff, epoch string) (string, StaffSession, error) {
	id := secure.Token(32)
	now := s.Now()
	sess := StaffSession{StaffID: st.ID, Username: st.Username, Role: st.Role, UnitID: st.UnitID, CSRFToken: secure.Token(24),
		CreatedAt: now, SeenAt: now, Epoch: epoch}
	scope, err := s.scopeOf(ctx, st.UnitID)
	if err != nil {
		return "", StaffSession{}, err
	}
	sess.scope = scope
	if err := s.putSession(ctx, staffSessionKey(id), sess, StaffSessionIdle); err != nil {
		return "", StaffSession{}, err
	}
	return id, sess, nil
}

// StaffSession loads and touches a console session; a session from before
// the account's current epoch (disabled, password reset) is over.
func (s *Service) StaffSession(ctx context.Context, id string) (StaffSession, error) {
	key := staffSessionKey(id)
	if len(key) > maxSessionKey {
		return StaffSession{}, model.ErrUnauthorized
	}
	raw, err := s.cache.Get(ctx, key)
	if errors.Is(err, cache.ErrMiss) {
		return StaffSession{}, model.ErrUnauthorized
	}
	if err != nil {
		return StaffSession{}, fmt.Errorf("load session: %w", unavailable(err))
	}
	var sess StaffSession
	if err := s.checkSession(ctx, key, raw, &sess, &sess.CreatedAt, &sess.SeenAt, StaffSessionIdle, StaffSessionLifetime); err != nil {
		return StaffSession{}, err
	}
	epoch, err := s.cache.Get(ctx, staffEpochKey(sess.StaffID))
	if errors.Is(err, cache.ErrMiss) || (err == nil && epoch != sess.Epoch) {
		_ = s.cache.Del(ctx, staffSessionKey(id))
		return StaffSession{}, model.ErrUnauthorized
	}
	if err != nil {
		return StaffSession{}, fmt.Errorf("load session epoch: %w", unavailable(err))
	}
	if sess.scope, err = s.scopeOf(ctx, sess.UnitID); err != nil {
		return StaffSession{}, err
	}
	return sess, nil
}

// EndStaffSession deletes a console session.
func (s *Service) EndStaffSession(ctx context.Context, id string) error {
	return s.cache.Del(ctx, staffSessionKey(id))
}

func (s *Service) putSession(ctx context.Context, key string, v any, idle time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if err := s.cache.Set(ctx, key, string(raw), idle); err != nil {
		return fmt.Errorf("store session: %w", unavailable(err))
	}
	return nil
}

// sessionTouchEvery spares a cache write on every request: a use is
// recorded at most once a minute, so a session may go idle up to a minute
// before the full idle timeout, never after it.
const sessionTouchEvery = time.Minute

// maxSessionKey refuses session ids no session could have before asking
// the cache.
const maxSessionKey = 120

// checkSession decodes the session raw, stored at key, into v, refuses it
// past its idle timeout or absolute lifetime, and records this use (at
// most once per sessionTouchEvery). The idle timeout is checked against
// the service clock as well as kept as the key's TTL, so it holds whatever
// clock the cache runs on.
func (s *Service) checkSession(ctx context.Context, key, raw string, v any, createdAt, seenAt *time.Time, idle, lifetime time.Duration) error {
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return model.ErrUnauthorized
	}
	now := s.Now()
	left := createdAt.Add(lifetime).Sub(now)
	if left <= 0 || now.Sub(*seenAt) >= idle {
		_ = s.cache.Del(ctx, key)
		return model.ErrUnauthorized
	}
	if now.Sub(*seenAt) < sessionTouchEvery {
		return nil
	}
	*seenAt = now
	touched, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if err := s.cache.Set(ctx, key, string(touched), min(idle, left)); err != nil {
		return fmt.Errorf("touch session: %w", unavailable(err))
	}
	return nil
}

// unavailable marks a cache failure as a 503 for the caller while keeping
// the cause for the log.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", model.ErrUnavailable, err)
}
