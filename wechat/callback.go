package wechat

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zsjc/secure"
)

// Message is the part of a callback message or event we act on. The
// template-result event spells its id <MsgID>, other messages <MsgId>.
type Message struct {
	ToUserName    string `xml:"ToUserName"`
	FromUserName  string `xml:"FromUserName"`
	CreateTime    int64  `xml:"CreateTime"`
	MsgType       string `xml:"MsgType"`
	Content       string `xml:"Content"`
	MsgID         int64  `xml:"MsgId"`
	Event         string `xml:"Event"`
	EventKey      string `xml:"EventKey"`
	Ticket        string `xml:"Ticket"`
	TemplateMsgID int64  `xml:"MsgID"`
	Status        string `xml:"Status"`
	// Subscriptions are the <List> items of the subscribe-notice events
	// (subscribe_msg_popup_event, _change_event, _sent_event).
	Subscriptions []SubscribeItem `xml:"-"`
}

// SubscribeItem is one <List> of a subscribe-notice event: a template the
// user accepted or refused (popup, settings), or a notice's delivery.
type SubscribeItem struct {
	TemplateID string // TemplateId
	// Status is SubscribeStatusString: "accept" or "reject".
	Status string
	// PopupScene: where the popup was (popup event only).
	PopupScene string
	// MsgID, ErrorCode and ErrorStatus report a delivery (sent event):
	// 0 and "success", or the failure.
	MsgID       int64
	ErrorCode   int64
	ErrorStatus string
}

// subscribeEventLists are the top-level elements holding <List> items.
var subscribeEventLists = map[string]bool{
	"SubscribeMsgPopupEvent": true, "SubscribeMsgChangeEvent": true, "SubscribeMsgSentEvent": true,
}

// Inbound is a verified, decoded callback.
type Inbound struct {
	Message Message
	// Encrypted: the request came in compatible/safe mode, so the reply is
	// encrypted and signed too.
	Encrypted bool
}

// Rejection says why a callback was refused; Reason is a short metric and
// log label.
type Rejection struct {
	Reason string
	// Forbidden: the request is not from WeChat (signature, replay, AppID)
	// rather than malformed.
	Forbidden bool
}

func (r *Rejection) Error() string { return "wechat callback rejected: " + r.Reason }

// The rejections of Open.
var (
	ErrBadSignature    = &Rejection{Reason: "signature", Forbidden: true}
	ErrBadMsgSignature = &Rejection{Reason: "msg_signature", Forbidden: true}
	ErrStale           = &Rejection{Reason: "stale_timestamp", Forbidden: true}
	ErrForeignAppID    = &Rejection{Reason: "appid", Forbidden: true}
	ErrBadCiphertext   = &Rejection{Reason: "undecryptable"}
	ErrMalformed       = &Rejection{Reason: "malformed_xml"}
	ErrNotEncrypted    = &Rejection{Reason: "encryption_required", Forbidden: true}
)

// ReplayWindow is how far a callback's timestamp may be from our clock. A
// captured request replayed later fails here; within the window the dedup
// key catches it.
const ReplayWindow = 5 * time.Minute

// VerifyEcho checks the GET that WeChat sends when the URL is configured
// and returns the echostr to answer.
func (c *Crypto) VerifyEcho(q url.Values, now time.Time) (string, error) {
	if err := c.checkRequest(q, now); err != nil {
		return "", err
	}
	return q.Get("echostr"), nil
}

func (c *Crypto) checkRequest(q url.Values, now time.Time) error {
	ts := q.Get("timestamp")
	if !c.VerifySignature(ts, q.Get("nonce"), q.Get("signature")) {
		return ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return ErrStale
	}
	return nil
}

// envelope is the body of compatible/safe mode (compatible mode also
// carries the plaintext fields, which we ignore: only Encrypt is signed).
type envelope struct {
	Encrypt string `xml:"Encrypt"`
}

// signedEncrypt returns the body's Encrypt field once msg_signature
// verifies over it. The field is first cut out of the body directly (the
// safe-mode body is just ToUserName and Encrypt, and parsing ~1 KiB of
// base64 with encoding/xml is most of the cost of a callback); if that
// does not verify — say a compatible-mode text quoted "<Encrypt>" — the
// body is parsed properly and checked again.
func (c *Crypto) signedEncrypt(q url.Values, body []byte) ([]byte, error) {
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	quick, ok := cutEncrypt(body)
	if ok && c.verifyMsgSignature(ts, nonce, quick, sig) {
		return quick, nil
	}
	var env envelope
	if xml.Unmarshal(body, &env) != nil || env.Encrypt == "" {
		return nil, ErrMalformed
	}
	if (ok && env.Encrypt == string(quick)) || !c.VerifyMsgSignature(ts, nonce, env.Encrypt, sig) {
		return nil, ErrBadMsgSignature
	}
	return []byte(env.Encrypt), nil
}

// cutEncrypt finds the text of the first <Encrypt> element, CDATA or not;
// the result shares body's memory.
func cutEncrypt(body []byte) ([]byte, bool) {
	_, rest, ok := bytes.Cut(body, []byte("<Encrypt>"))
	if !ok {
		return nil, false
	}
	val, _, ok := bytes.Cut(rest, []byte("</Encrypt>"))
	if !ok {
		return nil, false
	}
	val = bytes.TrimSpace(val)
	if inner, ok := bytes.CutPrefix(val, []byte("<![CDATA[")); ok {
		if val, ok = bytes.CutSuffix(inner, []byte("]]>")); !ok {
			return nil, false
		}
	}
	return val, len(val) > 0
}

// Open verifies and decodes a callback POST (query q, body) the way
// WeChat documents it; the SDK's server.Serve does the same checks but
// answers a bad signature with 200 and an empty body, reads the body
// unbounded and has no replay window, so the handler uses this instead.
//
//   - signature over (token, timestamp, nonce) always (WeChat sends it in
//     every mode), timestamp within ReplayWindow;
//   - encrypt_type=aes: msg_signature over the Encrypt field, then AES
//     decryption and the AppID check; an account configured with an
//     EncodingAESKey refuses plaintext posts, which would bypass both;
//   - the message must be well-formed XML naming a sender and a type.
func (c *Crypto) Open(q url.Values, body []byte, now time.Time) (Inbound, error) {
	if err := c.checkRequest(q, now); err != nil {
		return Inbound{}, err
	}
	in := Inbound{}
	plain := body
	switch q.Get("encrypt_type") {
	case "aes":
		if !c.CanDecrypt() {
			return Inbound{}, ErrBadCiphertext
		}
		encrypted, err := c.signedEncrypt(q, body)
		if err != nil {
			return Inbound{}, err
		}
		buf := getScratch() // decodeMessage copies what it keeps
		defer putScratch(buf)
		msg, _, err := c.decrypt(buf, encrypted)
		switch {
		case errors.Is(err, ErrAppIDMismatch):
			return Inbound{}, ErrForeignAppID
		case err != nil:
			return Inbound{}, ErrBadCiphertext
		}
		plain, in.Encrypted = msg, true
	case "", "raw":
		if c.CanDecrypt() {
			return Inbound{}, ErrNotEncrypted
		}
	default:
		return Inbound{}, ErrMalformed
	}
	msg, err := decodeMessage(plain)
	if err != nil || msg.FromUserName == "" || msg.MsgType == "" {
		return Inbound{}, ErrMalformed
	}
	in.Message = msg
	return in, nil
}

// decodeMessage reads the top-level fields of a message document. WeChat's
// messages are flat — <xml>, then elements holding plain text or one CDATA
// section — and decodeFlat reads exactly that shape without a general
// parser. Anything else (entities, comments, attributes, nested elements,
// carriage returns, characters XML forbids, a malformed document) goes to
// decodeTokens, which gives the same result for every document decodeFlat
// accepts (FuzzDecodeFlat checks that).
func decodeMessage(raw []byte) (Message, error) {
	if m, ok := decodeFlat(raw); ok {
		return m, nil
	}
	return decodeTokens(raw)
}

// decodeFlat decodes a flat message; ok is false when raw is not one.
func decodeFlat(raw []byte) (m Message, ok bool) {
	rest, ok := bytes.CutPrefix(raw, []byte("<xml>"))
	for ok {
		rest = bytes.TrimLeft(rest, " \t\n")
		if bytes.HasPrefix(rest, []byte("</xml>")) {
			return m, true
		}
		var name, text []byte
		if name, text, rest, ok = cutFlatElement(rest); ok {
			ok = m.set(string(name), text) == nil
		}
	}
	return Message{}, false
}

// cutFlatElement cuts <Name>text</Name> or <Name><![CDATA[text]]></Name>
// off the front of b, for a plain ASCII name and literal text only.
func cutFlatElement(b []byte) (name, text, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != '<' || !isNameStart(b[1]) {
		return nil, nil, nil, false
	}
	end := 2
	for end < len(b) && isNameByte(b[end]) {
		end++
	}
	if end == len(b) || b[end] != '>' {
		return nil, nil, nil, false
	}
	name, rest = b[1:end], b[end+1:]
	if inner, ok := bytes.CutPrefix(rest, []byte("<![CDATA[")); ok {
		text, rest, ok = bytes.Cut(inner, []byte("]]>"))
		if !ok || !literalText(text) {
			return nil, nil, nil, false
		}
	} else {
		i := bytes.IndexByte(rest, '<')
		if i < 0 {
			return nil, nil, nil, false
		}
		text, rest = rest[:i], rest[i:]
		if bytes.IndexByte(text, '&') >= 0 || bytes.Contains(text, []byte("]]>")) || !literalText(text) {
			return nil, nil, nil, false
		}
	}
	if len(rest) < len(name)+3 || rest[0] != '<' || rest[1] != '/' ||
		!bytes.Equal(rest[2:2+len(name)], name) || rest[2+len(name)] != '>' {
		return nil, nil, nil, false
	}
	return name, text, rest[len(name)+3:], true
}

func isNameStart(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '_'
}

func isNameByte(b byte) bool {
	return isNameStart(b) || '0' <= b && b <= '9' || b == '-' || b == '.'
}

// literalText reports whether encoding/xml would read s as itself: valid
// UTF-8 of characters XML allows, and no carriage return (which it turns
// into a line feed).
func literalText(s []byte) bool {
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		switch {
		case r == utf8.RuneError && size == 1,
			r < 0x20 && r != '\t' && r != '\n',
			r == 0xFFFE, r == 0xFFFF:
			return false
		}
		s = s[size:]
	}
	return true
}

// decodeTokens walks encoding/xml's tokens rather than calling
// xml.Unmarshal: the same parser and well-formedness checks without the
// reflection. Nested elements are skipped, except the <List> items of the
// subscribe-notice events; a repeated field keeps its last value, anything
// after the root element is ignored.
func decodeTokens(raw []byte) (Message, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	var m Message
	var field, item string
	var text, itemText []byte
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return Message{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2:
				field, text = t.Name.Local, text[:0]
			case depth == 3 && subscribeEventLists[field] && t.Name.Local == "List":
				if len(m.Subscriptions) == maxSubscribeItems {
					return Message{}, fmt.Errorf("wechat message: more than %d subscribe items", maxSubscribeItems)
				}
				m.Subscriptions = append(m.Subscriptions, SubscribeItem{})
			case depth == 4:
				item, itemText = t.Name.Local, itemText[:0]
			}
		case xml.CharData:
			switch depth {
			case 2:
				text = append(text, t...)
			case 4:
				itemText = append(itemText, t...)
			}
		case xml.EndElement:
			switch {
			case depth == 2:
				if err := m.set(field, text); err != nil {
					return Message{}, err
				}
			case depth == 4 && subscribeEventLists[field] && len(m.Subscriptions) > 0:
				if err := m.Subscriptions[len(m.Subscriptions)-1].set(item, itemText); err != nil {
					return Message{}, err
				}
			}
			if depth--; depth == 0 {
				return m, nil
			}
		}
	}
}

// maxSubscribeItems bounds the <List> items read from one event (a popup
// lists the templates it offered, a handful).
const maxSubscribeItems = 20

// set assigns one field of a subscribe item; numbers must parse.
func (it *SubscribeItem) set(field string, text []byte) error {
	v := strings.TrimSpace(string(text))
	var num *int64
	switch field {
	case "TemplateId":
		it.TemplateID = v
	case "SubscribeStatusString":
		it.Status = v
	case "PopupScene":
		it.PopupScene = v
	case "ErrorStatus":
		it.ErrorStatus = v
	case "MsgID":
		num = &it.MsgID
	case "ErrorCode":
		num = &it.ErrorCode
	}
	if num == nil || v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("wechat subscribe item field %s: %w", field, err)
	}
	*num = n
	return nil
}

// set assigns one field; numbers must parse (blank is zero).
func (m *Message) set(field string, text []byte) error {
	var num *int64
	switch field {
	case "ToUserName":
		m.ToUserName = string(text)
	case "FromUserName":
		m.FromUserName = string(text)
	case "MsgType":
		m.MsgType = string(text)
	case "Content":
		m.Content = string(text)
	case "Event":
		m.Event = string(text)
	case "EventKey":
		m.EventKey = string(text)
	case "Ticket":
		m.Ticket = string(text)
	case "Status":
		m.Status = string(text)
	case "CreateTime":
		num = &m.CreateTime
	case "MsgId":
		num = &m.MsgID
	case "MsgID":
		num = &m.TemplateMsgID
	}
	if num == nil {
		return nil
	}
	s := strings.TrimSpace(string(text))
	if s == "" {
		*num = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("wechat message field %s: %w", field, err)
	}
	*num = n
	return nil
}

// Reply renders the passive text reply to in: plain XML, or encrypted and
// signed (fresh random prefix and nonce) when the request was encrypted.
// Both documents are written directly: their shape is fixed, and every
// text goes into CDATA (base64, hex and the nonce need no escaping).
func (c *Crypto) Reply(in Inbound, content string, now time.Time) ([]byte, error) {
	return c.AppendReply(nil, in, content, now)
}

// AppendReply is Reply appending to dst (a buffer the caller recycles).
func (c *Crypto) AppendReply(dst []byte, in Inbound, content string, now time.Time) ([]byte, error) {
	ts := strconv.FormatInt(now.Unix(), 10)
	if !in.Encrypted {
		return appendReplyXML(slices.Grow(dst, 160+len(content)), in.Message, content, ts), nil
	}
	buf := getScratch()
	defer putScratch(buf)
	// The sealed payload is built in place: random prefix, length, XML.
	p := slices.Grow((*buf)[:0], 20+160+len(content))[:20]
	if _, err := rand.Read(p[:16]); err != nil {
		return nil, fmt.Errorf("encrypt reply: %w", err)
	}
	p = c.seal(appendReplyXML(p, in.Message, content, ts))
	*buf = p
	nonce := secure.Token(8)
	out := slices.Grow(dst, 200+base64.StdEncoding.EncodedLen(len(p)))
	out = append(out, "<xml><Encrypt><![CDATA["...)
	encAt := len(out)
	out = base64.StdEncoding.AppendEncode(out, p)
	enc := out[encAt:]
	out = append(out, "]]></Encrypt><MsgSignature><![CDATA["...)
	out = appendSignature(out, []byte(c.Token), []byte(ts), []byte(nonce), enc)
	out = append(out, "]]></MsgSignature><TimeStamp>"...)
	out = append(out, ts...)
	out = append(out, "</TimeStamp><Nonce><![CDATA["...)
	out = append(out, nonce...)
	out = append(out, "]]></Nonce></xml>"...)
	return out, nil
}

// appendReplyXML appends the plain reply document to b.
func appendReplyXML(b []byte, to Message, content, ts string) []byte {
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, to.FromUserName)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, to.ToUserName)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = append(b, ts...)
	b = append(b, "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"...)
	b = appendCDATA(b, content)
	return append(b, "</Content></xml>"...)
}

// appendCDATA appends s as CDATA, splitting any "]]>" across two sections.
func appendCDATA(b []byte, s string) []byte {
	b = append(b, "<![CDATA["...)
	for {
		before, after, found := strings.Cut(s, "]]>")
		b = append(b, before...)
		if !found {
			break
		}
		b = append(b, "]]]]><![CDATA[>"...)
		s = after
	}
	return append(b, "]]>"...)
}
