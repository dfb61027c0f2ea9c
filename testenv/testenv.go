// Package testenv gives tests a fresh database and cache: the real MariaDB
// and Redis when ZSJC_TEST_MYSQL_DSN / ZSJC_TEST_REDIS_ADDR are set (CI sets
// them), the embedded SQLite and in-process cache otherwise.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
)

// MySQLDSN is the DSN of the test server, or "" to use SQLite.
func MySQLDSN() string { return os.Getenv("ZSJC_TEST_MYSQL_DSN") }

// RedisAddr is the address of the test Redis, or "" to use memory.
func RedisAddr() string { return os.Getenv("ZSJC_TEST_REDIS_ADDR") }

// Crypto is the personal-data suite test instances seal with:
// ZSJC_TEST_CRYPTO (aes or sm), aes when unset. CI runs the personal-data
// tests under both.
func Crypto() string {
	if v := os.Getenv("ZSJC_TEST_CRYPTO"); v != "" {
		return v
	}
	return "aes"
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DB returns a migrated, empty database private to the test: a new MySQL
// database (dropped at cleanup) or a new SQLite file in t.TempDir().
func DB(t testing.TB) *gorm.DB {
	t.Helper()
	db, _ := DBWithDSN(t)
	return db
}

// DBWithDSN is DB that also returns the DSN of the new database, so a test
// can open a second connection pool to it, as a second instance would
// ("" for SQLite, which is single-instance by nature).
func DBWithDSN(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	ctx := context.Background()
	dsn := MySQLDSN()
	if dsn == "" {
		db, err := model.OpenSQLite(filepath.Join(t.TempDir(), "test.db"), nil)
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		if err := model.Migrate(ctx, db); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
		t.Cleanup(func() { closeDB(db) })
		return db, ""
	}
	cfg, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse ZSJC_TEST_MYSQL_DSN: %v", err)
	}
	// The admin connection names no database, so the one in the DSN need not exist.
	cfg.DBName = ""
	admin, err := model.Open(cfg.FormatDSN(), "")
	if err != nil {
		t.Fatalf("open mysql admin: %v", err)
	}
	name := "zsjc_t_" + randomSuffix()
	if err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci").Error; err != nil {
		t.Fatalf("create test database: %v", err)
	}
	cfg.DBName = name
	testDSN := cfg.FormatDSN()
	db, err := model.Open(testDSN, "")
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	if err := model.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	t.Cleanup(func() {
		closeDB(db)
		admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		closeDB(admin)
	})
	return db, testDSN
}

// Open opens another connection pool to a database made by DBWithDSN
// (a second "instance"); for SQLite it returns db itself.
func Open(t testing.TB, db *gorm.DB, dsn string) *gorm.DB {
	t.Helper()
	if dsn == "" {
		return db
	}
	other, err := model.Open(dsn, "")
	if err != nil {
		t.Fatalf("open second pool: %v", err)
	}
	t.Cleanup(func() { closeDB(other) })
	return other
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

// Cache returns a cache private to the test: Redis under a random key
// prefix (its keys deleted at cleanup), or a new in-process store.
func Cache(t testing.TB) cache.Store {
	t.Helper()
	c, _ := CacheWithPrefix(t)
	return c
}

// CacheWithPrefix is Cache that also returns a constructor for a second
// client on the same keys, as a second instance would have.
func CacheWithPrefix(t testing.TB) (cache.Store, func() cache.Store) {
	t.Helper()
	addr := RedisAddr()
	if addr == "" {
		m := cache.NewMemory()
		return m, func() cache.Store { return m }
	}
	return RedisCacheWithPrefix(t, addr)
}

// RedisCacheWithPrefix is CacheWithPrefix on the Redis at addrs (one
// server, or Cluster nodes), under a new random prefix whose keys are
// deleted at cleanup.
func RedisCacheWithPrefix(t testing.TB, addrs string) (cache.Store, func() cache.Store) {
	t.Helper()
	prefix := "zsjc_t_" + randomSuffix() + ":"
	newClient := func() cache.Store {
		client := connectRedis(t, addrs)
		t.Cleanup(func() { client.Close() })
		return cache.NewRedis(client, prefix)
	}
	first := newClient()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := first.Ping(ctx); err != nil {
		t.Fatalf("test redis at %s: %v", addrs, err)
	}
	t.Cleanup(func() { deletePrefix(t, addrs, prefix) })
	return first, newClient
}

func connectRedis(t testing.TB, addrs string) redis.UniversalClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	client, _, err := cache.ConnectRedis(ctx, addrs, os.Getenv("ZSJC_TEST_REDIS_PASSWORD"), "")
	if err != nil {
		t.Fatalf("test redis: %v", err)
	}
	return client
}

// deletePrefix deletes the test's keys from every master: a SCAN sees
// only the node it is sent to.
func deletePrefix(t testing.TB, addrs, prefix string) {
	client := connectRedis(t, addrs)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	scanDel := func(ctx context.Context, node redis.Cmdable) error {
		iter := node.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := node.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := client.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return scanDel(ctx, node) })
	} else {
		err = scanDel(ctx, client)
	}
	if err != nil {
		t.Logf("test redis: keys under %s left behind: %v", prefix, err)
	}
}

// Describe says which engines the tests run on, for logs.
func Describe() string {
	var parts []string
	if MySQLDSN() != "" {
		parts = append(parts, "MySQL")
	} else {
		parts = append(parts, "SQLite")
	}
	if RedisAddr() != "" {
		parts = append(parts, "Redis")
	} else {
		parts = append(parts, "memory cache")
	}
	return fmt.Sprint(strings.Join(parts, " + "))
}
