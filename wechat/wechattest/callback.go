package wechattest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"time"

	"zsjc/wechat"
)

// Mode is how the account's messages are encrypted.
type Mode int

// The three message-encryption modes of an official account.
const (
	Plaintext  Mode = iota // 明文模式
	Compatible             // 兼容模式: plaintext fields and Encrypt side by side
	Safe                   // 安全模式: Encrypt only
)

// Message is a callback message or event as WeChat sends it; zero fields
// are left out of the XML.
type Message struct {
	XMLName       xml.Name `xml:"xml"`
	ToUserName    string   `xml:"ToUserName"`
	FromUserName  string   `xml:"FromUserName"`
	CreateTime    int64    `xml:"CreateTime"`
	MsgType       string   `xml:"MsgType"`
	Content       string   `xml:"Content,omitempty"`
	MsgID         int64    `xml:"MsgId,omitempty"`
	Event         string   `xml:"Event,omitempty"`
	EventKey      string   `xml:"EventKey,omitempty"`
	Ticket        string   `xml:"Ticket,omitempty"`
	TemplateMsgID int64    `xml:"MsgID,omitempty"`
	Status        string   `xml:"Status,omitempty"`
	// The <List> items of the subscribe-notice events.
	PopupEvent  *SubscribeList `xml:"SubscribeMsgPopupEvent,omitempty"`
	ChangeEvent *SubscribeList `xml:"SubscribeMsgChangeEvent,omitempty"`
	SentEvent   *SubscribeList `xml:"SubscribeMsgSentEvent,omitempty"`
}

// SubscribeList holds a subscribe-notice event's items.
type SubscribeList struct {
	List []SubscribeItem `xml:"List"`
}

// SubscribeItem is one <List> of a subscribe-notice event, spelt as WeChat
// sends it.
type SubscribeItem struct {
	TemplateID            string `xml:"TemplateId"`
	SubscribeStatusString string `xml:"SubscribeStatusString,omitempty"`
	PopupScene            string `xml:"PopupScene,omitempty"`
	MsgID                 string `xml:"MsgID,omitempty"`
	ErrorCode             string `xml:"ErrorCode,omitempty"`
	ErrorStatus           string `xml:"ErrorStatus,omitempty"`
}

// SubscribePopup is the subscribe_msg_popup_event of a user answering the
// popup of wx-open-subscribe (PopupScene 2: a web page) for each template:
// "accept" or "reject".
func SubscribePopup(openid string, answers map[string]string) Message {
	m := Message{ToUserName: Account, FromUserName: openid, MsgType: "event", Event: "subscribe_msg_popup_event",
		PopupEvent: &SubscribeList{}}
	for _, id := range sortedKeys(answers) {
		m.PopupEvent.List = append(m.PopupEvent.List, SubscribeItem{TemplateID: id, SubscribeStatusString: answers[id], PopupScene: "2"})
	}
	return m
}

// SubscribeChange is the subscribe_msg_change_event of a user changing
// their subscriptions in WeChat's settings.
func SubscribeChange(openid string, answers map[string]string) Message {
	m := Message{ToUserName: Account, FromUserName: openid, MsgType: "event", Event: "subscribe_msg_change_event",
		ChangeEvent: &SubscribeList{}}
	for _, id := range sortedKeys(answers) {
		m.ChangeEvent.List = append(m.ChangeEvent.List, SubscribeItem{TemplateID: id, SubscribeStatusString: answers[id]})
	}
	return m
}

// SubscribeSent is the subscribe_msg_sent_event reporting a notice's
// delivery: errcode 0 and "success", or the failure.
func SubscribeSent(openid, templateID string, msgID int64, errcode int, status string) Message {
	return Message{ToUserName: Account, FromUserName: openid, MsgType: "event", Event: "subscribe_msg_sent_event",
		SentEvent: &SubscribeList{List: []SubscribeItem{{TemplateID: templateID, MsgID: strconv.FormatInt(msgID, 10),
			ErrorCode: strconv.Itoa(errcode), ErrorStatus: status}}}}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// Account is the ToUserName (原始ID) of the fake account's messages.
const Account = "gh_sandbox000000"

// Text is a text message from openid.
func Text(openid, content string, msgID int64) Message {
	return Message{ToUserName: Account, FromUserName: openid, MsgType: "text", Content: content, MsgID: msgID}
}

// Event is an event from openid (subscribe, CLICK …) with its key.
func Event(openid, event, key string) Message {
	return Message{ToUserName: Account, FromUserName: openid, MsgType: "event", Event: event, EventKey: key}
}

// TemplateFinished is the TEMPLATESENDJOBFINISH event of a template message.
func TemplateFinished(openid string, msgID int64, status string) Message {
	return Message{ToUserName: Account, FromUserName: openid, MsgType: "event", Event: "TEMPLATESENDJOBFINISH",
		TemplateMsgID: msgID, Status: status}
}

// XML renders the message.
func (m Message) XML() []byte {
	raw, err := xml.Marshal(m)
	if err != nil { // only plain strings and numbers: cannot fail
		panic(err)
	}
	return raw
}

// CallbackClient plays WeChat's side of the callback: it signs (and in
// compatible/safe mode encrypts) messages, posts them to our endpoint and
// checks and opens the replies.
type CallbackClient struct {
	Token          string
	AppID          string
	EncodingAESKey string
	Mode           Mode
	// Target is the callback URL: absolute for Send, a path is enough for
	// Request/ServeTo ("" means /wechat/callback).
	Target string
	// Now stamps the requests; nil means time.Now.
	Now func() time.Time
	// HTTP sends for Send; nil means http.DefaultClient.
	HTTP *http.Client
}

func (c *CallbackClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *CallbackClient) target() string {
	if c.Target == "" {
		return "/wechat/callback"
	}
	return c.Target
}

func (c *CallbackClient) crypto() (*wechat.Crypto, error) {
	key := c.EncodingAESKey
	if c.Mode == Plaintext {
		key = ""
	}
	return wechat.NewCrypto(c.Token, c.AppID, key)
}

// VerifyRequest is the GET WeChat sends when the URL is configured.
func (c *CallbackClient) VerifyRequest(echostr string) *http.Request {
	ts, nonce := strconv.FormatInt(c.now().Unix(), 10), randomString(5)
	q := url.Values{"signature": {wechat.Signature(c.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
		"echostr": {echostr}}
	return httptest.NewRequest(http.MethodGet, c.target()+"?"+q.Encode(), nil)
}

// Request builds the signed POST carrying m. The message's CreateTime is
// set from the clock when zero.
func (c *CallbackClient) Request(m Message) (*http.Request, error) {
	if m.CreateTime == 0 {
		m.CreateTime = c.now().Unix()
	}
	return c.RequestRaw(m.XML())
}

// RequestRaw builds the signed POST for a message body given as XML.
func (c *CallbackClient) RequestRaw(plain []byte) (*http.Request, error) {
	cr, err := c.crypto()
	if err != nil {
		return nil, err
	}
	ts, nonce := strconv.FormatInt(c.now().Unix(), 10), randomString(5)
	q := url.Values{"signature": {wechat.Signature(c.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
		"openid": {openidOf(plain)}}
	body := plain
	if c.Mode != Plaintext {
		enc, err := cr.EncryptRandom(plain)
		if err != nil {
			return nil, err
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechat.Signature(c.Token, ts, nonce, enc))
		body = encryptedBody(plain, enc, c.Mode == Compatible)
	}
	req := httptest.NewRequest(http.MethodPost, c.target()+"?"+q.Encode(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

func openidOf(plain []byte) string {
	var m struct {
		From string `xml:"FromUserName"`
	}
	_ = xml.Unmarshal(plain, &m)
	return m.From
}

// encryptedBody is the POST body of safe mode (ToUserName + Encrypt) or of
// compatible mode (the plaintext fields with Encrypt added).
func encryptedBody(plain []byte, enc string, compatible bool) []byte {
	var b bytes.Buffer
	if compatible {
		b.Write(bytes.TrimSuffix(bytes.TrimSpace(plain), []byte("</xml>")))
	} else {
		var m struct {
			To string `xml:"ToUserName"`
		}
		_ = xml.Unmarshal(plain, &m)
		b.WriteString("<xml><ToUserName>")
		_ = xml.EscapeText(&b, []byte(m.To))
		b.WriteString("</ToUserName>")
	}
	b.WriteString("<Encrypt>")
	_ = xml.EscapeText(&b, []byte(enc))
	b.WriteString("</Encrypt></xml>")
	return b.Bytes()
}

// Reply is our endpoint's answer, opened.
type Reply struct {
	Status int
	Raw    []byte
	// Plain is the reply message (decrypted in safe mode), or the raw body
	// ("success") when no message was sent back.
	Plain []byte
	// MsgType and Content are the reply message's, "" for "success".
	MsgType string
	Content string
	To      string
	From    string
}

// Passive reports whether the reply is a message (not "success").
func (r Reply) Passive() bool { return r.MsgType != "" }

// ServeTo sends m to handler h in process and opens the reply.
func (c *CallbackClient) ServeTo(h http.Handler, m Message) (Reply, error) {
	req, err := c.Request(m)
	if err != nil {
		return Reply{}, err
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return c.Open(rec.Code, rec.Body.Bytes())
}

// Send posts m to Target over HTTP and opens the reply.
func (c *CallbackClient) Send(ctx context.Context, m Message) (Reply, error) {
	req, err := c.Request(m)
	if err != nil {
		return Reply{}, err
	}
	out, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL.String(), req.Body)
	if err != nil {
		return Reply{}, err
	}
	out.Header = req.Header
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(out)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Reply{}, err
	}
	return c.Open(resp.StatusCode, raw)
}

// Open checks a reply as WeChat would: in compatible/safe mode an
// encrypted reply must carry a valid msg_signature and decrypt for our
// AppID; "success" or an empty body means no message.
func (c *CallbackClient) Open(status int, raw []byte) (Reply, error) {
	r := Reply{Status: status, Raw: raw, Plain: raw}
	if status != http.StatusOK {
		return r, fmt.Errorf("callback answered %d: %s", status, raw)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "success" {
		return r, nil
	}
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(trimmed, &env); err != nil {
		return r, fmt.Errorf("reply is not XML: %w", err)
	}
	if env.Encrypt != "" {
		cr, err := c.crypto()
		if err != nil {
			return r, err
		}
		if !cr.VerifyMsgSignature(env.TimeStamp, env.Nonce, env.Encrypt, env.MsgSignature) {
			return r, errors.New("reply msg_signature does not verify")
		}
		plain, _, err := cr.Decrypt(env.Encrypt)
		if err != nil {
			return r, fmt.Errorf("reply: %w", err)
		}
		r.Plain = plain
	} else if c.Mode == Safe {
		return r, errors.New("safe mode: reply message is not encrypted")
	}
	var msg struct {
		To      string `xml:"ToUserName"`
		From    string `xml:"FromUserName"`
		MsgType string `xml:"MsgType"`
		Content string `xml:"Content"`
	}
	if err := xml.Unmarshal(r.Plain, &msg); err != nil {
		return r, fmt.Errorf("reply message is not XML: %w", err)
	}
	if msg.MsgType == "" {
		return r, errors.New("reply message has no MsgType")
	}
	r.MsgType, r.Content, r.To, r.From = msg.MsgType, msg.Content, msg.To, msg.From
	return r, nil
}
