package handler

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"zsjc/model"
	"zsjc/service"
	"zsjc/wechat"
)

const (
	wechatCallbackPath = "/wechat/callback"
	// maxCallbackBody: WeChat's messages are a few KiB at most.
	maxCallbackBody = 64 << 10
	// callbackBudget is our share of WeChat's 5 s wait, leaving room for
	// the network; a slower answer makes WeChat retry.
	callbackBudget = 4 * time.Second
	// sandboxPlatformPath is where the fake platform is mounted in dev mode.
	sandboxPlatformPath = "/sandbox/wx"
)

// wechatMetrics are the callback's counters (names pinned in docs/design.md §7.6).
type wechatMetrics struct {
	callbacks *prometheus.CounterVec
	latency   prometheus.Histogram
}

func newWeChatMetrics(reg prometheus.Registerer) *wechatMetrics {
	m := &wechatMetrics{
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zsjc_wechat_callbacks_total",
			Help: "WeChat callbacks by outcome: handled, duplicate (a retry answered again) or rejected (4xx).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "zsjc_wechat_callback_duration_seconds",
			Help:    "Time to answer a WeChat callback (WeChat gives up after 5 s).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 4, 5},
		}),
	}
	reg.MustRegister(m.callbacks, m.latency)
	for _, o := range []string{"handled", "duplicate", "rejected"} {
		m.callbacks.WithLabelValues(o) // exported at 0 from the start
	}
	return m
}

// wechatCallback serves WeChat's callback URL. Verification, decryption
// and reply sealing are wechat.Crypto's; what an event does is the
// service's.
type wechatCallback struct {
	crypto  *wechat.Crypto
	svc     *service.Service
	metrics *wechatMetrics
}

// wechatRoutes mounts GET/POST /wechat/callback and, in the dev sandbox,
// the fake WeChat platform under /sandbox/wx.
func (s *Server) wechatRoutes(r *gin.Engine) {
	if s.wechat != nil {
		h := &wechatCallback{crypto: s.wechat, svc: s.svc, metrics: newWeChatMetrics(s.reg)}
		r.GET(wechatCallbackPath, h.verify)
		r.POST(wechatCallbackPath, h.post)
		// The handler enforces maxCallbackBody itself, so that an
		// oversized body is counted as a rejected callback too.
		s.bodyLimits[wechatCallbackPath] = math.MaxInt64
	}
	if s.dev && s.sandbox != nil && s.sandbox.Platform != nil {
		r.Any(sandboxPlatformPath+"/*path", s.loopbackOnly, gin.WrapH(http.StripPrefix(sandboxPlatformPath, s.sandbox.Platform)))
	}
}

// verify answers the URL check: echostr back only with a valid signature.
func (h *wechatCallback) verify(c *gin.Context) {
	start := time.Now()
	echo, err := h.crypto.VerifyEcho(c.Request.URL.Query(), h.svc.Now())
	if err != nil {
		h.reject(c, start, err)
		return
	}
	h.done(start, "handled")
	c.String(http.StatusOK, echo)
}

// post handles one message or event: verify and decode, act once across
// instances, answer the passive reply (encrypted in safe mode) or
// "success". Rejections are 4xx and change nothing.
// errBodyChanged: a plaintext callback's signed query string came with a
// body other than the one first seen with it.
var errBodyChanged = &wechat.Rejection{Reason: "body_changed", Forbidden: true}

func (h *wechatCallback) post(c *gin.Context) {
	start := time.Now()
	if c.Request.ContentLength > maxCallbackBody {
		h.reject(c, start, &http.MaxBytesError{Limit: maxCallbackBody})
		return
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	if n := c.Request.ContentLength; n > 0 {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom keeps MinRead spare
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBody))
	body := buf.Bytes()
	if err != nil {
		h.reject(c, start, err)
		return
	}
	in, err := h.crypto.Open(c.Request.URL.Query(), body, h.svc.Now()) // in keeps no part of body
	if err != nil {
		h.reject(c, start, err)
		return
	}
	if !in.Encrypted {
		q := c.Request.URL.Query()
		same, err := h.svc.BindPlaintextBody(c.Request.Context(), q.Get("timestamp"), q.Get("nonce"), body, wechat.ReplayWindow)
		if err != nil {
			logger(c).Error("wechat callback failed", "err", err)
			fail(c, errCallbackUnavailable)
			return
		}
		if !same {
			h.reject(c, start, errBodyChanged)
			return
		}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), callbackBudget)
	defer cancel()
	m := in.Message
	ev := service.WeChatEvent{
		OpenID: m.FromUserName, CreateTime: m.CreateTime, MsgType: m.MsgType, Event: m.Event,
		EventKey: m.EventKey, Content: m.Content, MsgID: m.MsgID, TemplateMsgID: m.TemplateMsgID, Status: m.Status,
	}
	for _, it := range m.Subscriptions {
		ev.Subscriptions = append(ev.Subscriptions, service.SubscribeChange{TemplateID: it.TemplateID, Status: it.Status,
			Scene: it.PopupScene, MsgID: it.MsgID, ErrorCode: it.ErrorCode, ErrorStatus: it.ErrorStatus})
	}
	out, err := h.svc.HandleWeChatEvent(ctx, ev)
	if err != nil {
		// Storage trouble: 503 so that WeChat's retry tries again.
		logger(c).Error("wechat callback failed", "msg_type", m.MsgType, "event", m.Event, "err", err)
		fail(c, errCallbackUnavailable)
		return
	}
	outcome := "handled"
	if out.Duplicate {
		outcome = "duplicate"
	}
	if out.Reply == "" {
		h.done(start, outcome)
		c.String(http.StatusOK, "success")
		return
	}
	replyBuf := replyBuffers.Get().(*[]byte)
	defer putReplyBuffer(replyBuf) // c.Data has copied the reply out by then
	reply, err := h.crypto.AppendReply((*replyBuf)[:0], in, out.Reply, h.svc.Now())
	*replyBuf = reply
	if err != nil {
		logger(c).Error("wechat reply", "err", err)
		h.done(start, outcome)
		c.String(http.StatusOK, "success") // the event is handled; only the reply is lost
		return
	}
	h.done(start, outcome)
	c.Data(http.StatusOK, "application/xml; charset=utf-8", reply)
}

// bodyBuffers and replyBuffers recycle the callback bodies and the
// encrypted replies (a few KiB each).
var (
	bodyBuffers  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	replyBuffers = sync.Pool{New: func() any { return new([]byte) }}
)

func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxCallbackBody+bytes.MinRead {
		b.Reset()
		bodyBuffers.Put(b)
	}
}

func putReplyBuffer(b *[]byte) {
	if cap(*b) <= maxCallbackBody {
		replyBuffers.Put(b)
	}
}

var (
	errCallbackForbidden   = model.NewError(model.KindForbidden, "wechat_signature_invalid", "微信回调签名校验失败")
	errCallbackMalformed   = model.NewError(model.KindBadRequest, "wechat_message_invalid", "微信回调消息无法解析")
	errCallbackUnavailable = model.NewError(model.KindUnavailable, "wechat_callback_unavailable", "暂时无法处理，请稍后重试")
)

// reject answers a refused callback with a 4xx and counts it.
func (h *wechatCallback) reject(c *gin.Context, start time.Time, err error) {
	h.done(start, "rejected")
	var rej *wechat.Rejection
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		logger(c).Warn("wechat callback rejected", "reason", "too_large")
		fail(c, errTooLarge)
	case errors.As(err, &rej):
		logger(c).Warn("wechat callback rejected", "reason", rej.Reason)
		if rej.Forbidden {
			fail(c, errCallbackForbidden)
		} else {
			fail(c, errCallbackMalformed)
		}
	default:
		logger(c).Warn("wechat callback rejected", "reason", "unreadable_body", "err", err)
		fail(c, errCallbackMalformed)
	}
}

func (h *wechatCallback) done(start time.Time, outcome string) {
	h.metrics.callbacks.WithLabelValues(outcome).Inc()
	h.metrics.latency.Observe(time.Since(start).Seconds())
}
