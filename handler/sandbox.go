package handler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/sms/smstest"
	"zsjc/wechat/wechattest"
)

// Sandbox is what the dev-mode WeChat sandbox page drives: the fake
// platform (it records template messages and the custom menu, and its OAuth
// page logs in the openid named by the wx_sandbox_openid cookie) and a
// callback client holding the account's callback credentials.
type Sandbox struct {
	Platform *wechattest.Platform
	// Callback signs (and encrypts) callbacks as WeChat does; its Target is
	// the callback path, served in process.
	Callback wechattest.CallbackClient
	// Menu is the custom menu (WeChat's button JSON) shown when the platform
	// has none yet, e.g. the shipped config/menu.yaml.
	Menu json.RawMessage
	// Templates names the templates by id, so the phone shows a message's
	// title and field names as WeChat does.
	Templates map[string]SandboxTemplate
	// SMS is the fake SMS API the sms channel sends to (nil: SMS goes
	// elsewhere or is off); SMSKinds names its templates' push kinds by id.
	SMS      *smstest.Fake
	SMSKinds map[string]string
}

// sandboxSMSPath is where the fake SMS API is served.
const sandboxSMSPath = "/sandbox/sms"

// sandboxText is a text message as the phone shows it: the number masked,
// as everywhere else.
type sandboxText struct {
	Phone    string    `json:"phone"`
	Kind     string    `json:"kind"`
	Sign     string    `json:"sign"`
	Params   []string  `json:"params"`
	SerialNo string    `json:"serial_no"`
	At       time.Time `json:"at"`
}

// SandboxTemplate is what the phone shows of a template.
type SandboxTemplate struct {
	Title  string            `json:"title"`
	Labels map[string]string `json:"labels"`
}

// sandboxMessage is a template message or subscribe notice as the phone
// shows it.
type sandboxMessage struct {
	wechattest.SentMessage
	Title  string            `json:"title,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// Subscribe: a subscribe notice (订阅通知), not a template message.
	Subscribe bool `json:"subscribe,omitempty"`
}

// sandboxOpenIDCookie names the test user the fake OAuth page logs in.
const sandboxOpenIDCookie = "wx_sandbox_openid"

// sandboxUser is a test user the phone can be.
type sandboxUser struct {
	OpenID string `json:"openid"`
	Label  string `json:"label"`
}

var sandboxUsers = []sandboxUser{
	{"o-sandbox-lawyer", "律师"},
	{"o-sandbox-party", "当事人"},
	{wechattest.DefaultOpenID, "访客"},
}

var errSandboxOpenID = model.Invalid(map[string]string{"openid": "请选择模拟器的测试用户"})

// sandboxRoutes mounts the sandbox's own API (dev mode with the fake
// platform only).
func (s *Server) sandboxRoutes(r *gin.Engine) {
	g := r.Group("/sandbox", s.loopbackOnly)
	g.GET("/api/state", s.sandboxState)
	g.POST("/api/user", must(s.sandboxSwitchUser))
	g.GET("/api/messages", must(s.sandboxMessages))
	g.POST("/api/callback", must(func(c *gin.Context) error { return s.sandboxCallback(c, r) }))
	g.POST("/api/subscribe", must(func(c *gin.Context) error { return s.sandboxSubscribe(c, r) }))
	g.GET("/open", must(s.sandboxOpen))
	if s.sandbox.SMS != nil {
		g.GET("/api/sms", s.sandboxTexts)
		g.POST("/sms", gin.WrapH(s.sandbox.SMS))
	}
	// As WeChat does, the platform reports each subscribe notice's delivery
	// (subscribe_msg_sent_event) to the callback.
	client := s.sandbox.Callback
	s.sandbox.Platform.OnSubscribeSent(func(m wechattest.SentSubscribe) {
		if _, err := client.ServeTo(r, wechattest.SubscribeSent(m.ToUser, m.TemplateID, m.MsgID, 0, "success")); err != nil {
			s.log.Warn("sandbox: subscribe notice delivery report", "err", err)
		}
	})
}

// sandboxTexts lists the text messages the fake SMS API accepted, oldest
// first.
func (s *Server) sandboxTexts(c *gin.Context) {
	out := []sandboxText{}
	for _, m := range s.sandbox.SMS.Sent() {
		out = append(out, sandboxText{Phone: secure.MaskMobile(strings.TrimPrefix(m.Phone, "+86")),
			Kind: s.sandbox.SMSKinds[m.TemplateID], Sign: m.Sign, Params: m.Params, SerialNo: m.SerialNo, At: m.At})
	}
	list(c, out)
}

// sandboxSubscribe plays the popup of wx-open-subscribe for the phone's
// user, which a browser outside WeChat cannot show: the platform records
// the answer and reports it to the callback (subscribe_msg_popup_event)
// exactly as WeChat would.
func (s *Server) sandboxSubscribe(c *gin.Context, h http.Handler) error {
	var in struct {
		TemplateIDs []string `json:"template_ids"`
		Accept      bool     `json:"accept"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	cookie, _ := c.Cookie(sandboxOpenIDCookie)
	openid, err := sandboxOpenID(cookie)
	if err != nil {
		return err
	}
	offered := s.svc.SubscribeOffer().TemplateIDs
	if len(in.TemplateIDs) == 0 || slices.ContainsFunc(in.TemplateIDs, func(id string) bool { return !slices.Contains(offered, id) }) {
		return model.Invalid(map[string]string{"template_ids": "须为页面提供订阅的模板"})
	}
	answer := model.ConsentReject
	if in.Accept {
		answer = model.ConsentAccept
	}
	answers := map[string]string{}
	for _, id := range in.TemplateIDs {
		answers[id] = answer
	}
	s.sandbox.Platform.Consent(openid, in.Accept, in.TemplateIDs...)
	if _, err := s.sandbox.Callback.ServeTo(h, wechattest.SubscribePopup(openid, answers)); err != nil {
		return model.NewError(model.KindUnavailable, "callback_failed", "回调处理失败："+err.Error())
	}
	c.Status(http.StatusNoContent)
	return nil
}

func sandboxOpenID(id string) (string, error) {
	if !slices.ContainsFunc(sandboxUsers, func(u sandboxUser) bool { return u.OpenID == id }) {
		return "", errSandboxOpenID
	}
	return id, nil
}

func (s *Server) sandboxState(c *gin.Context) {
	menu := s.sandbox.Platform.Menu()
	if len(menu) == 0 {
		menu = s.sandbox.Menu
	}
	ok(c, http.StatusOK, gin.H{
		"account_name": "掌上检察",
		"openids":      sandboxUsers,
		"menu":         menu,
		"sms":          s.sandbox.SMS != nil,
		"demo": gin.H{"case_no": service.DemoCaseNo, "party_name": service.DemoParty.Name,
			"party_id_number": service.DemoParty.IDNumber},
	})
}

// sandboxSwitchUser makes openid the phone's user: the fake OAuth page will log
// it in, and the browser's H5 session of the previous user ends.
func (s *Server) sandboxSwitchUser(c *gin.Context) error {
	var in struct {
		OpenID string `json:"openid"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	openid, err := sandboxOpenID(in.OpenID)
	if err != nil {
		return err
	}
	if sid, err := c.Cookie(userCookie); err == nil {
		if err := s.svc.EndUserSession(c.Request.Context(), sid); err != nil {
			return err
		}
	}
	s.setCookie(c, userCookie, "", -1)
	s.setCookie(c, sandboxOpenIDCookie, openid, 0)
	c.Status(http.StatusNoContent)
	return nil
}

// sandboxOpen opens an H5 page in the phone's webview, logged in afresh as
// the phone's user through the real OAuth flow: a login state is started
// as /h5/login does, and the fake platform's authorize step (a code for the
// chosen openid, sent back with the state) is played here, so the login
// works on whatever host the browser uses for this server.
func (s *Server) sandboxOpen(c *gin.Context) error {
	cookie, _ := c.Cookie(sandboxOpenIDCookie)
	openid, err := sandboxOpenID(cookie)
	if err != nil {
		return err
	}
	next := service.SafeNext(c.Query("next"))
	if next == "" {
		next = service.DefaultNext
	}
	callback, err := s.absoluteURL(c, callbackPath)
	if err != nil {
		return err
	}
	start, err := s.svc.StartLogin(c.Request.Context(), next, callback)
	if err != nil {
		return err
	}
	auth, err := url.Parse(start.AuthURL)
	if err != nil {
		return fmt.Errorf("sandbox: authorize url: %w", err)
	}
	back := url.Values{"code": {s.sandbox.Platform.IssueCode(openid)}, "state": {auth.Query().Get("state")}}
	s.setCookie(c, oauthCookie, start.BrowserKey, int(service.OAuthStateTTL.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, callbackPath+"?"+back.Encode())
	return nil
}

// sandboxMessages lists the template messages the fake platform accepted
// for openid, oldest first.
func (s *Server) sandboxMessages(c *gin.Context) error {
	openid, err := sandboxOpenID(c.Query("openid"))
	if err != nil {
		return err
	}
	var out []sandboxMessage
	for _, m := range s.sandbox.Platform.Sent() {
		if m.ToUser == openid {
			t := s.sandbox.Templates[m.TemplateID]
			out = append(out, sandboxMessage{SentMessage: m, Title: t.Title, Labels: t.Labels})
		}
	}
	// Subscribe notices show in the same chat, after the template messages
	// (the phone orders by msgid and time).
	for _, m := range s.sandbox.Platform.SentSubscribes() {
		if m.ToUser == openid {
			t := s.sandbox.Templates[m.TemplateID]
			out = append(out, sandboxMessage{SentMessage: wechattest.SentMessage{MsgID: m.MsgID, ToUser: m.ToUser,
				TemplateID: m.TemplateID, URL: m.Page, Data: m.Data, At: m.At}, Title: t.Title, Labels: t.Labels, Subscribe: true})
		}
	}
	slices.SortFunc(out, func(a, b sandboxMessage) int { return cmp.Compare(a.MsgID, b.MsgID) })
	list(c, out)
	return nil
}

type sandboxCallbackBody struct {
	OpenID  string `json:"openid"`
	Type    string `json:"type"` // event | text
	Event   string `json:"event"`
	Key     string `json:"key"`
	Content string `json:"content"`
}

var sandboxEvents = []string{"subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN"}

// sandboxCallback sends the phone's message or event to /wechat/callback
// exactly as WeChat would (signed, encrypted in safe mode), served in
// process by h, and answers with the opened passive reply.
func (s *Server) sandboxCallback(c *gin.Context, h http.Handler) error {
	var in sandboxCallbackBody
	if err := decode(c, &in); err != nil {
		return err
	}
	openid, err := sandboxOpenID(in.OpenID)
	if err != nil {
		return err
	}
	var msg wechattest.Message
	switch {
	case in.Type == "text" && in.Content != "" && len(in.Content) <= 2000:
		// A MsgId unique across restarts, as the callback deduplicates on it.
		msg = wechattest.Text(openid, in.Content, time.Now().UnixNano())
	case in.Type == "event" && slices.Contains(sandboxEvents, in.Event) && len(in.Key) <= 512:
		msg = wechattest.Event(openid, in.Event, in.Key)
	default:
		return model.Invalid(map[string]string{"type": "须为 text（带 content）或受支持的 event"})
	}
	client := s.sandbox.Callback
	reply, err := client.ServeTo(h, msg)
	if err != nil {
		return model.NewError(model.KindUnavailable, "callback_failed", "回调处理失败："+err.Error())
	}
	ok(c, http.StatusOK, gin.H{"reply": gin.H{"msg_type": reply.MsgType, "content": reply.Content}})
	return nil
}
