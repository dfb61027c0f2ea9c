package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Open connects to MySQL when dsn is set, else to an embedded SQLite file
// (pure Go, no cgo) under dataDir.
func Open(dsn, dataDir string) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		// GORM's logger prints statements with their values, which can hold
		// personal data; errors are logged by the callers with context.
		Logger:                                   logger.Default.LogMode(logger.Silent),
		DisableForeignKeyConstraintWhenMigrating: true,
		TranslateError:                           true,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
		// A single statement is atomic by itself (the models have no
		// associations to save alongside); wrapping each in BEGIN/COMMIT
		// would triple its round trips. Multi-statement use cases run in
		// explicit transactions.
		SkipDefaultTransaction: true,
	}
	if dsn != "" {
		return openMySQL(dsn, gcfg)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dataDir, err)
	}
	return OpenSQLite(filepath.Join(dataDir, "zsjc.db"), gcfg)
}

// NormalizeMySQLDSN forces the connection options the code relies on:
// utf8mb4, parsed times in UTC, client-side argument interpolation.
func NormalizeMySQLDSN(dsn string) (string, error) {
	c, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("parse mysql dsn: %w", err)
	}
	c.ParseTime = true
	c.Loc = time.UTC
	c.Collation = "utf8mb4_unicode_ci"
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["charset"] = "utf8mb4"
	// Arguments are interpolated client-side (safe with utf8mb4): one round
	// trip per query instead of prepare, execute and close.
	c.InterpolateParams = true
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	return c.FormatDSN(), nil
}

func openMySQL(dsn string, gcfg *gorm.Config) (*gorm.DB, error) {
	norm, err := NormalizeMySQLDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(mysql.Open(norm), gcfg)
	if err != nil {
		return nil, fmt.Errorf("open mysql: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open mysql: %w", err)
	}
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// OpenSQLite opens (creating if needed) an embedded database file. One
// connection serialises writers, which is what makes conditional updates
// race-free there; it also means code must never use the outer *gorm.DB
// inside a transaction.
func OpenSQLite(path string, gcfg *gorm.Config) (*gorm.DB, error) {
	if gcfg == nil {
		gcfg = &gorm.Config{Logger: logger.Default.LogMode(logger.Silent), TranslateError: true,
			NowFunc: func() time.Time { return time.Now().UTC() }, SkipDefaultTransaction: true}
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	db, err := gorm.Open(sqlite.Open(dsn), gcfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(1)
	return db, nil
}

// IsMySQL reports whether db talks to MySQL/MariaDB.
func IsMySQL(db *gorm.DB) bool { return db.Dialector.Name() == "mysql" }

// Migrate creates or updates every table, then upgrades data of earlier
// schemas in place (UpgradeRooms). On MySQL it holds a named lock so that
// instances starting together migrate one after the other.
func Migrate(ctx context.Context, db *gorm.DB) error {
	if !IsMySQL(db) {
		if err := db.WithContext(ctx).AutoMigrate(All()...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return UpgradeRooms(db.WithContext(ctx))
	}
	return db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		var got *int
		if err := conn.Raw("SELECT GET_LOCK('zsjc_migrate', 120)").Scan(&got).Error; err != nil {
			return fmt.Errorf("migrate: take lock: %w", err)
		}
		if got == nil || *got != 1 {
			return errors.New("migrate: another instance held the migration lock for 120s")
		}
		defer conn.Exec("SELECT RELEASE_LOCK('zsjc_migrate')")
		if err := conn.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci").AutoMigrate(All()...); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return UpgradeRooms(conn)
	})
}

// IsDuplicate reports whether err is a unique-constraint violation.
func IsDuplicate(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) && me.Number == 1062 {
		return true
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// LiveKey builds the value of a "one live per …" unique column.
func LiveKey(a, b uint64) *string {
	k := fmt.Sprintf("%d:%d", a, b)
	return &k
}
