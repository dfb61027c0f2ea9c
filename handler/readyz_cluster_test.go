package handler_test

import (
	"strings"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/testenv"
)

// TestReadyzChecksEveryClusterMaster: on a Redis Cluster, /readyz pings
// every master, so losing one shard (master and replica) makes it 503
// naming the cache, promptly, while /healthz, liveness only, stays 200.
func TestReadyzChecksEveryClusterMaster(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	c, _ := testenv.RedisCacheWithPrefix(t, strings.Join(rc.Addrs(), ","))
	clock := &handlertest.Clock{}
	clock.Set(handlertest.Start)
	e := handlertest.NewOn(t, testenv.DB(t), c, clock)
	if r := e.Do(handlertest.Anonymous, "GET", "/readyz", nil); r.Code != 200 {
		t.Fatalf("readyz on a healthy cluster: %d %s", r.Code, r.Body)
	}
	master, replica := rc.MasterOf("any-key")
	rc.Kill(replica)
	rc.Kill(master)
	for range 3 { // each time, not only until the client notices
		t0 := time.Now()
		r := e.Do(handlertest.Anonymous, "GET", "/readyz", nil)
		if r.Code != 503 || !strings.Contains(string(r.Body), `"cache"`) {
			t.Fatalf("readyz with one shard down: %d %s", r.Code, r.Body)
		}
		if took := time.Since(t0); took > 2500*time.Millisecond {
			t.Fatalf("readyz took %s", took)
		}
		if r := e.Do(handlertest.Anonymous, "GET", "/healthz", nil); r.Code != 200 {
			t.Fatalf("healthz with one shard down: %d", r.Code)
		}
	}
}
