package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/url"
	"strconv"
	"time"

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
		var env envelope
		if xml.Unmarshal(body, &env) != nil || env.Encrypt == "" {
			return Inbound{}, ErrMalformed
		}
		if !c.VerifyMsgSignature(q.Get("timestamp"), q.Get("nonce"), env.Encrypt, q.Get("msg_signature")) {
			return Inbound{}, ErrBadMsgSignature
		}
		msg, _, err := c.Decrypt(env.Encrypt)
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
	if xml.Unmarshal(plain, &in.Message) != nil || in.Message.FromUserName == "" || in.Message.MsgType == "" {
		return Inbound{}, ErrMalformed
	}
	return in, nil
}

// textReply is a passive text reply.
type textReply struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
}

type cdata struct {
	Value string `xml:",cdata"`
}

// encryptedReply is the envelope of a reply in compatible/safe mode.
type encryptedReply struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    int64    `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

// Reply renders the passive text reply to in: plain XML, or encrypted and
// signed (fresh random prefix and nonce) when the request was encrypted.
func (c *Crypto) Reply(in Inbound, content string, now time.Time) ([]byte, error) {
	raw, err := xml.Marshal(textReply{ToUserName: cdata{in.Message.FromUserName},
		FromUserName: cdata{in.Message.ToUserName}, CreateTime: now.Unix(), MsgType: cdata{"text"},
		Content: cdata{content}})
	if err != nil {
		return nil, err
	}
	if !in.Encrypted {
		return raw, nil
	}
	enc, err := c.EncryptRandom(raw)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := secure.Token(8)
	var b bytes.Buffer
	err = xml.NewEncoder(&b).Encode(encryptedReply{Encrypt: cdata{enc},
		MsgSignature: cdata{Signature(c.Token, ts, nonce, enc)}, TimeStamp: now.Unix(), Nonce: cdata{nonce}})
	return b.Bytes(), err
}
