package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
)

// unreachableCache is a shared cache whose server cannot be reached.
type unreachableCache struct{ cache.Store }

var errUnreachable = errors.New("dial tcp 10.0.0.1:6379: i/o timeout")

func (unreachableCache) SetNX(context.Context, string, string, time.Duration) (bool, error) {
	return false, errUnreachable
}
func (unreachableCache) Get(context.Context, string) (string, error) { return "", errUnreachable }

// TestWeChatEventSurvivesAClaimantThatDied: an instance that claimed a
// subscribe event and died before recording it does not make WeChat's
// retry a lost duplicate. Within the apply hold a retry is answered as a
// duplicate (the first may still be working); after it, the retry applies
// the change, and from then on the claim holds for the whole dedup
// window. A message without a change is claimed for the whole window at
// once. Both with the shared cache and with the database fallback.
func TestWeChatEventSurvivesAClaimantThatDied(t *testing.T) {
	// Long enough that the retry "within the hold" comes within it on a
	// loaded machine.
	const hold = time.Second
	for name, store := range map[string]func(t testing.TB) cache.Store{
		"cache":    testenv.Cache,
		"database": func(testing.TB) cache.Store { return unreachableCache{cache.NewMemory()} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := testenv.DB(t)
			svc := service.New(service.Deps{DB: db, Cache: store(t)}, service.Options{})
			svc.SetCallbackApplyHold(hold)
			followers := func() int64 {
				var n int64
				if err := db.Model(&model.WeChatUser{}).Where("open_id = ? AND subscribed = ?", "o-died", true).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}
			deliver := func(e service.WeChatEvent) service.WeChatOutcome {
				out, err := svc.HandleWeChatEvent(ctx, e)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}

			subscribe := service.WeChatEvent{OpenID: "o-died", CreateTime: time.Now().Unix(), MsgType: "event", Event: "subscribe"}
			if !svc.ClaimWeChatEventAndDie(ctx, subscribe) {
				t.Fatal("the first claim was not won")
			}
			if out := deliver(subscribe); !out.Duplicate || followers() != 0 {
				t.Fatalf("a retry within the hold: %+v, %d followers", out, followers())
			}
			time.Sleep(hold + 100*time.Millisecond)
			if out := deliver(subscribe); out.Duplicate || followers() != 1 {
				t.Fatalf("a retry after the hold: %+v, %d followers; want the change applied", out, followers())
			}
			time.Sleep(hold + 100*time.Millisecond)
			if out := deliver(subscribe); !out.Duplicate {
				t.Fatalf("a retry after the change was applied: %+v; want a duplicate", out)
			}

			text := service.WeChatEvent{OpenID: "o-died", CreateTime: time.Now().Unix(), MsgType: "text", Content: "预约", MsgID: 990001}
			if !svc.ClaimWeChatEventAndDie(ctx, text) {
				t.Fatal("the text message's claim was not won")
			}
			time.Sleep(hold + 100*time.Millisecond)
			if out := deliver(text); !out.Duplicate {
				t.Fatalf("a text message with nothing to apply was claimed only for the hold: %+v", out)
			}
		})
	}
}

// TestWeChatEventFieldsAreReadAsThePlatformMeansThem, from replaying the
// public SDKs' callback fixtures: only a qrscene_ key of a subscribe is a
// case QR code (a follow after a WeChat Pay payment carries another key),
// and an Event field acts only on an event, not on a message carrying one.
func TestWeChatEventFieldsAreReadAsThePlatformMeansThem(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	svc := service.New(service.Deps{DB: db, Cache: testenv.Cache(t)}, service.Options{})
	const caseNo = "京检刑受〔2026〕1号"
	at := time.Now().Unix()
	for _, tc := range []struct {
		name      string
		e         service.WeChatEvent
		follower  bool
		scene     string
		bindOffer bool
	}{
		{"follow after a payment", service.WeChatEvent{OpenID: "o-pay", MsgType: "event", Event: "subscribe", EventKey: "last_trade_no_4200000012345"}, true, "", false},
		{"follow from a case QR code", service.WeChatEvent{OpenID: "o-qr", MsgType: "event", Event: "subscribe", EventKey: "qrscene_" + caseNo}, true, caseNo, true},
		{"scan by a follower", service.WeChatEvent{OpenID: "o-scan", MsgType: "event", Event: "SCAN", EventKey: caseNo}, true, caseNo, true},
		{"a text message with an Event field", service.WeChatEvent{OpenID: "o-text", MsgType: "text", Event: "subscribe", EventKey: "qrscene_" + caseNo, Content: "你好", MsgID: 880001}, false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.e.CreateTime = at
			out, err := svc.HandleWeChatEvent(ctx, tc.e)
			if err != nil {
				t.Fatal(err)
			}
			var u model.WeChatUser
			err = db.Where("open_id = ?", tc.e.OpenID).Take(&u).Error
			if tc.follower != (err == nil) || u.Scene != tc.scene {
				t.Errorf("follower recorded %v (%v), scene %q; want %v, %q", err == nil, err, u.Scene, tc.follower, tc.scene)
			}
			if got := strings.Contains(out.Reply, "点此绑定该案件"); got != tc.bindOffer {
				t.Errorf("reply offers to bind a case: %v, want %v: %q", got, tc.bindOffer, out.Reply)
			}
		})
	}
}
