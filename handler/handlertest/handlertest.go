// Package handlertest runs the whole HTTP stack in tests: a Service on the
// test database and cache (see testenv), the Gin handler, a movable clock,
// and helpers to log in as a WeChat user or a staff member and send requests.
package handlertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/config"
	"zsjc/filestore"
	"zsjc/handler"
	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/testenv"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// Clock is a settable clock shared by the service under test.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Env is one instance of the server under test.
type Env struct {
	T        testing.TB
	DB       *gorm.DB
	Cache    cache.Store
	Svc      *service.Service
	Handler  http.Handler
	Clock    *Clock
	Registry *prometheus.Registry
	Sealer   *secure.Sealer
	Options  service.Options
	Logs     *bytes.Buffer // everything the server logged
	// Platform is the fake WeChat platform (WithPlatform), served at PlatformURL.
	Platform    *wechattest.Platform
	PlatformURL string

	seq atomic.Int64
}

// TestDataKey is the data key every test instance shares.
var TestDataKey = bytes.Repeat([]byte{7}, 32)

// TestIntegrationSecret signs integration API requests in tests.
const TestIntegrationSecret = "test-integration-secret"

// Start is the clock's initial time: a Wednesday, 10:00 in Beijing.
var Start = time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)

// Option configures an instance beyond the defaults (no WeChat, no public
// URL, not in dev mode).
type Option func(*setup)

type setup struct {
	oauth     service.OAuth
	ticket    service.JSTicketSource
	appID     string
	publicURL string
	dev       bool
	platform  *wechattest.Platform
	callback  *wechat.Crypto
	files     service.FileStore
	limits    service.Limits
	privacy   config.PrivacyNotice
	efileOut  []string
	passwords service.PasswordDeliverer
	smsKinds  map[string]bool
	twoFactor service.TwoFactorPolicy
}

// WithWeChat connects the instance to a (fake) WeChat platform: its OAuth,
// its jsapi_ticket source and the AppID they belong to.
func WithWeChat(appID string, oauth service.OAuth, ticket service.JSTicketSource) Option {
	return func(s *setup) { s.appID, s.oauth, s.ticket = appID, oauth, ticket }
}

// WithPlatform connects the instance to the fake WeChat platform p, served
// over HTTP for the test: OAuth and the jsapi_ticket go through the real
// client (package wechat) to it. Env.Platform and Env.PlatformURL name it.
func WithPlatform(p *wechattest.Platform) Option { return func(s *setup) { s.platform = p } }

// WithCallback mounts /wechat/callback with the account's callback
// secrets c.
func WithCallback(c *wechat.Crypto) Option { return func(s *setup) { s.callback = c } }

// WithFiles keeps the instance's files in store (by default each instance
// has a private directory, as separate servers' disks would be).
func WithFiles(store service.FileStore) Option { return func(s *setup) { s.files = store } }

// WithPublicURL sets ZSJC_PUBLIC_URL.
func WithPublicURL(u string) Option { return func(s *setup) { s.publicURL = u } }

// WithLimits sets the request limits (zero fields keep their defaults).
func WithLimits(l service.Limits) Option { return func(s *setup) { s.limits = l } }

// WithPrivacy serves notice as the privacy notice in force (by default the
// shipped one).
func WithPrivacy(notice config.PrivacyNotice) Option { return func(s *setup) { s.privacy = notice } }

// WithEfileExcluded keeps cases of these types out of online file review.
func WithEfileExcluded(caseTypes ...string) Option { return func(s *setup) { s.efileOut = caseTypes } }

// WithPasswords delivers online file review passwords through d (as SMS would).
func WithPasswords(d service.PasswordDeliverer) Option { return func(s *setup) { s.passwords = d } }

// WithSMS turns the SMS channel on for the push kinds given, as a
// configured SMS template per kind does.
func WithSMS(kinds ...string) Option {
	return func(s *setup) {
		s.smsKinds = map[string]bool{}
		for _, k := range kinds {
			s.smsKinds[k] = true
		}
	}
}

// WithTwoFactor sets ZSJC_STAFF_2FA (default: admins, as in prod).
func WithTwoFactor(p service.TwoFactorPolicy) Option { return func(s *setup) { s.twoFactor = p } }

// WithDev runs the instance in dev mode; without WithPlatform it counts
// as dev mode without WeChat credentials (the sandbox: dev login open).
func WithDev() Option { return func(s *setup) { s.dev = true } }

// New starts an instance on a fresh test database and cache.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	db, _ := testenv.DBWithDSN(t)
	c := testenv.Cache(t)
	return NewOn(t, db, c, &Clock{now: Start}, opts...)
}

// NewPair starts two instances sharing one database, one cache (through
// two clients) and one clock, as two servers behind a load balancer.
func NewPair(t testing.TB, opts ...Option) (*Env, *Env) {
	t.Helper()
	db, dsn := testenv.DBWithDSN(t)
	first, second := testenv.CacheWithPrefix(t)
	clock := &Clock{now: Start}
	return NewOn(t, db, first, clock, opts...), NewOn(t, testenv.Open(t, db, dsn), second(), clock, opts...)
}

// NewOn starts an instance on the given database and cache, so a test can
// run a second instance sharing them (testenv.Open, CacheWithPrefix).
func NewOn(t testing.TB, db *gorm.DB, c cache.Store, clock *Clock, opts ...Option) *Env {
	t.Helper()
	set := setup{twoFactor: service.TwoFactorAdmins}
	for _, o := range opts {
		o(&set)
	}
	var platformURL string
	if set.platform != nil {
		srv := httptest.NewServer(set.platform)
		t.Cleanup(srv.Close)
		platformURL = srv.URL
		client, err := wechat.NewClient(wechat.Config{AppID: set.platform.AppID(), Secret: set.platform.Secret(),
			APIBase: srv.URL, OpenBase: srv.URL, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		set.appID, set.oauth, set.ticket = client.AppID(), client, client
	}
	sealer, err := secure.NewSuiteSealer(testenv.Crypto(), TestDataKey)
	if err != nil {
		t.Fatal(err)
	}
	files := set.files
	if files == nil {
		local, err := filestore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		files = local
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	opt := service.Options{
		Location: loc, Calendar: model.NewCalendar(nil, nil), ReplyWorkingDays: 3,
		ReviewCancelCutoff: 17 * 60, IntegrationSecret: TestIntegrationSecret,
		PublicURL: set.publicURL, LinkBase: set.publicURL, AppID: set.appID, Dev: set.dev, SandboxWeChat: set.dev && set.platform == nil,
		Limits: set.limits, Privacy: set.privacy, EfileExcludedCaseTypes: set.efileOut, EfileTempDir: t.TempDir(),
		SMSKinds: set.smsKinds, StaffTwoFactor: set.twoFactor,
	}
	svc := service.New(service.Deps{DB: db, Cache: c, Sealer: sealer, Files: files, Log: log, Now: clock.Now,
		OAuth: set.oauth, JSTicket: set.ticket, Passwords: set.passwords}, opt)
	reg := prometheus.NewRegistry()
	h := handler.New(handler.Deps{Service: svc, Log: log, Registry: reg,
		Ready: map[string]handler.Pinger{"cache": c}, PublicURL: set.publicURL, Dev: set.dev, WeChat: set.callback})
	return &Env{T: t, DB: db, Cache: c, Svc: svc, Handler: h, Clock: clock, Registry: reg,
		Sealer: sealer, Options: opt, Logs: logs, Platform: set.platform, PlatformURL: platformURL}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Caller is who sends a request: a cookie and, for staff, the CSRF token.
type Caller struct {
	Cookie *http.Cookie
	CSRF   string
	// UserID / StaffID identify the logged-in account.
	UserID  uint64
	OpenID  string
	StaffID uint64
}

// Anonymous sends requests without a session.
var Anonymous = Caller{}

// Unique returns a string unique within the test run ("u17").
func (e *Env) Unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, e.seq.Add(1))
}

// LoginUser creates (or finds) the WeChat user with openid, opens an H5
// session for it and records its consent to every purpose of the privacy
// notice, as the pages ask before the first id number, phone number or
// upload (tests of consent itself use LoginUserWithoutConsent).
func (e *Env) LoginUser(openid string) Caller {
	e.T.Helper()
	c := e.LoginUserWithoutConsent(openid)
	var all []string
	for _, p := range e.Svc.PrivacyNotice().Purposes {
		all = append(all, p.Code)
	}
	e.Consent(c, all...)
	return c
}

// LoginUserWithoutConsent is LoginUser without any consent recorded.
func (e *Env) LoginUserWithoutConsent(openid string) Caller {
	e.T.Helper()
	u := model.WeChatUser{OpenID: openid, Subscribed: true}
	if err := e.DB.Where(model.WeChatUser{OpenID: openid}).FirstOrCreate(&u).Error; err != nil {
		e.T.Fatalf("create wechat user: %v", err)
	}
	id, err := e.Svc.NewUserSession(context.Background(), u)
	if err != nil {
		e.T.Fatalf("user session: %v", err)
	}
	return Caller{Cookie: &http.Cookie{Name: "zsjc_session", Value: id}, UserID: u.ID, OpenID: openid}
}

// Consent records the user's consent to purposes under the current notice.
func (e *Env) Consent(c Caller, purposes ...string) {
	e.T.Helper()
	_, err := e.Svc.GiveConsent(context.Background(), service.UserSession{UserID: c.UserID, OpenID: c.OpenID}, "",
		service.ConsentInput{Version: e.Svc.PrivacyNotice().Version, Purposes: purposes})
	if err != nil {
		e.T.Fatalf("consent to %v: %v", purposes, err)
	}
}

// StaffPassword is the password of every staff account made by LoginStaff.
const StaffPassword = "Test-Passw0rd"

// LoginStaff creates a staff account with role (in the only unit) and
// opens a console session: through the login and its second factor
// (enrolling the account) when the instance's ZSJC_STAFF_2FA asks the role
// for one, else directly.
func (e *Env) LoginStaff(role string) Caller {
	e.T.Helper()
	return e.LoginStaffIn(role, "")
}

// LoginStaffIn is LoginStaff for an account of the unit with code unit.
func (e *Env) LoginStaffIn(role, unit string) Caller {
	e.T.Helper()
	st, err := e.Svc.CreateStaff(context.Background(), service.System,
		service.NewStaff{Username: e.Unique("staff"), Role: role, Password: StaffPassword, UnitCode: unit})
	if err != nil {
		e.T.Fatalf("create staff: %v", err)
	}
	if e.Svc.SecondFactorRequired(role) {
		c, _ := e.EnrolStaff(st.Username, StaffPassword)
		return c
	}
	id, sess, err := e.Svc.NewStaffSession(context.Background(), st)
	if err != nil {
		e.T.Fatalf("staff session: %v", err)
	}
	return Caller{Cookie: &http.Cookie{Name: "zsjc_staff", Value: id}, CSRF: sess.CSRFToken, StaffID: st.ID}
}

// SecondFactorAnswer is the login's answer to a right password of an
// account that needs a second factor.
type SecondFactorAnswer struct {
	NeedCode      bool   `json:"need_2fa"`
	NeedEnrolment bool   `json:"need_2fa_enrolment"`
	OTPAuthURL    string `json:"otpauth_url"`
	Secret        string `json:"secret"`
	QRDataURL     string `json:"qr_data_url"`
}

// StaffSessionAnswer is the body of a completed staff login.
type StaffSessionAnswer struct {
	CSRFToken     string              `json:"csrf_token"`
	User          struct{ ID uint64 } `json:"user"`
	RecoveryCodes []string            `json:"recovery_codes"`
}

// PostStaffLogin posts a username and password to the login from the
// default test address.
func (e *Env) PostStaffLogin(username, password string) Response {
	e.T.Helper()
	return e.Do(Anonymous, http.MethodPost, "/api/staff/login", map[string]string{"username": username, "password": password})
}

// PostSecondFactor posts a code to the login's second step as the pending
// login pending (the cookie of PostStaffLogin's answer).
func (e *Env) PostSecondFactor(pending *http.Cookie, code string) Response {
	e.T.Helper()
	return e.Do(Caller{Cookie: pending}, http.MethodPost, "/api/staff/login/2fa", map[string]string{"code": code})
}

// Enrolment is what a login enrolling an account's second factor gave it.
type Enrolment struct {
	Secret        string
	RecoveryCodes []string
}

// EnrolStaff logs the account in through the login, enrolling its second
// factor with a code of the secret it is given (the first login of an
// account that needs one), and returns the session, the secret and the
// recovery codes.
func (e *Env) EnrolStaff(username, password string) (Caller, Enrolment) {
	e.T.Helper()
	r := e.PostStaffLogin(username, password)
	var step SecondFactorAnswer
	r.JSON(e.T, &step)
	if r.Code != http.StatusOK || !step.NeedEnrolment || step.Secret == "" {
		e.T.Fatalf("login of %s: %d %s, want an enrolment", username, r.Code, r.Body)
	}
	c, codes := e.SessionOf(e.PostSecondFactor(r.Cookie("zsjc_staff"), e.TOTPCode(step.Secret, 0)))
	return c, Enrolment{Secret: step.Secret, RecoveryCodes: codes}
}

// SessionOf is the caller of a completed login's answer, and the recovery
// codes it carries (at enrolment).
func (e *Env) SessionOf(r Response) (Caller, []string) {
	e.T.Helper()
	var a StaffSessionAnswer
	r.JSON(e.T, &a)
	cookie := r.Cookie("zsjc_staff")
	if r.Code != http.StatusOK || a.CSRFToken == "" || cookie == nil {
		e.T.Fatalf("login: %d %s, want a session", r.Code, r.Body)
	}
	return Caller{Cookie: cookie, CSRF: a.CSRFToken, StaffID: a.User.ID}, a.RecoveryCodes
}

// TOTPCode is the TOTP code of secret for the time step steps away from
// the instance's clock (as an authenticator app would show it).
func (e *Env) TOTPCode(secret string, steps int) string {
	e.T.Helper()
	code, err := totp.GenerateCodeCustom(secret, e.Clock.Now().Add(time.Duration(steps)*30*time.Second), totp.ValidateOpts{})
	if err != nil {
		e.T.Fatalf("totp code: %v", err)
	}
	return code
}

// Response is a recorded answer.
type Response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %q: %v", r.Code, r.Body, err)
	}
}

// Cookie returns the cookie name the answer sets, or nil.
func (r Response) Cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ErrorCode returns error.code of an error body ("" if none).
func (r Response) ErrorCode() string {
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// Do sends a request as caller. body may be nil, a string or []byte (sent
// as is), an io.Reader, or any value (sent as JSON).
func (e *Env) Do(caller Caller, method, path string, body any) Response {
	e.T.Helper()
	var r io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	return e.Send(caller, req)
}

// Send sends a prepared request as caller.
func (e *Env) Send(caller Caller, req *http.Request) Response {
	if caller.Cookie != nil {
		req.AddCookie(caller.Cookie)
	}
	if caller.CSRF != "" && req.Header.Get("X-CSRF-Token") == "" {
		req.Header.Set("X-CSRF-Token", caller.CSRF)
	}
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	return Response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// IDNumber builds a valid 18-character id number (GB 11643 check digit)
// born 1990-01-01 with sequence n.
func IDNumber(n int) string {
	base := fmt.Sprintf("110105199001%02d%03d", 1+n/1000%28, n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(base[i]-'0') * weights[i]
	}
	return base + string("10X98765432"[sum%11])
}
