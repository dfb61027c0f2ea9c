package handler_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/silenceper/wechat/v2/officialaccount"
	sdkconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/sirupsen/logrus"

	"zsjc/cache"
	"zsjc/handler"
	"zsjc/service"
	"zsjc/testenv"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// signedCallback is one prepared delivery: query and body.
type signedCallback struct {
	query string
	body  []byte
}

// prepareTexts signs and encrypts n distinct safe-mode text messages
// ("帮助", a distinct MsgId each, so our dedup claims every one anew).
func prepareTexts(b *testing.B, n int) []signedCallback {
	b.Helper()
	phone := wechattest.CallbackClient{Token: wechattest.CallbackToken, AppID: wechattest.AppID,
		EncodingAESKey: wechattest.EncodingAESKey, Mode: wechattest.Safe, Target: "/wechat/callback"}
	out := make([]signedCallback, n)
	for i := range out {
		req, err := phone.Request(wechattest.Text("o-bench", "帮助", int64(7_000_000+i)))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		out[i] = signedCallback{query: req.URL.RawQuery, body: body}
	}
	return out
}

// serveOne posts one prepared callback to h and checks the answer.
func serveOne(b *testing.B, h http.Handler, c signedCallback) {
	req := httptest.NewRequest(http.MethodPost, "/wechat/callback?"+c.query, bytes.NewReader(c.body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		b.Fatalf("answer %d %q", rec.Code, rec.Body)
	}
}

// BenchmarkWeChatCallback measures, in one run, the safe-mode text-message
// path of our server (full middleware, signature and msg_signature checks,
// decryption, dedup claim in the shared cache — Redis when
// ZSJC_TEST_REDIS_ADDR is set —, encrypted and signed passive reply)
// beside a bare Gin handler answering "success" and the SDK's own
// server.Serve (same checks and reply, no dedup, no limits). Each
// sub-benchmark runs one of them, one request at a time or, under
// "parallel/", 16 per CPU at once; "interleaved" runs all three in
// alternating chunks, so that load from other processes hits them alike,
// and reports the ratios: x-bare-gin is our throughput as a fraction of
// bare Gin's, x-sdk as a multiple of the SDK's.
func BenchmarkWeChatCallback(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	logrus.SetOutput(io.Discard)
	servers := []struct {
		name string
		make func(b *testing.B) http.Handler
	}{{"bare-gin", bareGin}, {"sdk-serve", sdkServe}, {"zsjc-dedup", zsjcServer}}
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			h, calls := s.make(b), prepareTexts(b, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				serveOne(b, h, calls[i])
			}
		})
	}
	// Throughput with many deliveries in flight, as a server sees them: the
	// round trip to Redis overlaps with other requests' work.
	for _, s := range servers {
		b.Run("parallel/"+s.name, func(b *testing.B) {
			h, calls := s.make(b), prepareTexts(b, b.N)
			var next atomic.Int64
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serveOne(b, h, calls[next.Add(1)-1])
				}
			})
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		runs := make([]func(int), len(servers))
		for k, s := range servers {
			h, calls := s.make(b), prepareTexts(b, b.N)
			runs[k] = func(i int) { serveOne(b, h, calls[i]) }
		}
		spent := interleave(b, runs...)
		for k, s := range servers {
			b.ReportMetric(float64(spent[k].Nanoseconds())/float64(b.N), s.name+"-ns/op")
		}
		b.ReportMetric(float64(spent[0])/float64(spent[2]), "x-bare-gin")
		b.ReportMetric(float64(spent[1])/float64(spent[2]), "x-sdk")
	})
}

func bareGin(*testing.B) http.Handler {
	r := gin.New()
	r.POST("/wechat/callback", func(c *gin.Context) { c.String(http.StatusOK, "success") })
	return r
}

// sdkServe is the SDK's callback server answering our help text.
func sdkServe(b *testing.B) http.Handler {
	oa := officialaccount.NewOfficialAccount(&sdkconfig.Config{AppID: wechattest.AppID, AppSecret: wechattest.Secret,
		Token: wechattest.CallbackToken, EncodingAESKey: wechattest.EncodingAESKey,
		Cache: wechat.SDKCache{Store: cache.NewMemory()}})
	reply := helpReply(b)
	r := gin.New()
	r.POST("/wechat/callback", func(c *gin.Context) {
		srv := oa.GetServer(c.Request, c.Writer)
		srv.SetMessageHandler(func(*message.MixMessage) *message.Reply {
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(reply)}
		})
		if err := srv.Serve(); err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		_ = srv.Send()
	})
	return r
}

func benchCrypto(b *testing.B) *wechat.Crypto {
	crypto, err := wechat.NewCrypto(wechattest.CallbackToken, wechattest.AppID, wechattest.EncodingAESKey)
	if err != nil {
		b.Fatal(err)
	}
	return crypto
}

// zsjcServer is our whole HTTP stack with the callback, logging discarded.
func zsjcServer(b *testing.B) http.Handler {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{DB: testenv.DB(b), Cache: testenv.Cache(b), Log: quiet},
		service.Options{PublicURL: "https://zsjc.example.gov.cn"})
	return handler.New(handler.Deps{Service: svc, Log: quiet, Registry: prometheus.NewRegistry(), WeChat: benchCrypto(b)})
}

// helpReply is our reply to "帮助", so the SDK path answers the same text.
func helpReply(b *testing.B) string {
	b.Helper()
	phone := wechattest.CallbackClient{Token: wechattest.CallbackToken, AppID: wechattest.AppID,
		EncodingAESKey: wechattest.EncodingAESKey, Mode: wechattest.Safe, Target: "/wechat/callback"}
	r, err := phone.ServeTo(zsjcServer(b), wechattest.Text("o-bench", "帮助", 1))
	if err != nil || r.Content == "" {
		b.Fatalf("reference reply: %+v, %v", r, err)
	}
	return r.Content
}
