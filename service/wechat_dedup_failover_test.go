package service_test

import (
	"context"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

// TestWeChatEventAppliedOnceWhenRedisIsCutBetweenDeliveries: instance A
// handles a subscribe event with Redis up; Redis is then cut (as at a
// failover, when A's claim may be lost with the old master, or B cannot
// reach it), and WeChat's retry of the same event reaches instance B. B
// must answer it as a duplicate and not apply it again, because the
// database row, not Redis, is the claim of an event that changes data.
func TestWeChatEventAppliedOnceWhenRedisIsCutBetweenDeliveries(t *testing.T) {
	if testenv.RedisAddr() == "" {
		t.Skip("cuts the connection to a real Redis: set ZSJC_TEST_REDIS_ADDR (CI does)")
	}
	ctx := context.Background()
	redis := testenv.NewProxy(t, testenv.RedisAddr())
	first, second := testenv.RedisCacheWithPrefix(t, redis.Addr())
	db, dsn := testenv.DBWithDSN(t)
	start := time.Now().UTC().Truncate(time.Second)
	a := service.New(service.Deps{DB: db, Cache: first, Now: func() time.Time { return start }}, service.Options{})
	b := service.New(service.Deps{DB: testenv.Open(t, db, dsn), Cache: second(),
		Now: func() time.Time { return start.Add(3 * time.Second) }}, service.Options{})

	subscribe := service.WeChatEvent{OpenID: "o-failover", CreateTime: start.Unix(), MsgType: "event", Event: "subscribe"}
	out, err := a.HandleWeChatEvent(ctx, subscribe)
	if err != nil || out.Duplicate {
		t.Fatalf("first delivery through A: %+v, %v", out, err)
	}
	redis.Cut()
	defer redis.Restore() // for the cleanup of the test's keys
	retry, err := b.HandleWeChatEvent(ctx, subscribe)
	if err != nil {
		t.Fatalf("retry through B with Redis cut: %v", err)
	}
	if !retry.Duplicate || retry.Reply != out.Reply {
		t.Fatalf("retry through B with Redis cut: %+v, want a duplicate answered with A's reply", retry)
	}
	var u model.WeChatUser
	if err := db.Where("open_id = ?", "o-failover").Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	if u.SubscribedAt == nil || !u.SubscribedAt.Equal(start) {
		t.Fatalf("subscribed_at %v, want A's %v: the event was applied twice", u.SubscribedAt, start)
	}
}
