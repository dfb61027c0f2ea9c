package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client timing. WeChat waits 5 s for a callback and a phone user not much
// longer, so a dead node must cost a request well under a second per try,
// and a request never more than a few tries:
//
//   - one dial attempt (go-redis makes 5 by default, 10 s behind a dropped
//     host), reads and writes bounded alike;
//   - one retry on a standalone or Sentinel client, at most two more
//     nodes tried by the cluster client;
//   - the cluster's slot map reloaded on every connection error (see
//     Redis.failed), not only on MOVED, so the replica promoted in place of
//     a dead master is used as soon as it is elected; and in any case every
//     few seconds.
const (
	redisDialTimeout   = 700 * time.Millisecond
	redisIOTimeout     = 700 * time.Millisecond
	redisPoolTimeout   = time.Second
	redisMaxRetries    = 1
	redisMaxRedirects  = 2
	redisMinBackoff    = 10 * time.Millisecond
	redisMaxBackoff    = 100 * time.Millisecond
	redisClusterReload = 5 * time.Second
)

// RedisAddrs splits comma-separated addresses.
func RedisAddrs(addrs string) []string {
	var list []string
	for _, a := range strings.Split(addrs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			list = append(list, a)
		}
	}
	return list
}

// NewRedisClient builds a client from comma-separated addresses: master
// set → Sentinel, several addresses → Cluster, one → standalone (see
// ConnectRedis for one address that is a Cluster node).
func NewRedisClient(addrs, password, master string) redis.UniversalClient {
	list := RedisAddrs(addrs)
	switch {
	case master != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: master, SentinelAddrs: list, Password: password,
			DialTimeout: redisDialTimeout, DialerRetries: 1, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
			PoolTimeout: redisPoolTimeout, MaxRetries: redisMaxRetries,
			MinRetryBackoff: redisMinBackoff, MaxRetryBackoff: redisMaxBackoff,
		})
	case len(list) > 1:
		return newClusterClient(list, password)
	}
	return redis.NewClient(&redis.Options{
		Addr: strings.Join(list, ""), Password: password,
		DialTimeout: redisDialTimeout, DialerRetries: 1, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
		PoolTimeout: redisPoolTimeout, MaxRetries: redisMaxRetries,
		MinRetryBackoff: redisMinBackoff, MaxRetryBackoff: redisMaxBackoff,
	})
}

func newClusterClient(addrs []string, password string) *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: addrs, Password: password,
		DialTimeout: redisDialTimeout, DialerRetries: 1, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
		PoolTimeout: redisPoolTimeout, MaxRedirects: redisMaxRedirects,
		MinRetryBackoff: redisMinBackoff, MaxRetryBackoff: redisMaxBackoff,
		ClusterStateReloadInterval: redisClusterReload,
	})
}

// redisProbeFor is how long ConnectRedis waits for a single address to
// answer before refusing to guess whether it is a Cluster node.
const redisProbeFor = 10 * time.Second

// ConnectRedis is NewRedisClient that also recognises a single address
// that is a Redis Cluster node (managed clusters often give one endpoint):
// it asks CLUSTER INFO and, on a cluster, returns the cluster client,
// which learns the other nodes from that one. cluster reports it.
func ConnectRedis(ctx context.Context, addrs, password, master string) (client redis.UniversalClient, cluster bool, err error) {
	client = NewRedisClient(addrs, password, master)
	single, ok := client.(*redis.Client)
	if !ok || master != "" {
		_, cluster = client.(*redis.ClusterClient)
		return client, cluster, nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisProbeFor)
	defer cancel()
	for {
		err = single.ClusterInfo(ctx).Err()
		var rerr redis.Error
		switch {
		case err == nil:
			single.Close()
			return newClusterClient(RedisAddrs(addrs), password), true, nil
		case errors.As(err, &rerr): // "ERR This instance has cluster support disabled"
			return single, false, nil
		}
		select {
		case <-ctx.Done():
			single.Close()
			return nil, false, fmt.Errorf("redis at %s did not answer within %s, so whether it is a single server or "+
				"a Cluster node is unknown (for a Cluster, list several nodes separated by commas): %w", addrs, redisProbeFor, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// fail wraps a command's error. Any error but a miss may mean a cluster
// node is gone and a replica was promoted in its place (a dial error, a
// timeout, CLUSTERDOWN), so a cluster client reloads its slot map in the
// background; go-redis coalesces the reloads.
func (r *Redis) fail(ctx context.Context, op string, err error) error {
	if cc, ok := r.client.(*redis.ClusterClient); ok {
		cc.ReloadState(ctx)
	}
	return fmt.Errorf("redis %s: %w", op, err)
}
