package service_test

import (
	"context"
	"testing"

	"zsjc/model"
	"zsjc/service"
)

// consentToAll records u's consent to every purpose of svc's notice, as
// the pages ask before the first id number, phone number or upload.
func consentToAll(t testing.TB, svc *service.Service, u model.WeChatUser) {
	t.Helper()
	n := svc.PrivacyNotice()
	var all []string
	for _, p := range n.Purposes {
		all = append(all, p.Code)
	}
	if _, err := svc.GiveConsent(context.Background(), service.UserSession{UserID: u.ID, OpenID: u.OpenID}, "",
		service.ConsentInput{Version: n.Version, Purposes: all}); err != nil {
		t.Errorf("consent of user %d: %v", u.ID, err)
	}
}
