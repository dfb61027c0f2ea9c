package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/testenv"
)

// TestFleetServesWithin10sOfAClusterFailover runs two instances on a real
// six-node Redis Cluster, kills (SIGKILL) the master holding the first
// copy of the case data version under a steady load of H5 case reads
// spread over both instances, and asserts that no request takes 5 s or
// more, that every request from 10 s after the replica's promotion on
// succeeds, and that readiness (a ping of every master) recovers as well.
func TestFleetServesWithin10sOfAClusterFailover(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	db, dsn := testenv.DBWithDSN(t)
	first, second := testenv.RedisCacheWithPrefix(t, strings.Join(rc.Addrs(), ","))
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	a := handlertest.NewOn(t, db, first, clock)
	b := handlertest.NewOn(t, testenv.Open(t, db, dsn), second(), clock)
	f := &caseFixture{Env: a, t: t, clerk: a.LoginStaff(model.StaffCaseManager)}
	caseID, no := f.newCase()
	var users []handlertest.Caller
	for i := range 12 { // sessions on every master and every version copy
		u, _ := f.approvedLawyer(fmt.Sprintf("o-failover-%d", i), no)
		users = append(users, u)
	}
	path := fmt.Sprintf("/api/h5/cases/%d", caseID)
	for _, u := range users {
		f.must(200, f.Do(u, "GET", path, nil))
	}
	victim, replica := rc.MasterOf(f.Cache.(*cache.Redis).Prefix() + "h5:casever:0")
	rc.WaitReplicated(victim)

	type result struct {
		at, took time.Duration
		code     int
	}
	var (
		mu      sync.Mutex
		results []result
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	start := time.Now()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				inst := []*handlertest.Env{a, b}[i%2]
				req := httptest.NewRequest(http.MethodGet, path, nil)
				t0 := time.Now()
				r := inst.Send(users[i%len(users)], req)
				mu.Lock()
				results = append(results, result{at: t0.Sub(start), took: time.Since(t0), code: r.Code})
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	rc.Kill(victim)
	killedAt := time.Since(start)
	var survivor int
	for _, p := range rc.Ports {
		if p != victim && p != replica {
			survivor = p
			break
		}
	}
	promotedAt := rc.WaitMaster(replica, survivor).Sub(start)
	ready := time.Duration(-1)
	for deadline := time.Now().Add(12 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := a.Cache.Ping(ctx)
		cancel()
		if err == nil {
			ready = time.Since(start)
			break
		}
	}
	// Keep the load on until 10 s after the promotion plus a margin.
	time.Sleep(time.Until(start.Add(promotedAt + 11*time.Second)))
	close(stop)
	wg.Wait()

	t.Logf("killed %d at %s, replica %d promoted at %s, readiness back at %s, %d requests",
		victim, killedAt.Round(time.Millisecond), replica, promotedAt.Round(time.Millisecond), ready.Round(time.Millisecond), len(results))
	if ready < 0 || ready > promotedAt+10*time.Second {
		t.Errorf("readiness (ping of every master) not back within 10 s of the promotion: %s", ready)
	}
	var failed, late int
	var lastFailure time.Duration
	for _, r := range results {
		if r.took >= 5*time.Second {
			late++
		}
		if r.code != http.StatusOK {
			failed++
			lastFailure = max(lastFailure, r.at)
			if r.at > promotedAt+10*time.Second {
				t.Errorf("request at %s (promotion at %s) answered %d", r.at, promotedAt, r.code)
			}
		}
	}
	t.Logf("%d failed requests, the last one started at %s", failed, lastFailure.Round(time.Millisecond))
	if late > 0 {
		t.Errorf("%d requests took 5 s or more", late)
	}
}
