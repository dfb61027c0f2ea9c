package wechat_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// fuzzNow is the clock of the fuzz target; requests are stamped with it.
var fuzzNow = time.Unix(1409735669, 0)

// signedQuery is a correctly signed callback query, so that the fuzzer
// reaches the decoding behind the signature checks.
func signedQuery(c *wechat.Crypto, encrypt string, encrypted bool) url.Values {
	ts, nonce := strconv.FormatInt(fuzzNow.Unix(), 10), "1320562132"
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wechat.Signature(c.Token, ts, nonce)}}
	if encrypted {
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechat.Signature(c.Token, ts, nonce, encrypt))
	}
	return q
}

// FuzzOpen feeds the callback decoding path arbitrary bodies in its three
// shapes: a plaintext body, an arbitrary Encrypt field, and arbitrary bytes
// encrypted properly (so that the XML parser sees them after decryption).
// Open must never panic, and must either refuse with a *Rejection or
// return a message naming its sender and type.
func FuzzOpen(f *testing.F) {
	v := loadVectors(f)[0]
	f.Add(uint8(0), []byte(wechattest.Text("o1", "帮助", 1).XML()))
	f.Add(uint8(0), []byte("<xml><FromUserName>o</FromUserName><MsgType>event</MsgType><Event>subscribe</Event></xml>"))
	f.Add(uint8(0), []byte("<xml><FromUserName><![CDATA[o]]></FromUserName><MsgType>text</MsgType><Content>]]></Content>"))
	f.Add(uint8(1), []byte(v.Encrypt))
	f.Add(uint8(1), []byte("AAAA"))
	f.Add(uint8(1), []byte("////////////////////////////////////////////8="))
	f.Add(uint8(2), []byte(v.Plaintext))
	f.Add(uint8(2), []byte("<xml><MsgType>text</MsgType></xml>"))
	f.Add(uint8(2), []byte{})
	plain, err := wechat.NewCrypto(v.Token, v.AppID, "")
	if err != nil {
		f.Fatal(err)
	}
	safe, err := wechat.NewCrypto(v.Token, v.AppID, v.AESKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, shape uint8, payload []byte) {
		var in wechat.Inbound
		var err error
		switch shape % 3 {
		case 0:
			in, err = plain.Open(signedQuery(plain, "", false), payload, fuzzNow)
		case 1:
			body := []byte("<xml><Encrypt><![CDATA[" + string(payload) + "]]></Encrypt></xml>")
			in, err = safe.Open(signedQuery(safe, string(payload), true), body, fuzzNow)
		case 2:
			enc, eerr := safe.Encrypt([]byte("0123456789abcdef"), payload)
			if eerr != nil {
				t.Fatal(eerr)
			}
			body := []byte("<xml><Encrypt>" + enc + "</Encrypt></xml>")
			in, err = safe.Open(signedQuery(safe, enc, true), body, fuzzNow)
		}
		if err == nil && shape%3 != 1 {
			sameAsUnmarshal(t, payload, in.Message)
		}
		var rej *wechat.Rejection
		switch {
		case err != nil && !errors.As(err, &rej):
			t.Fatalf("error is not a rejection: %v", err)
		case err == nil && (in.Message.FromUserName == "" || in.Message.MsgType == ""):
			t.Fatalf("accepted a message without sender or type: %+v", in.Message)
		}
	})
}

func TestOpenVectorRequest(t *testing.T) {
	v := loadVectors(t)[0]
	c, _ := wechat.NewCrypto(v.Token, v.AppID, v.AESKey)
	q := url.Values{"timestamp": {v.Timestamp}, "nonce": {v.Nonce}, "signature": {v.Signature},
		"encrypt_type": {"aes"}, "msg_signature": {v.MsgSignature}}
	body := []byte("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[" + v.Encrypt + "]]></Encrypt></xml>")
	in, err := c.Open(q, body, fuzzNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !in.Encrypted || in.Message.Content != "abcdteT" || in.Message.MsgID != 6054768590064713728 {
		t.Fatalf("decoded %+v", in)
	}
	if _, err := c.Open(q, body, fuzzNow.Add(wechat.ReplayWindow+time.Second)); !errors.Is(err, wechat.ErrStale) {
		t.Fatalf("replayed after the window: %v", err)
	}
}

// sameAsUnmarshal checks the hand-walked decoder against xml.Unmarshal on
// a flat document both accept.
func sameAsUnmarshal(t *testing.T, doc []byte, got wechat.Message) {
	t.Helper()
	var want wechat.Message
	if xml.Unmarshal(doc, &want) != nil || bytes.Count(doc, []byte("<")) > 40 || nested(doc) {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v\nxml.Unmarshal %+v", got, want)
	}
}

// nested reports whether a field element contains elements.
func nested(doc []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth++; depth > 2 {
				return true
			}
		case xml.EndElement:
			depth--
		}
	}
}

func TestOpenCompatibleTextQuotingEncrypt(t *testing.T) {
	phone := wechattest.CallbackClient{Token: wechattest.CallbackToken, AppID: wechattest.AppID,
		EncodingAESKey: wechattest.EncodingAESKey, Mode: wechattest.Compatible, Now: func() time.Time { return fuzzNow }}
	tricky := "<Encrypt>AAAA</Encrypt> ]]> & <b>"
	req, err := phone.Request(wechattest.Text("o1", tricky, 9))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	c, _ := wechat.NewCrypto(wechattest.CallbackToken, wechattest.AppID, wechattest.EncodingAESKey)
	in, err := c.Open(req.URL.Query(), body, fuzzNow)
	if err != nil || in.Message.Content != tricky {
		t.Fatalf("Open = %+v, %v", in.Message, err)
	}
	raw, err := c.Reply(in, tricky, fuzzNow)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := phone.Open(200, raw)
	if err != nil || reply.Content != tricky || reply.To != "o1" {
		t.Fatalf("reply %+v, %v", reply, err)
	}
}
