// Package smstest is a fake of Tencent Cloud's SMS API (2021-01-11) for
// tests and the dev sandbox: it checks each call's TC3-HMAC-SHA256
// signature against the fake account's key, records every message sent,
// serves the status records of a number, and can be told how to answer.
package smstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The fake account.
const (
	SecretID  = "AKIDsandbox0000000000000000000000000"
	SecretKey = "sandboxsecretkey00000000000000000"
	SDKAppID  = "1400000000"
	Sign      = "掌上检察"
)

// Message is one text message the fake accepted.
type Message struct {
	Phone          string    `json:"phone"`
	TemplateID     string    `json:"template_id"`
	Params         []string  `json:"params"`
	Sign           string    `json:"sign"`
	SessionContext string    `json:"session_context"`
	SerialNo       string    `json:"serial_no"`
	At             time.Time `json:"at"`
}

// Fake serves the SMS API.
type Fake struct {
	mu      sync.Mutex
	sent    []Message
	serial  int
	latency time.Duration
	// answer picks a SendStatus code per number ("Ok" to send).
	answer func(phone string) string
	// calls counts requests by action, signature failures under "bad_signature".
	calls map[string]int
}

// New returns a fake that sends everything.
func New() *Fake { return &Fake{calls: map[string]int{}} }

// SetLatency delays every answer.
func (f *Fake) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// Answer sets the SendStatus code per number ("Ok" sends; nil: always "Ok").
func (f *Fake) Answer(code func(phone string) string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = code
}

// Sent returns the messages accepted so far, oldest first.
func (f *Fake) Sent() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.sent...)
}

// Calls returns how many requests of action came in ("bad_signature":
// those refused for their signature).
func (f *Fake) Calls(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[action]
}

var authPattern = regexp.MustCompile(`^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$`)

// ServeHTTP answers one API call.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		apiError(w, "InvalidParameter", "POST a JSON body")
		return
	}
	action := r.Header.Get("X-TC-Action")
	if code, msg := verify(r, body); code != "" {
		f.count("bad_signature")
		apiError(w, code, msg)
		return
	}
	f.count(action)
	f.mu.Lock()
	latency := f.latency
	f.mu.Unlock()
	time.Sleep(latency)
	switch action {
	case "SendSms":
		f.sendSms(w, body)
	case "PullSmsSendStatusByPhoneNumber":
		f.pullStatus(w, body)
	default:
		apiError(w, "InvalidAction", "unknown action "+action)
	}
}

func (f *Fake) count(action string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[action]++
}

// verify checks the request's signature as the API does, by recomputing it
// with the fake account's key; it returns an error code and message, or "".
func verify(r *http.Request, body []byte) (string, string) {
	m := authPattern.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return "AuthFailure.SignatureFailure", "missing or malformed TC3-HMAC-SHA256 Authorization"
	}
	if m[1] != SecretID {
		return "AuthFailure.SecretIdNotFound", "unknown SecretId"
	}
	ts := r.Header.Get("X-TC-Timestamp")
	var unix int64
	if _, err := fmt.Sscan(ts, &unix); err != nil || time.Since(time.Unix(unix, 0)).Abs() > 5*time.Minute {
		return "AuthFailure.SignatureExpire", "timestamp outside 5 minutes"
	}
	if time.Unix(unix, 0).UTC().Format(time.DateOnly) != m[2] {
		return "AuthFailure.SignatureFailure", "credential date is not the timestamp's"
	}
	canonical := strings.Join([]string{r.Method, "/", "",
		"content-type:" + r.Header.Get("Content-Type"), "host:" + r.Host, "",
		"content-type;host", sha256Hex(body)}, "\n")
	scope := m[2] + "/sms/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	key := hmacSHA256([]byte("TC3"+SecretKey), m[2])
	key = hmacSHA256(key, "sms")
	key = hmacSHA256(key, "tc3_request")
	if !hmac.Equal([]byte(hex.EncodeToString(hmacSHA256(key, toSign))), []byte(m[3])) {
		return "AuthFailure.SignatureFailure", "signature does not match"
	}
	return "", ""
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

func (f *Fake) sendSms(w http.ResponseWriter, body []byte) {
	var in struct {
		PhoneNumberSet   []string
		SmsSdkAppId      string
		SignName         string
		TemplateId       string
		TemplateParamSet []string
		SessionContext   string
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.PhoneNumberSet) == 0 || in.TemplateId == "" {
		apiError(w, "InvalidParameter", "PhoneNumberSet and TemplateId are required")
		return
	}
	if in.SmsSdkAppId != SDKAppID {
		apiError(w, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "unknown SmsSdkAppId")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	statuses := make([]map[string]any, 0, len(in.PhoneNumberSet))
	for _, phone := range in.PhoneNumberSet {
		code := "Ok"
		if f.answer != nil {
			code = f.answer(phone)
		}
		st := map[string]any{"PhoneNumber": phone, "Code": code, "SessionContext": in.SessionContext, "IsoCode": "CN"}
		if code == "Ok" {
			f.serial++
			serial := fmt.Sprintf("2433:%020d", f.serial)
			f.sent = append(f.sent, Message{Phone: phone, TemplateID: in.TemplateId, Params: in.TemplateParamSet,
				Sign: in.SignName, SessionContext: in.SessionContext, SerialNo: serial, At: time.Now()})
			st["SerialNo"], st["Fee"], st["Message"] = serial, 1, "send success"
		} else {
			st["Message"] = "refused by the fake"
		}
		statuses = append(statuses, st)
	}
	answer(w, map[string]any{"SendStatusSet": statuses})
}

func (f *Fake) pullStatus(w http.ResponseWriter, body []byte) {
	var in struct {
		PhoneNumber string
		BeginTime   int64
	}
	if err := json.Unmarshal(body, &in); err != nil || in.PhoneNumber == "" {
		apiError(w, "InvalidParameter", "PhoneNumber is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	set := []map[string]any{}
	for _, m := range f.sent {
		if m.Phone == in.PhoneNumber && m.At.Unix() >= in.BeginTime {
			set = append(set, map[string]any{"SerialNo": m.SerialNo, "PhoneNumber": m.Phone,
				"SessionContext": m.SessionContext, "ReportStatus": "SUCCESS", "UserReceiveTime": m.At.Unix()})
		}
	}
	answer(w, map[string]any{"PullSmsSendStatusSet": set})
}

func answer(w http.ResponseWriter, resp map[string]any) {
	resp["RequestId"] = "fake-request"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Response": resp})
}

func apiError(w http.ResponseWriter, code, msg string) {
	answer(w, map[string]any{"Error": map[string]string{"Code": code, "Message": msg}})
}
