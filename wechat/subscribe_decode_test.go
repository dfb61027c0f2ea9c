package wechat

import (
	"reflect"
	"testing"
)

// TestDecodeSubscribeEvents reads the three subscribe-notice events as the
// platform documents them: the <List> items nested in
// SubscribeMsgPopupEvent, SubscribeMsgChangeEvent and SubscribeMsgSentEvent.
func TestDecodeSubscribeEvents(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []SubscribeItem
	}{
		{`<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>` +
			`<CreateTime>1610969440</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_popup_event]]></Event>` +
			`<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>` +
			`<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>` +
			`<List><TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>` +
			`<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent></xml>`,
			[]SubscribeItem{{TemplateID: "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", Status: "accept", PopupScene: "2"},
				{TemplateID: "9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI", Status: "reject", PopupScene: "2"}}},
		{`<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>` +
			`<CreateTime>1610969440</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_change_event]]></Event>` +
			`<SubscribeMsgChangeEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>` +
			`<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent></xml>`,
			[]SubscribeItem{{TemplateID: "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", Status: "reject"}}},
		{`<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[otFpruAK8D-E6EfStSYonYSBZ8_4]]></FromUserName>` +
			`<CreateTime>1610969468</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_sent_event]]></Event>` +
			`<SubscribeMsgSentEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>` +
			`<MsgID>1700827132819554304</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>`,
			[]SubscribeItem{{TemplateID: "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", MsgID: 1700827132819554304, ErrorStatus: "success"}}},
	} {
		m, err := decodeMessage([]byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if m.FromUserName != "otFpruAK8D-E6EfStSYonYSBZ8_4" || m.MsgType != "event" || m.TemplateMsgID != 0 ||
			!reflect.DeepEqual(m.Subscriptions, tc.want) {
			t.Errorf("%s: decoded %+v", m.Event, m)
		}
	}
	if _, err := decodeMessage([]byte(`<xml><SubscribeMsgSentEvent><List><MsgID>x</MsgID></List></SubscribeMsgSentEvent></xml>`)); err == nil {
		t.Error("a malformed MsgID was accepted")
	}
}
