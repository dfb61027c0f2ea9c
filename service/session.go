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
}

// StaffSession is a staff member's console session.
type StaffSession struct {
	StaffID   uint64    `json:"sid"`
	Username  string    `json:"u"`
	Role      string    `json:"r"`
	CSRFToken string    `json:"csrf"`
	CreatedAt time.Time `json:"at"`
}

// Actor returns the audit actor of this session from ip.
func (s StaffSession) Actor(ip string) Actor {
	return Actor{StaffID: s.StaffID, Name: s.Username, Role: s.Role, IP: ip}
}

func userSessionKey(id string) string  { return "sess:u:" + id }
func staffSessionKey(id string) string { return "sess:s:" + id }

// NewUserSession stores a session for the WeChat user and returns its id.
func (s *Service) NewUserSession(ctx context.Context, u model.WeChatUser) (string, error) {
	id := secure.Token(32)
	sess := UserSession{UserID: u.ID, OpenID: u.OpenID, CreatedAt: s.Now()}
	if err := s.putSession(ctx, userSessionKey(id), sess, UserSessionIdle); err != nil {
		return "", err
	}
	return id, nil
}

// UserSession loads and touches (idle timeout) an H5 session.
func (s *Service) UserSession(ctx context.Context, id string) (UserSession, error) {
	var sess UserSession
	err := s.getSession(ctx, userSessionKey(id), &sess, &sess.CreatedAt, UserSessionIdle, UserSessionLifetime)
	return sess, err
}

// EndUserSession deletes an H5 session.
func (s *Service) EndUserSession(ctx context.Context, id string) error {
	return s.cache.Del(ctx, userSessionKey(id))
}

// NewStaffSession stores a console session with a fresh CSRF token and
// returns the session id and the session.
func (s *Service) NewStaffSession(ctx context.Context, st model.Staff) (string, StaffSession, error) {
	id := secure.Token(32)
	sess := StaffSession{StaffID: st.ID, Username: st.Username, Role: st.Role, CSRFToken: secure.Token(24), CreatedAt: s.Now()}
	if err := s.putSession(ctx, staffSessionKey(id), sess, StaffSessionIdle); err != nil {
		return "", StaffSession{}, err
	}
	return id, sess, nil
}

// StaffSession loads and touches a console session.
func (s *Service) StaffSession(ctx context.Context, id string) (StaffSession, error) {
	var sess StaffSession
	err := s.getSession(ctx, staffSessionKey(id), &sess, &sess.CreatedAt, StaffSessionIdle, StaffSessionLifetime)
	return sess, err
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

// getSession decodes the session at key into v, refuses it past its
// absolute lifetime, and extends its idle timeout.
func (s *Service) getSession(ctx context.Context, key string, v any, createdAt *time.Time, idle, lifetime time.Duration) error {
	if len(key) > 120 {
		return model.ErrUnauthorized
	}
	raw, err := s.cache.Get(ctx, key)
	if errors.Is(err, cache.ErrMiss) {
		return model.ErrUnauthorized
	}
	if err != nil {
		return fmt.Errorf("load session: %w", unavailable(err))
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return model.ErrUnauthorized
	}
	left := createdAt.Add(lifetime).Sub(s.Now())
	if left <= 0 {
		_ = s.cache.Del(ctx, key)
		return model.ErrUnauthorized
	}
	if err := s.cache.Set(ctx, key, raw, min(idle, left)); err != nil {
		return fmt.Errorf("touch session: %w", unavailable(err))
	}
	return nil
}

// unavailable marks a cache failure as a 503 for the caller while keeping
// the cause for the log.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", model.ErrUnavailable, err)
}
