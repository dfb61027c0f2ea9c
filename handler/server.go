// Package handler is the HTTP layer: Gin routes and middleware, request and
// response shapes, and the one mapping from domain errors to HTTP statuses.
// Handlers decode, validate the shape, call the service and render; business
// rules live in package service.
package handler

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"zsjc/service"
	"zsjc/wechat"
)

// Pinger is a dependency /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the HTTP layer needs.
type Deps struct {
	Service *service.Service
	Log     *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics.
	Registry *prometheus.Registry
	// Ready lists the dependencies /readyz pings, by name ("db", "redis").
	Ready map[string]Pinger
	// BodyLimit caps request bodies outside upload routes.
	BodyLimit int64
	// PublicURL is the external base URL ("" in tests).
	PublicURL string
	Dev       bool
	// TrustedProxies are the proxies (IPs, CIDRs) whose X-Forwarded-For
	// gives the client address; none by default.
	TrustedProxies []string
	// Sandbox is the fake WeChat platform the /sandbox page drives; used
	// only in dev mode (nil elsewhere).
	Sandbox *Sandbox
	// WeChat verifies, decrypts and answers /wechat/callback (nil: the
	// route is not mounted).
	WeChat *wechat.Crypto
	// DevLoopbackOnly serves the dev login and the sandbox to loopback
	// peers only (dev mode with a MySQL DSN).
	DevLoopbackOnly bool
	// MetricsElsewhere: /metrics is served on its own listener
	// (ZSJC_METRICS_ADDR, in prod), not on this public one.
	MetricsElsewhere bool
}

// Server holds the routes' dependencies.
type Server struct {
	svc        *service.Service
	log        *slog.Logger
	reg        *prometheus.Registry
	ready      map[string]Pinger
	publicURL  string
	secure     bool // cookies get the Secure flag (public URL is https)
	dev        bool
	sandbox    *Sandbox
	wechat     *wechat.Crypto
	bodyLimits map[string]int64
	// permissions are the staff routes each role may call (the RBAC table).
	permissions map[string][]string
	// devLoopbackOnly: see Deps.DevLoopbackOnly.
	devLoopbackOnly bool
}

// New builds the HTTP handler.
func New(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.BodyLimit == 0 {
		d.BodyLimit = 1 << 20
	}
	s := &Server{
		svc: d.Service, log: d.Log, reg: d.Registry, ready: d.Ready,
		publicURL: d.PublicURL, dev: d.Dev, sandbox: d.Sandbox, wechat: d.WeChat, bodyLimits: map[string]int64{},
		devLoopbackOnly: d.DevLoopbackOnly,
	}
	if u, err := url.Parse(d.PublicURL); err == nil && u.Scheme == "https" {
		s.secure = true
	}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Route on the escaped path, so that a case number holding "/" (sent
	// as %2F) stays one path segment; parameters are unescaped after.
	r.UseRawPath = true
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Error("trusted proxies ignored", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.ContextWithFallback = true
	r.NoRoute(noRoute)
	r.NoMethod(func(c *gin.Context) { fail(c, errMethod) })
	metrics := newHTTPMetrics(d.Registry)
	r.Use(requestID(d.Log), recovery, securityHeaders, accessLog, metrics.handler, bodyLimit(d.BodyLimit, s.bodyLimits))

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	if !d.MetricsElsewhere {
		r.GET("/metrics", gin.WrapH(MetricsHandler(d.Registry)))
	}

	s.routes(r)
	s.pages(r)
	return r
}

// MetricsHandler serves the registry's metrics (Prometheus text format).
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// routes registers the product's routes. Each area has one method that
// mounts its routes (add one line here), and staff routes are rows of the
// access table in staffTable.
func (s *Server) routes(r *gin.Engine) {
	h5 := r.Group("/api/h5", s.sameOriginWrites, s.requireUser, s.limitCreations)
	staff := r.Group("/api/staff")
	s.loginRoutes(r)
	s.vocabRoutes(r)
	s.meRoutes(h5)
	s.staffLoginRoutes(staff)
	table := s.staffTable()
	s.permissions = permissionsByRole(table)
	registerStaff(staff.Group("", s.requireStaff, s.auditStaffWrites), table)
	public := r.Group("/api/public")
	s.caseRoutes(h5, public)
	s.bindingRoutes(h5)
	s.privacyRoutes(h5, public)
	s.documentRoutes(h5, public)
	s.publicUnitRoutes(public)
	s.integrationRoutes(r)
	s.reviewRoutes(h5)
	s.meetingRoutes(h5)
	s.efileRoutes(h5)
	s.complaintRoutes(h5)
	s.ratingRoutes(h5)
	s.registerAppointmentMetrics()
	s.wechatRoutes(r)
	_ = h5
}

// staffTable is every authenticated staff route with the roles that may
// call it; each area contributes its rows.
func (s *Server) staffTable() []staffRoute {
	return slices.Concat(s.identityStaffRoutes(), s.caseStaffRoutes(), s.bindingStaffRoutes(), s.documentStaffRoutes(),
		s.pushStaffRoutes(), s.reviewStaffRoutes(), s.roomStaffRoutes(), s.meetingStaffRoutes(), s.efileStaffRoutes(), s.correctionStaffRoutes(), s.statsStaffRoutes(),
		s.complaintStaffRoutes(), s.ratingStaffRoutes())
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz pings every dependency, all at once so that a slow one does not
// use up another's time, and answers 503 naming the ones that failed.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		checks = gin.H{}
		failed []string
	)
	for name, p := range s.ready {
		wg.Go(func() {
			err := p.Ping(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.log.Warn("readiness check failed", "dependency", name, "err", err)
				checks[name] = "unreachable"
				failed = append(failed, name)
				return
			}
			checks[name] = "ok"
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		slices.Sort(failed)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "failed": failed, "checks": checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}
