package service

import (
	"testing"

	"zsjc/model"
)

// TestRouteOf is the routing table: WeChat unless the recipient is known
// to have unfollowed; then SMS if they can get one and the kind has an SMS
// template; otherwise no channel (unreachable).
func TestRouteOf(t *testing.T) {
	smsKinds := map[string]bool{model.PushCaseEvent: true}
	for _, c := range []struct {
		name string
		r    reach
		kind string
		want string
	}{
		{"follower", reach{}, model.PushCaseEvent, model.ChannelWeChatTemplate},
		{"follower with a phone", reach{sms: true}, model.PushCaseEvent, model.ChannelWeChatTemplate},
		{"unfollowed with phone and consent", reach{unfollowed: true, sms: true}, model.PushCaseEvent, model.ChannelSMS},
		{"unfollowed, kind without SMS template", reach{unfollowed: true, sms: true}, model.PushReminder, ""},
		{"unfollowed without phone or consent", reach{unfollowed: true}, model.PushCaseEvent, ""},
	} {
		if got := routeOf(c.r, c.kind, smsKinds); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if got := routeOf(reach{unfollowed: true, sms: true}, model.PushCaseEvent, nil); got != "" {
		t.Errorf("SMS off: %q, want no channel", got)
	}
}
