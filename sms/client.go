// Package sms sends push notices as text messages through Tencent Cloud
// SMS (API 2021-01-11): a Client calls SendSms and
// PullSmsSendStatusByPhoneNumber, signed TC3-HMAC-SHA256 by the official
// SDK's common client, and a Sender is the outbox's "sms" channel
// (push.ChannelSender). Phone numbers are opened from their sealed form
// only inside the Sender and never logged or put in an error.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

const (
	// DefaultAPIBase is Tencent Cloud's SMS endpoint.
	DefaultAPIBase = "https://sms.tencentcloudapi.com"
	apiVersion     = "2021-01-11"
	product        = "sms"
	// region is where the SMS API is called; SendSms serves mainland
	// numbers from any of its regions.
	region = "ap-guangzhou"
)

// Config is the SMS account.
type Config struct {
	SecretID, SecretKey string
	// SDKAppID is the SMS application (SmsSdkAppId); Sign the approved
	// signature name (签名) every message carries.
	SDKAppID, Sign string
	// APIBase is the API's base URL (default DefaultAPIBase); tests and the
	// sandbox point it at a fake.
	APIBase string
	// Timeout bounds one call (default 10 s).
	Timeout   time.Duration
	Transport http.RoundTripper
}

// Client calls the SMS API.
type Client struct {
	api    *common.Client
	appID  string
	sign   string
	scheme string
	host   string
}

// NewClient checks cfg and returns a client.
func NewClient(cfg Config) (*Client, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" || cfg.SDKAppID == "" || cfg.Sign == "" {
		return nil, errors.New("sms: secret id, secret key, SDK app id and sign are all required")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	u, err := url.Parse(cfg.APIBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sms: API base must be an absolute http(s) URL, got %q", cfg.APIBase)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	p := profile.NewClientProfile()
	p.HttpProfile.Scheme = strings.ToUpper(u.Scheme)
	// Endpoint is host[/path]; the SDK splits the path off.
	p.HttpProfile.Endpoint = u.Host + strings.TrimRight(u.Path, "/")
	p.HttpProfile.ReqTimeout = int(max(cfg.Timeout/time.Second, 1))
	p.SignMethod = "TC3-HMAC-SHA256"
	// The worker retries with its own backoff and lease; the SDK must not
	// send a message again behind its back.
	p.NetworkFailureMaxRetries, p.RateLimitExceededMaxRetries = 0, 0
	p.DisableRegionBreaker = true
	api := common.NewCommonClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), region, p)
	if cfg.Transport != nil {
		api.WithHttpTransport(cfg.Transport)
	}
	return &Client{api: api, appID: cfg.SDKAppID, sign: cfg.Sign, scheme: u.Scheme, host: u.Host}, nil
}

// Status is the provider's answer for one number (SendStatus).
type Status struct {
	SerialNo string `json:"SerialNo"`
	Code     string `json:"Code"`
	Message  string `json:"Message"`
}

// APIError is a refusal of the whole call (a bad signature, a parameter),
// or of the one number (a SendStatus whose Code is not "Ok").
type APIError struct {
	Action  string
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("sms %s: %s: %s", e.Action, e.Code, hideNumbers(e.Message))
}

// longNumber is a run of digits long enough to be a phone number.
var longNumber = regexp.MustCompile(`\+?\d{7,}`)

// hideNumbers keeps phone numbers out of errors and logs.
func hideNumbers(s string) string { return longNumber.ReplaceAllString(s, "***") }

// call sends one action with params and decodes its Response into out.
func (c *Client) call(ctx context.Context, action string, params map[string]any, out any) error {
	req := tchttp.NewCommonRequest(product, apiVersion, action)
	req.SetContext(ctx)
	if err := req.SetActionParameters(params); err != nil {
		return fmt.Errorf("sms %s: %w", action, err)
	}
	resp := tchttp.NewCommonResponse()
	if err := c.api.Send(req, resp); err != nil {
		var sdkErr *tcerr.TencentCloudSDKError
		if errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError") {
			return &APIError{Action: action, Code: sdkErr.Code, Message: sdkErr.Message}
		}
		// A network failure or an unreadable answer: the message may or may
		// not have gone out.
		return fmt.Errorf("sms %s: %s", action, hideNumbers(err.Error()))
	}
	var body struct {
		Response json.RawMessage `json:"Response"`
	}
	if err := json.Unmarshal(resp.GetBody(), &body); err != nil || body.Response == nil {
		// The common response keeps the fields of Response itself.
		return json.Unmarshal(resp.GetBody(), out)
	}
	return json.Unmarshal(body.Response, out)
}

// Send sends template with params to one mainland mobile number
// ("13800138000"), tagged with session (SessionContext), which the status
// records give back.
func (c *Client) Send(ctx context.Context, phone, template string, params []string, session string) (Status, error) {
	var out struct {
		SendStatusSet []Status `json:"SendStatusSet"`
	}
	err := c.call(ctx, "SendSms", map[string]any{
		"PhoneNumberSet": []string{"+86" + phone}, "SmsSdkAppId": c.appID, "SignName": c.sign,
		"TemplateId": template, "TemplateParamSet": params, "SessionContext": session,
	}, &out)
	if err != nil {
		return Status{}, err
	}
	if len(out.SendStatusSet) != 1 {
		return Status{}, fmt.Errorf("sms SendSms: %d statuses for one number", len(out.SendStatusSet))
	}
	st := out.SendStatusSet[0]
	if st.Code != "Ok" {
		return st, &APIError{Action: "SendSms", Code: st.Code, Message: st.Message}
	}
	return st, nil
}

// SentBefore looks in the provider's status records of phone since since
// for a message tagged session, and returns its serial number ("" when
// none). The records are those of the carriers' reports, so a message sent
// a moment ago may not be there yet.
func (c *Client) SentBefore(ctx context.Context, phone, session string, since time.Time) (string, error) {
	var out struct {
		PullSmsSendStatusSet []struct {
			SerialNo       string `json:"SerialNo"`
			SessionContext string `json:"SessionContext"`
		} `json:"PullSmsSendStatusSet"`
	}
	err := c.call(ctx, "PullSmsSendStatusByPhoneNumber", map[string]any{
		"BeginTime": since.Unix(), "EndTime": time.Now().Unix() + 60, "Offset": 0, "Limit": 100,
		"PhoneNumber": "+86" + phone, "SmsSdkAppId": c.appID,
	}, &out)
	if err != nil {
		return "", err
	}
	for _, r := range out.PullSmsSendStatusSet {
		if r.SessionContext == session {
			return r.SerialNo, nil
		}
	}
	return "", nil
}

// String names the endpoint, for the start log.
func (c *Client) String() string { return c.scheme + "://" + c.host + " app " + c.appID }
