package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"zsjc/cache"
	"zsjc/model"
	"zsjc/push"
	"zsjc/secure"
)

// KindParams are the values of each push kind an SMS template shows, in the
// order of its parameters {1}, {2}, … (the keys of package push). Each is
// shortened to push.MaxValueRunes characters; an empty one is sent as "无".
var KindParams = map[string][]string{
	model.PushCaseEvent:     {push.KeyCaseNo, push.KeyStage, push.KeyUnit},
	model.PushBindingResult: {push.KeyCaseNo, push.KeyResult, push.KeyUnit},
	model.PushReviewResult:  {push.KeyItem, push.KeyResult, push.KeyTime, push.KeyPlace},
	model.PushMeetingResult: {push.KeyItem, push.KeyResult, push.KeyTime, push.KeyPlace},
	model.PushReminder:      {push.KeyItem, push.KeyTime, push.KeyPlace},
	model.PushEfileResult:   {push.KeyCaseNo, push.KeyResult, push.KeyTime},
	model.PushEfileExpiring: {push.KeyCaseNo, push.KeyTime},
	model.PushComplaintStep: {push.KeyItem, push.KeyResult},
	model.PushRatingInvite:  {push.KeyItem, push.KeyResult},
}

// DefaultDailyLimit is how many messages one number gets a day unless
// configured.
const DefaultDailyLimit = 10

// SenderOptions tune a Sender.
type SenderOptions struct {
	// Templates maps a push kind to its SMS template id.
	Templates map[string]string
	// DailyLimit caps the messages one number gets in an office day,
	// fleet-wide (default DefaultDailyLimit).
	DailyLimit int
	// Location is the office's time zone; the day ends at its midnight.
	Location *time.Location
	Now      func() time.Time
}

// Sender is the outbox's sms channel.
type Sender struct {
	client *Client
	db     *gorm.DB
	sealer *secure.Sealer
	cache  cache.Store
	opt    SenderOptions
}

// NewSender returns the sms channel sending through client.
func NewSender(client *Client, db *gorm.DB, sealer *secure.Sealer, store cache.Store, opt SenderOptions) *Sender {
	if opt.DailyLimit <= 0 {
		opt.DailyLimit = DefaultDailyLimit
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Sender{client: client, db: db, sealer: sealer, cache: store, opt: opt}
}

// statusWindow is how far back the status records are searched; the API
// keeps seven days.
const statusWindow = 6 * 24 * time.Hour

// errNoPhone: the recipient gave no phone number or withdrew their consent.
var errNoPhone = errors.New("sms: the recipient has no phone number with SMS consent")

// Send texts the push to its recipient's phone. A push claimed again
// after an attempt whose outcome was not recorded (the instance died, the
// answer was lost) is first looked for in the provider's records under its
// client_msg_id, so it is not sent twice.
func (s *Sender) Send(ctx context.Context, row *model.PushMessage) (push.Receipt, error) {
	template, ok := s.opt.Templates[row.Kind]
	if !ok {
		return push.Receipt{}, &push.SendError{Class: push.Final, Code: "no_template",
			Err: fmt.Errorf("sms: no template for push kind %q", row.Kind)}
	}
	params, err := paramsOf(row)
	if err != nil {
		return push.Receipt{}, &push.SendError{Class: push.Final, Code: "render", Err: err}
	}
	phone, err := s.phoneOf(ctx, row.OpenID)
	if errors.Is(err, errNoPhone) {
		return push.Receipt{}, &push.SendError{Class: push.NoRecipient, Code: "no_phone", Err: err}
	}
	if err != nil {
		return push.Receipt{}, err
	}
	if row.Attempts > 1 {
		since := row.CreatedAt.Add(-time.Minute)
		if oldest := s.opt.Now().Add(-statusWindow); since.Before(oldest) {
			since = oldest
		}
		serial, err := s.client.SentBefore(ctx, phone, row.ClientMsgID, since)
		if err != nil { // whether it went out is unknown: retried, never failed
			return push.Receipt{}, fmt.Errorf("sms: look for an earlier send: %w", err)
		}
		if serial != "" {
			return push.Receipt{ProviderMsgID: serial}, nil
		}
	}
	counter, err := s.countToday(ctx, phone)
	if err != nil {
		return push.Receipt{}, err
	}
	st, err := s.client.Send(ctx, phone, template, params, row.ClientMsgID)
	if err != nil {
		var refused *APIError
		if errors.As(err, &refused) { // definitely not sent: not counted
			if derr := s.cache.Decr(ctx, counter); derr != nil {
				return push.Receipt{}, errors.Join(classify(err), derr)
			}
		}
		return push.Receipt{}, classify(err)
	}
	return push.Receipt{ProviderMsgID: st.SerialNo}, nil
}

// countToday counts a message to phone against its daily limit and
// returns the counter's key; over the limit, the count is given back and
// the push waits for the next day. The key holds the number's keyed hash,
// never the number.
func (s *Sender) countToday(ctx context.Context, phone string) (string, error) {
	day := s.opt.Now().In(s.opt.Location).Format(time.DateOnly)
	key := "sms:daily:" + s.sealer.Hash(phone) + ":" + day
	n, err := s.cache.Incr(ctx, key, 48*time.Hour)
	if err != nil {
		return "", fmt.Errorf("sms: count the number's messages today: %w", err)
	}
	if n <= int64(s.opt.DailyLimit) {
		return key, nil
	}
	if err := s.cache.Decr(ctx, key); err != nil {
		return "", fmt.Errorf("sms: give back a count over the daily limit: %w", err)
	}
	return "", &push.SendError{Class: push.HoldToNextDay, Code: "daily_limit",
		Err: fmt.Errorf("sms: the number has had its %d messages today", s.opt.DailyLimit)}
}

// phoneOf opens the phone number of the user with openid: their own, else
// their lawyer profile's, and only with their SMS consent.
func (s *Sender) phoneOf(ctx context.Context, openid string) (string, error) {
	db := s.db.WithContext(ctx)
	var users []model.WeChatUser
	if err := db.Select("id", "phone_enc", "sms_consent").Where("open_id = ?", openid).Limit(1).Find(&users).Error; err != nil {
		return "", fmt.Errorf("sms: load the recipient: %w", err)
	}
	if len(users) == 0 || !users[0].SMSConsent {
		return "", errNoPhone
	}
	sealed := users[0].PhoneEnc
	if len(sealed) == 0 {
		var profiles []model.LawyerProfile
		if err := db.Select("phone_enc").Where("user_id = ?", users[0].ID).Limit(1).Find(&profiles).Error; err != nil {
			return "", fmt.Errorf("sms: load the recipient's lawyer profile: %w", err)
		}
		if len(profiles) == 0 || len(profiles[0].PhoneEnc) == 0 {
			return "", errNoPhone
		}
		sealed = profiles[0].PhoneEnc
	}
	phone, err := s.sealer.Open(sealed)
	if err != nil {
		return "", &push.SendError{Class: push.Final, Code: "phone_unreadable", Err: fmt.Errorf("sms: open the phone number: %w", err)}
	}
	return phone, nil
}

// paramsOf fills the template parameters of the row's kind from its values.
func paramsOf(row *model.PushMessage) ([]string, error) {
	var values map[string]string
	if row.Data != "" {
		if err := json.Unmarshal([]byte(row.Data), &values); err != nil {
			return nil, fmt.Errorf("sms: push data is not an object of strings: %w", err)
		}
	}
	keys := KindParams[row.Kind]
	params := make([]string, len(keys))
	for i, key := range keys {
		params[i] = push.Fit(push.TypeThing, values[key])
		if strings.TrimSpace(params[i]) == "" {
			params[i] = "无"
		}
	}
	return params, nil
}

// statusClasses say what the worker does after a SendSms status code
// (Tencent Cloud SMS error codes); codes not listed go by their prefix
// (classify).
var statusClasses = map[string]push.ErrorClass{
	// The number's or the application's limits of the day.
	"LimitExceeded.PhoneNumberDailyLimit":            push.HoldToNextDay,
	"LimitExceeded.PhoneNumberSameContentDailyLimit": push.HoldToNextDay,
	"LimitExceeded.DailyLimit":                       push.HoldToNextDay,
	// Limits that pass within the hour, a package topped up.
	"LimitExceeded.PhoneNumberThirtySecondLimit":      push.Retry,
	"LimitExceeded.PhoneNumberOneHourLimit":           push.Retry,
	"LimitExceeded.DeliveryFrequencyLimit":            push.Retry,
	"FailedOperation.InsufficientBalanceInSmsPackage": push.Retry,
	"RequestLimitExceeded":                            push.Retry,
	// The number, the template or the sign cannot take this message.
	"FailedOperation.PhoneNumberInBlacklist":         push.Final,
	"FailedOperation.PhoneNumberParseFail":           push.Final,
	"FailedOperation.TemplateIncorrectOrUnapproved":  push.Final,
	"FailedOperation.SignatureIncorrectOrUnapproved": push.Final,
	"FailedOperation.ContainSensitiveWord":           push.Final,
	"UnauthorizedOperation.SmsSdkAppIdVerifyFail":    push.Final,
}

// prefixClasses class the codes statusClasses does not list.
var prefixClasses = []struct {
	prefix string
	class  push.ErrorClass
}{
	{"InvalidParameter", push.Final}, // also InvalidParameterValue.*
	{"UnsupportedOperation", push.Final},
	{"MissingParameter", push.Final},
	{"InternalError", push.Retry},
	// A key being rotated or a clock off: fixed without touching the push.
	{"AuthFailure", push.Retry},
}

// classify turns an SMS error into the worker's class; a failure without a
// code (network) is retried.
func classify(err error) error {
	var refused *APIError
	if !errors.As(err, &refused) {
		return err
	}
	class, ok := statusClasses[refused.Code]
	if !ok {
		class = push.Retry
		for _, p := range prefixClasses {
			if strings.HasPrefix(refused.Code, p.prefix) {
				class = p.class
				break
			}
		}
	}
	return &push.SendError{Class: class, Code: refused.Code, Err: err}
}
