package main

import (
	"errors"
	"strings"
	"testing"

	"zsjc/config"
)

// TestSetupSMS: no account is no SMS (the sandbox's fake aside); an
// account's templates name known push kinds only.
func TestSetupSMS(t *testing.T) {
	cfg := config.Default()
	if got, err := setupSMS(&cfg, false); err != nil || got.client != nil || len(got.kinds()) != 0 {
		t.Fatalf("no account: %+v %v", got, err)
	}
	if got, err := setupSMS(&cfg, true); err != nil || got.sandbox == nil || !got.kinds()["case_event"] {
		t.Fatalf("sandbox: %+v %v", got, err)
	}
	cfg.SMS = config.SMS{SecretID: "AKID", SecretKey: "k", SDKAppID: "1400000000", Sign: "掌上检察", APIBase: "http://127.0.0.1:9",
		Templates: map[string]string{"case_event": "1", "case_evnet": "2"}}
	_, err := setupSMS(&cfg, false)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "sms.templates" || !strings.Contains(err.Error(), "case_evnet") {
		t.Fatalf("unknown kind: %v", err)
	}
	delete(cfg.SMS.Templates, "case_evnet")
	got, err := setupSMS(&cfg, true)
	if err != nil || got.sandbox != nil || !got.kinds()["case_event"] || got.kinds()["reminder"] {
		t.Fatalf("account: %+v %v", got, err)
	}
}
