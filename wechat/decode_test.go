package wechat

import (
	"reflect"
	"testing"
)

// FuzzDecodeFlat checks the flat-message reader against the token walker:
// whatever decodeFlat accepts, decodeTokens decodes to the same Message.
func FuzzDecodeFlat(f *testing.F) {
	f.Add([]byte("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>" +
		"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content>" +
		"<MsgId>1234567890123456</MsgId></xml>"))
	f.Add([]byte("<xml>\n <FromUserName>o</FromUserName>\n <MsgType>event</MsgType><Event>subscribe</Event>\n</xml>trailing"))
	f.Add([]byte("<xml><Content>a &amp; b</Content><MsgType>text</MsgType></xml>"))
	f.Add([]byte("<xml><Content><![CDATA[a]]>b</Content><CreateTime> 12 </CreateTime></xml>"))
	f.Add([]byte("<xml><Content>a\r\nb</Content><Content><x/></Content></xml>"))
	f.Add([]byte("<xml><MsgId>x</MsgId></xml>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		flat, ok := decodeFlat(doc)
		if !ok {
			return
		}
		tokens, err := decodeTokens(doc)
		if err != nil {
			t.Fatalf("decodeFlat accepted what encoding/xml refuses (%v): %+v", err, flat)
		}
		if !reflect.DeepEqual(flat, tokens) {
			t.Fatalf("decodeFlat %+v\ndecodeTokens %+v", flat, tokens)
		}
	})
}
