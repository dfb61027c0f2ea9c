package push

import (
	"context"
	"errors"
	"fmt"

	"zsjc/model"
)

// ChannelSender sends the claimed pushes of one channel
// (model.PushMessage.Channel). The worker owns leasing, backoff, dedup and
// recording; a sender only turns one row into one provider call. A send
// that fails returns a *SendError saying what the worker does next; any
// other error is retried with backoff.
type ChannelSender interface {
	Send(ctx context.Context, row *model.PushMessage) (Receipt, error)
}

// Receipt is what the provider answered a send with.
type Receipt struct {
	// WeChatMsgID is WeChat's msgid, which delivery reports name (0 on
	// channels without one).
	WeChatMsgID int64
	// ProviderMsgID is another provider's id of the message (an SMS's
	// SerialNo).
	ProviderMsgID string
}

// ErrorClass is what the worker does with a push whose send failed.
type ErrorClass int

const (
	// Retry: the cause may pass (network, provider busy); back off.
	Retry ErrorClass = iota
	// Final: sending again cannot succeed; the push fails.
	Final
	// NotFollowing: the recipient does not follow the account. The user is
	// marked unfollowed and the push goes to the fallback channel, or is
	// recorded unreachable.
	NotFollowing
	// QuotaExhausted: the account's daily quota is used up; every instance
	// pauses until the next day and the push waits for it, the attempt
	// not counted.
	QuotaExhausted
	// NoRecipient: the recipient cannot get the push on this channel (no
	// phone number, no consent); it goes to the fallback channel, or is
	// recorded unreachable.
	NoRecipient
	// HoldToNextDay: this push may not go out today (a per-number daily
	// limit); it waits for the next day, the attempt not counted.
	HoldToNextDay
)

// SendError is a failed send with its class and a code for the metrics
// (a WeChat errcode, an SMS status code).
type SendError struct {
	Class ErrorClass
	Code  string
	Err   error
	// Next is the channel a NoRecipient push goes on instead, when the
	// sender knows it (a refused subscribe notice: a template message);
	// "" asks Options.Fallback.
	Next string
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// classify reads a send error as the worker acts on it: a *SendError as it
// says, anything else as a transport failure to retry.
func classify(err error) (ErrorClass, string) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Class, se.Code
	}
	return Retry, "transport"
}

// templateSender is the wechat_template channel: the row rendered with its
// kind's template and sent with client_msg_id, WeChat's errcodes classed.
type templateSender struct {
	sender Sender
	render renderer
}

func (t templateSender) Send(ctx context.Context, row *model.PushMessage) (Receipt, error) {
	msg, err := t.render.render(*row)
	if err != nil {
		return Receipt{}, &SendError{Class: Final, Code: "render", Err: err}
	}
	msgID, err := t.sender.SendTemplate(ctx, msg)
	if err != nil {
		return Receipt{}, classifyWeChat(err)
	}
	return Receipt{WeChatMsgID: msgID}, nil
}

// classifyWeChat classes a platform error by its errcode. The client has
// already recovered from 40001/42001 (a token the platform refused) once;
// one still failing is retried like any passing fault.
func classifyWeChat(err error) error {
	var coded interface{ ErrCode() int }
	if !errors.As(err, &coded) {
		return err
	}
	code := coded.ErrCode()
	class := Retry
	switch {
	case code == ErrcodeNotSubscribed:
		class = NotFollowing
	case finalErrcodes[code]:
		class = Final
	case code == ErrcodeQuota:
		class = QuotaExhausted
	}
	return &SendError{Class: class, Code: fmt.Sprint(code), Err: err}
}
