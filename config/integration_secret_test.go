package config

import (
	"errors"
	"testing"
)

// TestIntegrationSecretLength: a short secret is refused by name; empty
// (integration disabled) and long ones pass.
func TestIntegrationSecretLength(t *testing.T) {
	for secret, wantErr := range map[string]bool{"": false, "short": true, "a-long-enough-secret": false} {
		_, err := Load(func(k string) string {
			if k == "ZSJC_INTEGRATION_SECRET" {
				return secret
			}
			return ""
		}, "")
		var ce *Error
		if got := errors.As(err, &ce) && ce.Var == "ZSJC_INTEGRATION_SECRET"; got != wantErr {
			t.Errorf("secret %q: %v", secret, err)
		}
	}
}
