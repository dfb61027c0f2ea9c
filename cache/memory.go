package cache

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// Memory is an in-process Store for dev mode and tests without Redis. It
// coordinates goroutines of one process only.
type Memory struct {
	mu    sync.Mutex
	items map[string]memItem
	now   func() time.Time
	ops   int
}

type memItem struct {
	value   string
	expires time.Time // zero: never
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory {
	return &Memory{items: map[string]memItem{}, now: time.Now}
}

// get returns a live item; the caller holds mu.
func (m *Memory) get(key string) (memItem, bool) {
	it, ok := m.items[key]
	if ok && !it.expires.IsZero() && !m.now().Before(it.expires) {
		delete(m.items, key)
		return memItem{}, false
	}
	return it, ok
}

// sweep drops expired items now and then so the map does not grow forever;
// the caller holds mu.
func (m *Memory) sweep() {
	m.ops++
	if m.ops%1024 != 0 {
		return
	}
	now := m.now()
	for k, it := range m.items {
		if !it.expires.IsZero() && !now.Before(it.expires) {
			delete(m.items, k)
		}
	}
}

func (m *Memory) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return m.now().Add(ttl)
}

func (m *Memory) Get(_ context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return "", ErrMiss
	}
	return it.value, nil
}

func (m *Memory) GetMulti(_ context.Context, keys ...string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		if it, ok := m.get(k); ok {
			out[k] = it.value
		}
	}
	return out, nil
}

func (m *Memory) Set(_ context.Context, key, value string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	m.items[key] = memItem{value: value, expires: m.expiry(ttl)}
	return nil
}

func (m *Memory) SetNX(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	if _, ok := m.get(key); ok {
		return false, nil
	}
	m.items[key] = memItem{value: value, expires: m.expiry(ttl)}
	return true, nil
}

func (m *Memory) Incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep()
	it, ok := m.get(key)
	if !ok {
		m.items[key] = memItem{value: "1", expires: m.expiry(ttl)}
		return 1, nil
	}
	n, err := strconv.ParseInt(it.value, 10, 64)
	if err != nil {
		return 0, err
	}
	n++
	it.value = strconv.FormatInt(n, 10)
	m.items[key] = it
	return n, nil
}

func (m *Memory) Decr(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(it.value, 10, 64)
	if err != nil {
		return err
	}
	it.value = strconv.FormatInt(n-1, 10)
	m.items[key] = it
	return nil
}

func (m *Memory) TTL(_ context.Context, key string) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok {
		return 0, ErrMiss
	}
	if it.expires.IsZero() {
		return -1, nil
	}
	return it.expires.Sub(m.now()), nil
}

func (m *Memory) Del(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.items, k)
	}
	return nil
}

func (m *Memory) DelIfEqual(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok || it.value != value {
		return false, nil
	}
	delete(m.items, key)
	return true, nil
}

func (m *Memory) ExpireIfEqual(_ context.Context, key, value string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.get(key)
	if !ok || it.value != value {
		return false, nil
	}
	it.expires = m.expiry(ttl)
	m.items[key] = it
	return true, nil
}

func (m *Memory) Ping(context.Context) error { return nil }

// Entries returns every live key and its value, for tests that check what
// the cache holds.
func (m *Memory) Entries() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.items))
	for k := range m.items {
		if it, ok := m.get(k); ok {
			out[k] = it.value
		}
	}
	return out
}
