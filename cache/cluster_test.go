package cache_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"zsjc/cache"
	"zsjc/testenv"
)

// TestRedisClusterBehindOneAddress: one Cluster node's address gets the
// cluster client (keys on every slot work, no MOVED), a Ping reaches every
// master, and the test cleanup leaves no key behind on any master.
func TestRedisClusterBehindOneAddress(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	ctx := context.Background()
	client, isCluster, err := cache.ConnectRedis(ctx, rc.Addrs()[0], "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, ok := client.(*redis.ClusterClient); !ok || !isCluster {
		t.Fatalf("one cluster node's address gave a %T (cluster %v), want the cluster client", client, isCluster)
	}
	store := cache.NewRedis(client, "detect:")
	for i := range 100 { // spread over the three masters' slots
		key := fmt.Sprintf("k%d", i)
		if err := store.Set(ctx, key, "v", time.Minute); err != nil {
			t.Fatalf("set %s through one address: %v", key, err)
		}
	}
	got, err := store.GetMulti(ctx, "k1", "k2", "k3", "k50")
	if err != nil || len(got) != 4 {
		t.Fatalf("get multi across slots: %v %v", got, err)
	}
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("ping every master: %v", err)
	}

	t.Run("cleanup", func(t *testing.T) {
		c, _ := testenv.RedisCacheWithPrefix(t, strings.Join(rc.Addrs(), ","))
		for i := range 100 {
			if err := c.Set(ctx, fmt.Sprintf("k%d", i), "v", time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	})
	var (
		mu   sync.Mutex
		left []string
	)
	err = client.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, "zsjc_t_*").Result()
		mu.Lock() // fn runs on every master at once
		left = append(left, keys...)
		mu.Unlock()
		return err
	})
	if err != nil || len(left) != 0 {
		t.Fatalf("test cleanup left %d keys on the masters (%v): %v", len(left), err, left[:min(len(left), 5)])
	}
}

// TestConnectRedisSingleServer: a plain server stays a plain client, and
// an address nothing answers on is refused with a message saying to list
// the nodes of a Cluster, when the caller's deadline passes.
func TestConnectRedisSingleServer(t *testing.T) {
	ctx := context.Background()
	if addr := testenv.RedisAddr(); addr != "" && !strings.Contains(addr, ",") {
		client, isCluster, err := cache.ConnectRedis(ctx, addr, "", "")
		if err != nil {
			t.Fatal(err)
		}
		client.Close()
		if isCluster {
			t.Fatalf("the standalone test server at %s was taken for a cluster", addr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	_, _, err = cache.ConnectRedis(ctx, dead, "", "")
	if err == nil || !strings.Contains(err.Error(), "list several nodes") {
		t.Fatalf("unreachable single address: %v", err)
	}
}
