package handler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/testenv"
)

// versionOutage is a cache whose case data version keys are unreachable
// while down is set, as when the master holding them has died.
type versionOutage struct {
	cache.Store
	down atomic.Bool
}

var errNodeDown = errors.New("dial tcp 10.0.0.3:6379: connect: connection refused")

func (v *versionOutage) blocked(keys ...string) bool {
	for _, k := range keys {
		if v.down.Load() && strings.HasPrefix(k, "h5:casever") {
			return true
		}
	}
	return false
}

func (v *versionOutage) Get(ctx context.Context, key string) (string, error) {
	if v.blocked(key) {
		return "", errNodeDown
	}
	return v.Store.Get(ctx, key)
}

func (v *versionOutage) GetMulti(ctx context.Context, keys ...string) (map[string]string, error) {
	if v.blocked(keys...) {
		return nil, errNodeDown
	}
	return v.Store.GetMulti(ctx, keys...)
}

func (v *versionOutage) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if v.blocked(key) {
		return errNodeDown
	}
	return v.Store.Set(ctx, key, value, ttl)
}

func (v *versionOutage) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if v.blocked(key) {
		return false, errNodeDown
	}
	return v.Store.SetNX(ctx, key, value, ttl)
}

// TestH5CaseReadsSurviveAnUnreachableCaseVersion: with the case data
// version unreadable, H5 case reads are still answered (from the view
// loaded within its max age, or from the database) instead of failing.
func TestH5CaseReadsSurviveAnUnreachableCaseVersion(t *testing.T) {
	c := &versionOutage{Store: testenv.Cache(t)}
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	e := handlertest.NewOn(t, testenv.DB(t), c, clock)
	f := &caseFixture{Env: e, t: t, clerk: e.LoginStaff(model.StaffCaseManager)}
	cached, no := f.newCase()
	u, _ := f.approvedLawyer("o-version-outage", no)
	other, otherNo := f.newCase()
	f.must(200, f.Do(f.clerk, "POST", fmt.Sprintf("/api/staff/bindings/%d/approve", f.lawyerBinding(u, otherNo)), nil))
	if got := f.h5Case(u, cached); got.Stage == "" {
		t.Fatalf("case view before the outage: %+v", got)
	}
	for n := range 8 { // every write renewed every copy, each with an expiry
		key := fmt.Sprintf("h5:casever:%d", n)
		if ttl, err := c.TTL(context.Background(), key); err != nil || ttl <= 0 {
			t.Fatalf("version copy %s: ttl %s, %v; want an expiry", key, ttl, err)
		}
	}

	c.down.Store(true)
	for range 3 {
		if got := f.h5Case(u, cached); got.Stage != "审查起诉" { // the view loaded before
			t.Fatalf("cached case view during the outage: %+v", got)
		}
	}
	if got := f.h5Case(u, other); got.Stage != "审查起诉" { // not cached yet: from the database
		t.Fatalf("uncached case view during the outage: %+v", got)
	}
	f.must(200, f.Do(u, "GET", "/api/h5/me", nil))
	f.must(404, f.Do(u, "GET", fmt.Sprintf("/api/h5/cases/%d", other+1000), nil))
}
