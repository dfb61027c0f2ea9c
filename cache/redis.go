package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store on a go-redis UniversalClient (standalone, Sentinel or
// Cluster). Every key is prefixed so that several deployments or test runs
// can share one server.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis wraps client; prefix is prepended to every key.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Client exposes the underlying client for adapters that need it.
func (r *Redis) Client() redis.UniversalClient { return r.client }

// Prefix is what every key of this store starts with.
func (r *Redis) Prefix() string { return r.prefix }

func (r *Redis) k(key string) string { return r.prefix + key }

func (r *Redis) Get(ctx context.Context, key string) (string, error) {
	v, err := r.client.Get(ctx, r.k(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrMiss
	}
	if err != nil {
		return "", r.fail(ctx, "get", err)
	}
	return v, nil
}

// GetMulti pipelines one GET per key rather than sending an MGET: in a
// cluster the keys may live on different slots, and the pipeline is split
// by node.
func (r *Redis) GetMulti(ctx context.Context, keys ...string) (map[string]string, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, r.k(k))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, r.fail(ctx, "get", err)
	}
	out := make(map[string]string, len(keys))
	for i, c := range cmds {
		v, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, r.fail(ctx, "get", err)
		}
		out[keys[i]] = v
	}
	return out, nil
}

func (r *Redis) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := r.client.Set(ctx, r.k(key), value, ttl).Err(); err != nil {
		return r.fail(ctx, "set", err)
	}
	return nil
}

func (r *Redis) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	err := r.client.SetArgs(ctx, r.k(key), value, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, r.fail(ctx, "setnx", err)
	}
	return true, nil
}

// incrScript increments and starts the window on the first increment, in
// one round trip so a crash between INCR and EXPIRE cannot leave a counter
// that never expires.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	n, err := incrScript.Run(ctx, r.client, []string{r.k(key)}, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, r.fail(ctx, "incr", err)
	}
	return n, nil
}

var decrScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0`)

func (r *Redis) Decr(ctx context.Context, key string) error {
	if err := decrScript.Run(ctx, r.client, []string{r.k(key)}).Err(); err != nil {
		return fmt.Errorf("redis decr: %w", err)
	}
	return nil
}

func (r *Redis) TTL(ctx context.Context, key string) (time.Duration, error) {
	d, err := r.client.PTTL(ctx, r.k(key)).Result()
	if err != nil {
		return 0, r.fail(ctx, "ttl", err)
	}
	if d == -2 { // go-redis passes PTTL's -2 (no such key) through unscaled
		return 0, ErrMiss
	}
	if d < 0 {
		return -1, nil
	}
	return d, nil
}

func (r *Redis) Del(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.k(k)
	}
	// One DEL per key: in a cluster the keys may live on different slots.
	for _, k := range full {
		if err := r.client.Del(ctx, k).Err(); err != nil {
			return r.fail(ctx, "del", err)
		}
	}
	return nil
}

var delIfEqualScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

func (r *Redis) DelIfEqual(ctx context.Context, key, value string) (bool, error) {
	n, err := delIfEqualScript.Run(ctx, r.client, []string{r.k(key)}, value).Int64()
	if err != nil {
		return false, r.fail(ctx, "del-if-equal", err)
	}
	return n == 1, nil
}

var expireIfEqualScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

func (r *Redis) ExpireIfEqual(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	n, err := expireIfEqualScript.Run(ctx, r.client, []string{r.k(key)}, value, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, r.fail(ctx, "expire-if-equal", err)
	}
	return n == 1, nil
}

// Ping checks the server the way the code uses it: on a cluster, every
// master (keys live on all of them), as per a freshly read slot map, so a
// replica promoted after a master died counts and the dead master does not.
func (r *Redis) Ping(ctx context.Context) error {
	var err error
	if cc, ok := r.client.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			if err := node.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("master %s: %w", node.Options().Addr, err)
			}
			return nil
		})
	} else {
		err = r.client.Ping(ctx).Err()
	}
	if err != nil {
		return r.fail(ctx, "ping", err)
	}
	return nil
}

// SetRedisLogger sends go-redis's own messages (dial failures, pool
// trouble) to log as structured warnings instead of plain stderr lines.
func SetRedisLogger(log *slog.Logger) { redis.SetLogger(redisLog{log}) }

type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
