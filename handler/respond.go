package handler

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/go-sql-driver/mysql"

	"zsjc/model"
)

// statusOf is the one mapping from domain error kinds to HTTP statuses.
var statusOf = map[model.Kind]int{
	model.KindInvalid:          http.StatusUnprocessableEntity,
	model.KindNotFound:         http.StatusNotFound,
	model.KindConflict:         http.StatusConflict,
	model.KindUnauthorized:     http.StatusUnauthorized,
	model.KindForbidden:        http.StatusForbidden,
	model.KindTooMany:          http.StatusTooManyRequests,
	model.KindUnavailable:      http.StatusServiceUnavailable,
	model.KindBadRequest:       http.StatusBadRequest,
	model.KindTooLarge:         http.StatusRequestEntityTooLarge,
	model.KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	model.KindGone:             http.StatusGone,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

var (
	errTooLarge     = model.NewError(model.KindTooLarge, "body_too_large", "请求内容过大")
	errInternal     = model.NewError(0, "internal_error", "服务器内部错误，请稍后再试")
	errNotFoundPath = model.NewError(model.KindNotFound, "not_found", "未找到该页面或接口")
	errMethod       = model.NewError(model.KindBadRequest, "method_not_allowed", "不支持该请求方法")
	errNotObject    = model.NewError(model.KindBadRequest, "invalid_json", "请求内容须为 JSON 对象")
)

// fail renders err as the error body. Domain errors keep their code; any
// other error is logged with the request id and shown as a generic 500.
func fail(c *gin.Context, err error) {
	var de *model.Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		de = errTooLarge
	case errors.As(err, &de):
	case dependencyDown(err):
		logger(c).Warn("dependency unavailable", "err", err)
		de = model.ErrUnavailable
	default:
		logger(c).Error("request failed", "err", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{errorDetail{errInternal.Code, errInternal.Message, nil}})
		return
	}
	status, ok := statusOf[de.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		logger(c).Warn("request failed", "code", de.Code, "err", err)
	}
	c.AbortWithStatusJSON(status, errorBody{errorDetail{de.Code, de.Message, de.Fields}})
}

// ok renders v with status.
func ok(c *gin.Context, status int, v any) { c.JSON(status, v) }

// list renders the pinned list shape {"items": [...]}, never null.
func list[T any](c *gin.Context, items []T) {
	if items == nil {
		items = []T{}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// decode reads a JSON body into v with clear 400/413 errors.
func decode(c *gin.Context, v any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return model.NewError(model.KindBadRequest, "unsupported_media_type", "请求内容须为 JSON (application/json)")
	}
	dec := json.NewDecoder(c.Request.Body)
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			return errTooLarge
		case errors.Is(err, io.EOF):
			return model.NewError(model.KindBadRequest, "empty_body", "请求内容为空")
		case errors.As(err, &typeErr):
			return model.Invalid(map[string]string{typeErr.Field: "类型不正确"})
		default:
			return model.NewError(model.KindBadRequest, "invalid_json", "请求内容不是有效的 JSON")
		}
	}
	if dec.More() {
		return model.NewError(model.KindBadRequest, "invalid_json", "请求内容不是单个 JSON 对象")
	}
	return nil
}

// decodeNamingFields is decode that also reports which top-level fields
// the body named, for updates that keep the fields a body omits.
func decodeNamingFields(c *gin.Context, v any) (map[string]bool, error) {
	var raw json.RawMessage
	if err := decode(c, &raw); err != nil {
		return nil, err
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	if err := decode(c, v); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return nil, errNotObject
	}
	given := make(map[string]bool, len(fields))
	for name := range fields {
		given[name] = true
	}
	return given, nil
}

// idParam parses a positive numeric path parameter. A malformed id is
// answered like a missing one: 404.
func idParam(c *gin.Context, name string) (uint64, error) {
	raw := c.Param(name)
	if raw == "" || len(raw) > 19 || strings.TrimLeft(raw, "0123456789") != "" {
		return 0, model.ErrNotFound
	}
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 || id > math.MaxInt64 { // SQL integers are signed
		return 0, model.ErrNotFound
	}
	return id, nil
}

// logger returns the request-scoped logger (carrying the request id).
func logger(c *gin.Context) *slog.Logger {
	if r, ok := c.Get(ctxLogger); ok {
		return r.(*requestLog).get()
	}
	return slog.Default()
}

// must wraps a handler that returns an error into a gin handler.
func must(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			fail(c, err)
		}
	}
}

// dependencyDown recognises a database or cache that cannot be reached, so
// that callers get a 503 they may retry instead of a 500.
func dependencyDown(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED)
}
