package wechat_test

import (
	"errors"

	"zsjc/wechat"
)

func asAPIError(err error, target **wechat.APIError) bool { return errors.As(err, target) }
