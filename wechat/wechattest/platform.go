// Package wechattest fakes the WeChat official-account platform for tests
// and the local sandbox: the API endpoints our code calls (Platform, an
// http.Handler) and WeChat's side of the callback (CallbackClient).
//
// Platform serves, relative to wherever it is mounted (an httptest.Server,
// or a path prefix such as /sandbox/wx stripped by the caller):
//
//	GET  /cgi-bin/token                 client_credential access_token
//	POST /cgi-bin/stable_token          stable access_token (force_refresh)
//	GET  /cgi-bin/ticket/getticket      jsapi_ticket
//	POST /cgi-bin/menu/create, GET /cgi-bin/menu/get
//	POST /cgi-bin/message/template/send records the message (client_msg_id dedup)
//	POST /cgi-bin/message/subscribe/bizsend records a subscribe notice to a
//	                                    user who accepted its template (else 43101)
//	GET  /cgi-bin/template/get_all_private_template, GET /wxaapi/newtmpl/gettemplate
//	                                    the templates set with SetTemplate
//	GET  /cgi-bin/user/info             subscribed user's info
//	GET  /connect/oauth2/authorize      the OAuth page: issues a code, 302 back
//	GET  /sns/oauth2/access_token       code → openid (codes are single-use)
//
// Tokens behave as on the platform: a new client_credential token leaves the
// previous one valid for five more minutes only, and so does a forced
// stable_token refresh for the previous stable token; the two kinds are
// independent (a client_credential caller does not touch the stable
// token). An unknown token answers 40001, an expired one 42001.
package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default credentials of a Platform made by New.
const (
	AppID  = "wxsandbox0000000"
	Secret = "sandbox-secret"
	// DefaultOpenID is who the fake OAuth page logs in when the request
	// names nobody (see Authorize).
	DefaultOpenID = "o-sandbox-user"
)

// TokenTTL is how long the fake's access tokens and tickets live.
const TokenTTL = 7200 * time.Second

// oldTokenGrace is how long a superseded access token keeps working.
const oldTokenGrace = 5 * time.Minute

// SentMessage is one template message the platform accepted.
type SentMessage struct {
	MsgID       int64             `json:"msgid"`
	ToUser      string            `json:"touser"`
	TemplateID  string            `json:"template_id"`
	URL         string            `json:"url,omitempty"`
	Data        map[string]string `json:"data"`
	ClientMsgID string            `json:"client_msg_id,omitempty"`
	At          time.Time         `json:"at"`
}

// SentSubscribe is one subscribe notice the platform accepted.
type SentSubscribe struct {
	MsgID      int64             `json:"msgid"`
	ToUser     string            `json:"touser"`
	TemplateID string            `json:"template_id"`
	Page       string            `json:"page,omitempty"`
	Data       map[string]string `json:"data"`
	At         time.Time         `json:"at"`
}

// Template is a template of the account: Content names its fields as the
// platform does ("案件名称：{{thing1.DATA}}").
type Template struct {
	ID, Title, Content string
	// Subscribe: a subscribe-notice template (listed by gettemplate).
	Subscribe bool
}

// Platform is a fake WeChat platform. All methods are safe for concurrent use.
type Platform struct {
	appID, secret string
	now           func() time.Time
	mux           *http.ServeMux

	clockMu       sync.Mutex // guards offset; never held with mu's callers waiting
	mu            sync.Mutex
	tokens        map[string]time.Time // access token → expiry
	stable        map[string]bool      // tokens issued by stable_token
	stableToken   string
	tokenRequests int
	forced        int // stable_token calls with force_refresh
	offset        time.Duration
	ticketReqs    int
	sent          []SentMessage
	byClientMsgID map[string]int64 // touser+client_msg_id → msgid
	nextMsgID     int64
	failures      []int // errcodes the next template sends answer, in order
	latency       time.Duration
	menu          json.RawMessage
	codes         map[string]string // OAuth code → openid
	subscribers   map[string]bool
	// consents are the subscribe-notice templates each user accepted.
	consents   map[string]map[string]bool
	subscribed []SentSubscribe
	templates  []Template
	onNotice   func(SentSubscribe)
}

// New returns a Platform for AppID/Secret.
func New() *Platform { return NewFor(AppID, Secret) }

// NewFor returns a Platform that accepts the given credentials.
func NewFor(appID, secret string) *Platform {
	p := &Platform{
		appID: appID, secret: secret,
		tokens: map[string]time.Time{}, stable: map[string]bool{}, byClientMsgID: map[string]int64{},
		codes: map[string]string{}, subscribers: map[string]bool{}, consents: map[string]map[string]bool{}, nextMsgID: 1000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", p.token)
	mux.HandleFunc("POST /cgi-bin/stable_token", p.stableTokenHandler)
	mux.HandleFunc("GET /cgi-bin/ticket/getticket", p.authed(p.ticket))
	mux.HandleFunc("POST /cgi-bin/menu/create", p.authed(p.menuCreate))
	mux.HandleFunc("GET /cgi-bin/menu/get", p.authed(p.menuGet))
	mux.HandleFunc("POST /cgi-bin/message/template/send", p.authed(p.templateSend))
	mux.HandleFunc("POST /cgi-bin/message/subscribe/bizsend", p.authed(p.subscribeSend))
	mux.HandleFunc("GET /cgi-bin/template/get_all_private_template", p.authed(p.privateTemplates))
	mux.HandleFunc("GET /wxaapi/newtmpl/gettemplate", p.authed(p.subscribeTemplates))
	mux.HandleFunc("GET /cgi-bin/user/info", p.authed(p.userInfo))
	mux.HandleFunc("GET /connect/oauth2/authorize", p.authorize)
	mux.HandleFunc("GET /sns/oauth2/access_token", p.oauthAccessToken)
	p.mux = mux
	p.now = func() time.Time {
		p.clockMu.Lock()
		defer p.clockMu.Unlock()
		return time.Now().Add(p.offset)
	}
	return p
}

// Advance moves the platform's clock forward (token expiry, grace).
func (p *Platform) Advance(d time.Duration) {
	p.clockMu.Lock()
	defer p.clockMu.Unlock()
	p.offset += d
}

// ForcedRefreshes counts stable_token calls with force_refresh, which the
// platform allows only a few times a day.
func (p *Platform) ForcedRefreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forced
}

// AppID is the account the platform serves.
func (p *Platform) AppID() string { return p.appID }

// Secret is the AppSecret the platform accepts.
func (p *Platform) Secret() string { return p.secret }

// ServeHTTP answers one API request after the configured latency.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d := p.Latency(); d > 0 {
		// Read the body first: only then does net/http watch the
		// connection and end r.Context() when the caller gives up.
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	p.mux.ServeHTTP(w, r)
}

// SetLatency delays every later request by d.
func (p *Platform) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Latency is the configured per-request delay.
func (p *Platform) Latency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency
}

// FailNext makes the next n sends (template messages and subscribe
// notices) answer errcode instead of sending (40001, 43004, 45009 …);
// calls queue up in order.
func (p *Platform) FailNext(errcode, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.failures = append(p.failures, errcode)
	}
}

// ExpireTokens makes every access token issued so far answer 42001, as
// after their two hours.
func (p *Platform) ExpireTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	past := p.now().Add(-time.Second)
	for tok := range p.tokens {
		p.tokens[tok] = past
	}
	p.stableToken = ""
}

// IssueCode returns a fresh single-use OAuth code for openid, as the
// authorize page would append to the redirect.
func (p *Platform) IssueCode(openid string) string {
	code := randomString(16)
	p.mu.Lock()
	p.codes[code] = openid
	p.subscribers[openid] = true
	p.mu.Unlock()
	return code
}

// Sent returns a copy of every template message accepted so far.
func (p *Platform) Sent() []SentMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]SentMessage, len(p.sent))
	copy(out, p.sent)
	return out
}

// TokenRequests counts the access-token grants asked for (token and
// stable_token), including refused ones.
func (p *Platform) TokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenRequests
}

// TicketRequests counts jsapi_ticket requests.
func (p *Platform) TicketRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ticketReqs
}

// SetTemplate adds or replaces a template of the account.
func (p *Platform) SetTemplate(t Template) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.templates = slices.DeleteFunc(p.templates, func(old Template) bool { return old.ID == t.ID })
	p.templates = append(p.templates, t)
}

// Consent records the user's answer for subscribe-notice templates, as the
// popup of wx-open-subscribe or WeChat's settings would: accepted
// templates may be sent, refused ones answer 43101.
func (p *Platform) Consent(openid string, accept bool, templateIDs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.consents[openid] == nil {
		p.consents[openid] = map[string]bool{}
	}
	for _, id := range templateIDs {
		p.consents[openid][id] = accept
	}
}

// OnSubscribeSent calls f (in its own goroutine) after each accepted
// subscribe notice, as the platform then reports the delivery with
// subscribe_msg_sent_event.
func (p *Platform) OnSubscribeSent(f func(SentSubscribe)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onNotice = f
}

// SentSubscribes returns a copy of every subscribe notice accepted so far.
func (p *Platform) SentSubscribes() []SentSubscribe {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.subscribed)
}

// Menu returns the last menu created ({"button":[...]}), nil if none.
func (p *Platform) Menu() json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(json.RawMessage(nil), p.menu...)
}

// errcodes the fake answers with, as the platform documents them.
const (
	errInvalidCredential = 40001
	errInvalidAppSecret  = 40125
	errInvalidAppID      = 40013
	errInvalidCode       = 40029
	errCodeUsed          = 40163
	errInvalidOpenID     = 40003
	errTokenExpired      = 42001
	errMissingToken      = 41001
	errBadRequest        = 47001
)

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// grant issues a new token of one kind (stable_token or client_credential),
// leaving the previous tokens of that kind five minutes; the caller holds mu.
func (p *Platform) grant(stable bool) string {
	now := p.now()
	for tok, exp := range p.tokens {
		if p.stable[tok] == stable && exp.After(now.Add(oldTokenGrace)) {
			p.tokens[tok] = now.Add(oldTokenGrace)
		}
	}
	tok := "AT" + randomString(24)
	p.tokens[tok] = now.Add(TokenTTL)
	p.stable[tok] = stable
	return tok
}

// credentialsOK checks appid/secret and answers the error; the caller holds mu.
func (p *Platform) credentialsOK(w http.ResponseWriter, appID, secret string) bool {
	switch {
	case appID != p.appID:
		writeErr(w, errInvalidAppID, "invalid appid")
	case secret != p.secret:
		writeErr(w, errInvalidAppSecret, "invalid appsecret")
	default:
		return true
	}
	return false
}

func (p *Platform) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenRequests++
	if q.Get("grant_type") != "client_credential" {
		writeErr(w, errBadRequest, "invalid grant_type")
		return
	}
	if !p.credentialsOK(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	writeJSON(w, map[string]any{"access_token": p.grant(false), "expires_in": int(TokenTTL.Seconds())})
}

// stableTokenHandler answers the stable token: the same one while it is
// valid unless force_refresh asks for a new one.
func (p *Platform) stableTokenHandler(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenRequests++
	if err != nil || req.GrantType != "client_credential" {
		writeErr(w, errBadRequest, "data format error")
		return
	}
	if !p.credentialsOK(w, req.AppID, req.Secret) {
		return
	}
	now := p.now()
	if req.ForceRefresh {
		p.forced++
	}
	if exp, ok := p.tokens[p.stableToken]; req.ForceRefresh || !ok || !exp.After(now) {
		p.stableToken = p.grant(true)
	}
	writeJSON(w, map[string]any{"access_token": p.stableToken,
		"expires_in": int(p.tokens[p.stableToken].Sub(now).Seconds())})
}

// authed checks the access_token query parameter first.
func (p *Platform) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		if tok == "" {
			writeErr(w, errMissingToken, "access_token missing")
			return
		}
		p.mu.Lock()
		exp, ok := p.tokens[tok]
		now := p.now()
		p.mu.Unlock()
		switch {
		case !ok:
			writeErr(w, errInvalidCredential, "invalid credential, access_token is invalid or not latest")
		case !exp.After(now):
			writeErr(w, errTokenExpired, "access_token expired")
		default:
			next(w, r)
		}
	}
}

func (p *Platform) ticket(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.ticketReqs++
	p.mu.Unlock()
	if r.URL.Query().Get("type") != "jsapi" {
		writeErr(w, errBadRequest, "invalid type")
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "ticket": "TK" + randomString(24),
		"expires_in": int(TokenTTL.Seconds())})
}

func (p *Platform) menuCreate(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	var body struct {
		Button []json.RawMessage `json:"button"`
	}
	if err != nil || json.Unmarshal(raw, &body) != nil || len(body.Button) == 0 || len(body.Button) > 3 {
		writeErr(w, 40016, "invalid button size")
		return
	}
	p.mu.Lock()
	p.menu = raw
	p.mu.Unlock()
	writeErr(w, 0, "ok")
}

func (p *Platform) menuGet(w http.ResponseWriter, _ *http.Request) {
	m := p.Menu()
	if m == nil {
		writeErr(w, 46003, "menu no exist")
		return
	}
	writeJSON(w, map[string]any{"menu": m})
}

// templateSend records the message. A second send with the same touser and
// client_msg_id is not shown again: it answers ok with the first msgid.
func (p *Platform) templateSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ToUser     string `json:"touser"`
		TemplateID string `json:"template_id"`
		URL        string `json:"url"`
		Data       map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
		ClientMsgID string `json:"client_msg_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		writeErr(w, errBadRequest, "data format error")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failures) > 0 {
		code := p.failures[0]
		p.failures = p.failures[1:]
		writeErr(w, code, "injected by wechattest")
		return
	}
	if req.ToUser == "" {
		writeErr(w, errInvalidOpenID, "invalid openid")
		return
	}
	dedup := req.ToUser + "\x00" + req.ClientMsgID
	if req.ClientMsgID != "" {
		if id, ok := p.byClientMsgID[dedup]; ok {
			writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": id})
			return
		}
	}
	p.nextMsgID++
	msg := SentMessage{MsgID: p.nextMsgID, ToUser: req.ToUser, TemplateID: req.TemplateID, URL: req.URL,
		Data: map[string]string{}, ClientMsgID: req.ClientMsgID, At: p.now()}
	for k, v := range req.Data {
		msg.Data[k] = v.Value
	}
	p.sent = append(p.sent, msg)
	if req.ClientMsgID != "" {
		p.byClientMsgID[dedup] = msg.MsgID
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": msg.MsgID})
}

// errSubscribeRefused answers a notice whose template the user did not accept.
const errSubscribeRefused = 43101

// subscribeSend records a subscribe notice. The platform has no
// idempotency key for these: every accepted call is a notice.
func (p *Platform) subscribeSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ToUser     string `json:"touser"`
		TemplateID string `json:"template_id"`
		Page       string `json:"page"`
		Data       map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || req.TemplateID == "" {
		writeErr(w, errBadRequest, "data format error")
		return
	}
	p.mu.Lock()
	if len(p.failures) > 0 {
		code := p.failures[0]
		p.failures = p.failures[1:]
		p.mu.Unlock()
		writeErr(w, code, "injected by wechattest")
		return
	}
	if req.ToUser == "" {
		p.mu.Unlock()
		writeErr(w, errInvalidOpenID, "invalid openid")
		return
	}
	if !p.consents[req.ToUser][req.TemplateID] {
		p.mu.Unlock()
		writeErr(w, errSubscribeRefused, "user refuse to accept the msg")
		return
	}
	p.nextMsgID++
	msg := SentSubscribe{MsgID: p.nextMsgID, ToUser: req.ToUser, TemplateID: req.TemplateID, Page: req.Page,
		Data: map[string]string{}, At: p.now()}
	for k, v := range req.Data {
		msg.Data[k] = v.Value
	}
	p.subscribed = append(p.subscribed, msg)
	notify := p.onNotice
	p.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": msg.MsgID})
	if notify != nil {
		go notify(msg)
	}
}

func (p *Platform) privateTemplates(w http.ResponseWriter, _ *http.Request) {
	type item struct {
		TemplateID string `json:"template_id"`
		Title      string `json:"title"`
		Content    string `json:"content"`
	}
	list := []item{}
	for _, t := range p.listTemplates(false) {
		list = append(list, item{TemplateID: t.ID, Title: t.Title, Content: t.Content})
	}
	writeJSON(w, map[string]any{"template_list": list})
}

func (p *Platform) subscribeTemplates(w http.ResponseWriter, _ *http.Request) {
	type item struct {
		ID      string `json:"priTmplId"`
		Title   string `json:"title"`
		Content string `json:"content"`
		Type    int    `json:"type"`
	}
	list := []item{}
	for _, t := range p.listTemplates(true) {
		list = append(list, item{ID: t.ID, Title: t.Title, Content: t.Content, Type: 3}) // 3: long-term
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "data": list})
}

func (p *Platform) listTemplates(subscribe bool) []Template {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Template
	for _, t := range p.templates {
		if t.Subscribe == subscribe {
			out = append(out, t)
		}
	}
	return out
}

func (p *Platform) userInfo(w http.ResponseWriter, r *http.Request) {
	openid := r.URL.Query().Get("openid")
	if openid == "" {
		writeErr(w, errInvalidOpenID, "invalid openid")
		return
	}
	p.mu.Lock()
	subscribed := p.subscribers[openid]
	p.mu.Unlock()
	if !subscribed {
		writeJSON(w, map[string]any{"subscribe": 0, "openid": openid})
		return
	}
	writeJSON(w, map[string]any{"subscribe": 1, "openid": openid, "language": "zh_CN",
		"subscribe_time": p.now().Unix(), "subscribe_scene": "ADD_SCENE_QR_CODE"})
}

// authorize is the OAuth page: it logs in the openid named by the query
// parameter "openid" (a sandbox convenience the real page does not have),
// else the cookie "wx_sandbox_openid", else DefaultOpenID, and redirects to
// redirect_uri with a fresh code and the state.
func (p *Platform) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("appid") != p.appID {
		http.Error(w, "invalid appid", http.StatusBadRequest)
		return
	}
	target, err := url.Parse(q.Get("redirect_uri"))
	absolute := err == nil && (target.Scheme == "http" || target.Scheme == "https") && target.Host != ""
	sitePath := err == nil && target.Scheme == "" && target.Host == "" && strings.HasPrefix(target.Path, "/")
	if !absolute && !sitePath {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	openid := q.Get("openid")
	if openid == "" {
		if c, err := r.Cookie("wx_sandbox_openid"); err == nil && c.Value != "" {
			openid = c.Value
		} else {
			openid = DefaultOpenID
		}
	}
	back := target.Query()
	back.Set("code", p.IssueCode(openid))
	back.Set("state", q.Get("state"))
	target.RawQuery = back.Encode()
	target.Fragment = ""
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func (p *Platform) oauthAccessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.credentialsOK(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	code := q.Get("code")
	openid, ok := p.codes[code]
	switch {
	case !ok:
		writeErr(w, errInvalidCode, "invalid code")
		return
	case openid == "":
		writeErr(w, errCodeUsed, "code been used")
		return
	}
	p.codes[code] = "" // single use: remembered as spent
	writeJSON(w, map[string]any{"access_token": "OA" + randomString(16), "expires_in": 7200,
		"refresh_token": "RT" + randomString(16), "openid": openid, "scope": "snsapi_base"})
}

// Callback settings of the sandbox account (the dev-mode defaults when no
// WeChat credentials are configured).
const (
	CallbackToken  = "sandbox-token"
	EncodingAESKey = "c2FuZGJveC1lbmNvZGluZy1hZXMta2V5LTMyYnl0ZXM"
)
