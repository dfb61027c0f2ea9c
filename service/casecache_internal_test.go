package service

import (
	"testing"
	"time"
)

// TestCaseCacheStaysBounded: however many cases are read, the cache holds
// at most caseCacheSize entries, dropping entries past their max age
// before fresh ones.
func TestCaseCacheStaysBounded(t *testing.T) {
	cc := &caseCache{entries: map[caseKey]caseEntry{}}
	stale := time.Now().Add(-2 * caseCacheMaxAge)
	for id := range uint64(caseCacheSize) {
		cc.put(caseKey{id: id}, caseEntry{version: "v", loadedAt: stale})
	}
	cc.put(caseKey{id: caseCacheSize}, caseEntry{version: "v", loadedAt: time.Now()})
	if n := len(cc.entries); n != 1 {
		t.Fatalf("%d entries after a put into a cache full of stale ones, want only the fresh one", n)
	}
	for id := range uint64(3 * caseCacheSize) {
		cc.put(caseKey{id: id}, caseEntry{version: "v", loadedAt: time.Now()})
		if n := len(cc.entries); n > caseCacheSize {
			t.Fatalf("%d entries, more than %d", n, caseCacheSize)
		}
	}
	if _, ok := cc.get(caseKey{id: 3*caseCacheSize - 1}, "v"); !ok {
		t.Fatal("the entry just put is not served")
	}
	if _, ok := cc.get(caseKey{id: 3*caseCacheSize - 1}, "other"); ok {
		t.Fatal("an entry of another version is served")
	}
}

// TestCaseCacheServesAnyFreshEntryWhenTheVersionIsUnreadable: version ""
// (unreadable) takes the entry loaded within the max age, and no older.
func TestCaseCacheServesAnyFreshEntryWhenTheVersionIsUnreadable(t *testing.T) {
	cc := &caseCache{entries: map[caseKey]caseEntry{}}
	cc.put(caseKey{id: 1}, caseEntry{version: "v", loadedAt: time.Now()})
	cc.put(caseKey{id: 2}, caseEntry{version: "v", loadedAt: time.Now().Add(-caseCacheMaxAge)})
	if _, ok := cc.get(caseKey{id: 1}, ""); !ok {
		t.Fatal("a fresh entry is not served while the version is unreadable")
	}
	if _, ok := cc.get(caseKey{id: 2}, ""); ok {
		t.Fatal("an entry past its max age is served while the version is unreadable")
	}
	if _, ok := cc.get(caseKey{id: 1, copy: 1}, ""); ok {
		t.Fatal("an entry of another version copy is served")
	}
}
