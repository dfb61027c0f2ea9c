package service

import (
	"errors"
	"fmt"
	"testing"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/testenv"
)

// Finding 4 of the security review: a use case whose transaction lost a
// deadlock (or a lock wait) answered 500. tx runs it again, a bounded
// number of times; other errors are not retried.
func TestTxRetriesLockConflicts(t *testing.T) {
	s := New(Deps{DB: testenv.DB(t), Cache: cache.NewMemory()}, Options{})
	failing := func(failures int, number uint16) (func(*gorm.DB) error, *int) {
		runs := 0
		return func(*gorm.DB) error {
			runs++
			if runs <= failures {
				return fmt.Errorf("book review: %w", &mysqldriver.MySQLError{Number: number, Message: "lock conflict"})
			}
			return nil
		}, &runs
	}
	for _, number := range []uint16{1213, 1205} {
		fn, runs := failing(txAttempts-1, number)
		if err := s.tx(t.Context(), fn); err != nil || *runs != txAttempts {
			t.Errorf("error %d %d times: %v after %d runs", number, txAttempts-1, err, *runs)
		}
		fn, runs = failing(txAttempts+5, number)
		if err := s.tx(t.Context(), fn); !model.IsLockConflict(err) || *runs != txAttempts {
			t.Errorf("error %d every time: %v after %d runs, want the conflict after %d", number, err, *runs, txAttempts)
		}
	}
	fn, runs := failing(1, 1062) // a duplicate key is an answer, not a clash
	if err := s.tx(t.Context(), fn); err == nil || *runs != 1 {
		t.Errorf("duplicate key: %v after %d runs", err, *runs)
	}
	other := errors.New("domain refusal")
	runsOther := 0
	if err := s.tx(t.Context(), func(*gorm.DB) error { runsOther++; return other }); !errors.Is(err, other) || runsOther != 1 {
		t.Errorf("domain error: %v after %d runs", err, runsOther)
	}
}
