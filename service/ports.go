package service

import "context"

// OAuth is WeChat's web authorisation for H5 pages (snsapi_base).
type OAuth interface {
	// AuthCodeURL is the authorize page to send the browser to.
	AuthCodeURL(redirectURI, state string) string
	// Exchange trades the code WeChat appended to the redirect for the user.
	Exchange(ctx context.Context, code string) (OAuthIdentity, error)
}

// OAuthIdentity is who WeChat says the browser's user is.
type OAuthIdentity struct {
	OpenID  string
	UnionID string
}

// JSTicketSource yields the account's jsapi_ticket, shared by all instances.
type JSTicketSource interface {
	JSTicket(ctx context.Context) (string, error)
}
