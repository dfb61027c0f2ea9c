// Package wechat wraps the WeChat official-account platform: callback
// decoding and replies, the fleet-wide access token, template messages,
// OAuth and the JS-SDK ticket. Package wechattest fakes the platform.
package wechat

import "fmt"

// TemplateMessage is one template message to send.
type TemplateMessage struct {
	ToUser     string
	TemplateID string
	URL        string
	// Data maps a template field name ("thing1") to its value.
	Data map[string]string
	// ClientMsgID is WeChat's idempotency key: a resend with the same id is
	// not shown twice.
	ClientMsgID string
}

// SubscribeMessage is one subscribe notice (订阅通知) to send. The
// platform has no idempotency key for it, unlike template messages.
type SubscribeMessage struct {
	ToUser     string
	TemplateID string
	// Page is the web page the notice opens.
	Page string
	// Data maps a template field name ("thing1") to its value.
	Data map[string]string
}

// APIError is an errcode answer of the platform.
type APIError struct {
	Code int
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("wechat errcode %d: %s", e.Code, e.Msg) }

// ErrCode lets callers classify the error without importing this package.
func (e *APIError) ErrCode() int { return e.Code }
