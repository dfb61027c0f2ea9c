package sms

import (
	"context"
	"fmt"
	"time"

	"zsjc/push"
	"zsjc/service"
)

// PasswordTemplate is the key of sms.templates naming the template that
// carries an online file review's download password (parameters: the case
// number, the password, the download deadline). It is no push kind: the
// password never enters the outbox, whose rows staff can read.
const PasswordTemplate = "efile_password"

// PasswordTexter delivers download passwords by SMS, apart from the link
// the push carries (service.PasswordDeliverer).
type PasswordTexter struct {
	Client   *Client
	Template string
	// Location formats the deadline in office time.
	Location *time.Location
}

// DeliverPassword texts password to the lawyer's number.
func (p PasswordTexter) DeliverPassword(ctx context.Context, to service.PasswordRecipient, password string) error {
	if to.Phone == "" {
		return errNoPhone
	}
	params := []string{push.Fit(push.TypeThing, to.CaseNo), password, to.ExpiresAt.In(p.Location).Format("2006-01-02 15:04")}
	if _, err := p.Client.Send(ctx, to.Phone, p.Template, params, fmt.Sprintf("efile:%d", to.RequestID)); err != nil {
		return fmt.Errorf("text the download password of efile %d: %w", to.RequestID, err)
	}
	return nil
}
