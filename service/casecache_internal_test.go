package service

import (
	"testing"
	"time"
)

// TestCaseCacheStaysBounded: however many cases are read, the cache holds
// at most caseCacheSize entries, dropping entries past their max age
// before fresh ones.
func TestCaseCacheStaysBounded(t *testing.T) {
	cc := &caseCache{entries: map[uint64]caseEntry{}}
	stale := time.Now().Add(-2 * caseCacheMaxAge)
	for id := range uint64(caseCacheSize) {
		cc.put(id, caseEntry{version: "v", loadedAt: stale})
	}
	cc.put(caseCacheSize, caseEntry{version: "v", loadedAt: time.Now()})
	if n := len(cc.entries); n != 1 {
		t.Fatalf("%d entries after a put into a cache full of stale ones, want only the fresh one", n)
	}
	for id := range uint64(3 * caseCacheSize) {
		cc.put(id, caseEntry{version: "v", loadedAt: time.Now()})
		if n := len(cc.entries); n > caseCacheSize {
			t.Fatalf("%d entries, more than %d", n, caseCacheSize)
		}
	}
	if _, ok := cc.get(3*caseCacheSize-1, "v"); !ok {
		t.Fatal("the entry just put is not served")
	}
	if _, ok := cc.get(3*caseCacheSize-1, "other"); ok {
		t.Fatal("an entry of another version is served")
	}
}
