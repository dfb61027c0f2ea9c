package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisCluster is a real three-master, three-replica Redis Cluster of
// local redis-server processes, private to one test.
type RedisCluster struct {
	t     testing.TB
	dir   string
	Ports []int
	nodes map[int]*redis.Client
}

// RequireClusterVar makes StartRedisCluster fail rather than skip when
// redis-server is missing (CI sets it).
const RequireClusterVar = "ZSJC_REQUIRE_CLUSTER"

// StartRedisCluster starts six nodes in a temporary directory and joins
// them into a cluster, waiting until every slot is served. The processes
// are killed at cleanup, whatever the test's outcome.
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv(RequireClusterVar) == "1" {
				t.Fatalf("%s is required (%s=1): %v", bin, RequireClusterVar, err)
			}
			t.Skipf("%s not installed: the Redis Cluster test needs redis-server 7 (set %s=1 to require it)", bin, RequireClusterVar)
		}
	}
	rc := &RedisCluster{t: t, dir: t.TempDir(), Ports: freeClusterPorts(t, 6), nodes: map[int]*redis.Client{}}
	t.Cleanup(rc.stop)
	for _, port := range rc.Ports {
		p := strconv.Itoa(port)
		out, err := exec.Command("redis-server", "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(rc.dir, "nodes-"+p+".conf"), "--cluster-node-timeout", "1000",
			"--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", rc.dir,
			"--pidfile", rc.pidFile(port), "--logfile", filepath.Join(rc.dir, p+".log")).CombinedOutput()
		if err != nil {
			t.Fatalf("start redis-server on %d: %v: %s", port, err, out)
		}
	}
	for _, port := range rc.Ports {
		rc.waitFor(fmt.Sprintf("node %d to answer", port), func(ctx context.Context) bool {
			return rc.node(port).Ping(ctx).Err() == nil
		})
	}
	args := []string{"--cluster", "create"}
	for _, a := range rc.Addrs() {
		args = append(args, a)
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %s", err, out)
	}
	for _, port := range rc.Ports {
		rc.waitFor(fmt.Sprintf("node %d to see the cluster ok, each master with its replica", port), func(ctx context.Context) bool {
			info, err := rc.node(port).ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false
			}
			shards, err := rc.node(port).ClusterSlots(ctx).Result()
			if err != nil || len(shards) < 3 {
				return false
			}
			for _, s := range shards {
				if len(s.Nodes) < 2 {
					return false
				}
			}
			return true
		})
	}
	return rc
}

// Addrs lists every node as host:port.
func (rc *RedisCluster) Addrs() []string {
	var out []string
	for _, p := range rc.Ports {
		out = append(out, "127.0.0.1:"+strconv.Itoa(p))
	}
	return out
}

func (rc *RedisCluster) pidFile(port int) string {
	return filepath.Join(rc.dir, strconv.Itoa(port)+".pid")
}

// node is a plain client of one node (the test's own goroutine only).
func (rc *RedisCluster) node(port int) *redis.Client {
	if c, ok := rc.nodes[port]; ok {
		return c
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DialTimeout: 300 * time.Millisecond,
		DialerRetries: 1, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1})
	rc.nodes[port] = c
	return c
}

// MasterOf returns the port of the master serving key's slot and the port
// of its replica.
func (rc *RedisCluster) MasterOf(key string) (master, replica int) {
	rc.t.Helper()
	ctx := context.Background()
	slot, err := rc.node(rc.Ports[0]).ClusterKeySlot(ctx, key).Result()
	if err != nil {
		rc.t.Fatalf("cluster keyslot: %v", err)
	}
	for _, port := range rc.Ports {
		shards, err := rc.node(port).ClusterSlots(ctx).Result()
		if err != nil {
			continue
		}
		for _, s := range shards {
			if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 1 {
				return portOf(rc.t, s.Nodes[0].Addr), portOf(rc.t, s.Nodes[1].Addr)
			}
		}
	}
	rc.t.Fatalf("no master with a replica serves slot %d", slot)
	return 0, 0
}

func portOf(t testing.TB, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("node address %q: %v", addr, err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// WaitReplicated waits until the master on port has sent its replica
// everything it has (so that killing it loses nothing written so far).
func (rc *RedisCluster) WaitReplicated(port int) {
	rc.waitFor(fmt.Sprintf("node %d's replica to catch up", port), func(ctx context.Context) bool {
		n, err := rc.node(port).Do(ctx, "WAIT", 1, 100).Int()
		return err == nil && n >= 1
	})
}

// Kill ends the node on port at once (SIGKILL), as a crash would.
func (rc *RedisCluster) Kill(port int) {
	rc.t.Helper()
	if err := rc.signal(port, syscall.SIGKILL); err != nil {
		rc.t.Fatalf("kill node %d: %v", port, err)
	}
}

// WaitMaster waits until port is a master, as seen by node from, and
// returns when that was first seen.
func (rc *RedisCluster) WaitMaster(port, from int) time.Time {
	rc.waitFor(fmt.Sprintf("node %d to be promoted", port), func(ctx context.Context) bool {
		role, err := rc.node(port).Do(ctx, "ROLE").Slice()
		if err != nil || len(role) == 0 || role[0] != "master" {
			return false
		}
		info, err := rc.node(from).ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	return time.Now()
}

func (rc *RedisCluster) waitFor(what string, ok func(context.Context) bool) {
	rc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		done := ok(ctx)
		cancel()
		if done {
			return
		}
		if time.Now().After(deadline) {
			rc.t.Fatalf("redis cluster: gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (rc *RedisCluster) signal(port int, sig syscall.Signal) error {
	raw, err := os.ReadFile(rc.pidFile(port))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return err
	}
	return syscall.Kill(pid, sig)
}

// stop kills every node still running.
func (rc *RedisCluster) stop() {
	for _, c := range rc.nodes {
		c.Close()
	}
	for _, port := range rc.Ports {
		_ = rc.signal(port, syscall.SIGKILL)
	}
}

// freeClusterPorts picks n ports that are free, as are their cluster bus
// ports (port+10000).
func freeClusterPorts(t testing.TB, n int) []int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(9000)
		ok := true
		for p := base; p < base+n && ok; p++ {
			ok = portFree(p) && portFree(p+10000)
		}
		if ok {
			ports := make([]int, n)
			for i := range ports {
				ports[i] = base + i
			}
			return ports
		}
	}
	t.Fatal("no free ports for a Redis Cluster")
	return nil
}

func portFree(p int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
