package model

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error; the HTTP layer maps each kind to one status.
type Kind int

const (
	KindInvalid          Kind = iota + 1 // bad input: 422 (400 for undecodable bodies)
	KindNotFound                         // missing or not yours: 404
	KindConflict                         // state does not allow it: 409
	KindUnauthorized                     // not logged in: 401
	KindForbidden                        // logged in, not allowed: 403
	KindTooMany                          // rate limited: 429
	KindUnavailable                      // a dependency is down: 503
	KindBadRequest                       // undecodable request: 400
	KindTooLarge                         // body over the limit: 413
	KindUnsupportedMedia                 // a body of a type the route does not take: 415
	KindGone                             // existed, is no longer available (expired, used up): 410
)

// Error is a domain error: a stable snake_case code for machines, a Chinese
// message for people and, for validation errors, a message per field.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
	}
	return e.Code + ": " + e.Message
}

// Is makes errors.Is match two domain errors by code.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// NewError returns a domain error.
func NewError(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid returns a validation error carrying one message per bad field.
func Invalid(fields map[string]string) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_input", Message: "输入有误，请检查标注的字段", Fields: fields}
}

// StateConflict reports a transition the current state does not allow,
// naming the current state so the caller knows what happened meanwhile.
func StateConflict(what string, current Status) *Error {
	return &Error{Kind: KindConflict, Code: "invalid_state",
		Message: fmt.Sprintf("%s当前状态为「%s」，不能执行该操作", what, current.Label())}
}

// Errors shared across use cases. Use-case specific errors live beside the
// use case that raises them.
var (
	// ErrNotFound is deliberately the same for "does not exist" and "not
	// yours", so no endpoint reveals whether an id or case number exists.
	ErrNotFound     = NewError(KindNotFound, "not_found", "未找到该记录")
	ErrUnauthorized = NewError(KindUnauthorized, "unauthorized", "请先登录")
	ErrForbidden    = NewError(KindForbidden, "forbidden", "无权执行该操作")
	ErrRateLimited  = NewError(KindTooMany, "rate_limited", "操作过于频繁，请稍后再试")
	ErrUnavailable  = NewError(KindUnavailable, "unavailable", "服务暂时不可用，请稍后再试")
)

// FieldErrors collects validation messages field by field.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns nil when no field failed, else the validation error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f)
}
