package handler

import (
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"zsjc/secure"
)

const (
	ctxLogger    = "zsjc.logger"
	ctxRequestID = "zsjc.request_id"
	headerReqID  = "X-Request-ID"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID takes a well-formed X-Request-ID from the proxy or makes one,
// echoes it, and gives the request a logger that carries it.
func requestID(base *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerReqID)
		if !requestIDPattern.MatchString(id) {
			id = secure.Token(12)
		}
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, &requestLog{base: base, id: id})
		c.Header(headerReqID, id)
		c.Next()
	}
}

// requestLog is a request's id and its logger, which carries the id and is
// built on first use: most requests log only the access line, which
// accessLog writes without it.
type requestLog struct {
	base   *slog.Logger
	id     string
	logger *slog.Logger
}

func (r *requestLog) get() *slog.Logger {
	if r.logger == nil {
		r.logger = r.base.With("request_id", r.id)
	}
	return r.logger
}

// securityHeaders keeps browsers from sniffing types, framing our pages on other sites or
// leaking paths (which may hold ids) to other sites in the Referer.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN") // the sandbox phone frames our own pages
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// accessLog writes one structured line per request. It logs the path only,
// never the query string, which may carry OAuth codes or search terms.
func accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	l, idAttr := slog.Default(), slog.Attr{}
	if r, ok := c.Get(ctxLogger); ok {
		rl := r.(*requestLog)
		l, idAttr = rl.base, slog.String("request_id", rl.id) // the same line as rl.get().LogAttrs
	}
	if !l.Enabled(c.Request.Context(), level) {
		return
	}
	l.LogAttrs(c.Request.Context(), level, "http", idAttr,
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Int("bytes", c.Writer.Size()),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("ip", c.ClientIP()),
	)
}

// recovery turns a panic into a logged 500 with the JSON error body.
func recovery(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			logger(c).Error("panic", "panic", r)
			c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{errorDetail{errInternal.Code, errInternal.Message, nil}})
		}
	}()
	c.Next()
}

// bodyLimit caps the request body: limits[route] where a route asks for
// more (uploads), def everywhere else.
func bodyLimit(def int64, limits map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := def
		if l, ok := limits[c.FullPath()]; ok {
			n = l
		}
		if c.Request.ContentLength > n {
			fail(c, errTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// httpMetrics counts requests and their latency by route pattern.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zsjc_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "zsjc_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *httpMetrics) handler(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched" // keeps label cardinality bounded
	}
	method := c.Request.Method
	if !knownMethods[method] {
		method = "other" // clients choose the method token: keep the label set bounded
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
}
