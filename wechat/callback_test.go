package wechat_test

import (
	"errors"
	"net/url"
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
