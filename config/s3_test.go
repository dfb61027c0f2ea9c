package config

import (
	"errors"
	"strings"
	"testing"
)

func s3Env() map[string]string {
	e := prodEnv()
	e["ZSJC_S3_ENDPOINT"] = "https://cos.ap-beijing.myqcloud.com"
	e["ZSJC_S3_BUCKET"] = "zsjc-1250000000"
	e["ZSJC_S3_ACCESS_KEY"] = "AKID"
	e["ZSJC_S3_SECRET_KEY"] = "secret"
	e["ZSJC_S3_REGION"] = "ap-beijing"
	return e
}

func TestS3Configuration(t *testing.T) {
	e := s3Env()
	e["ZSJC_S3_PATH_STYLE"] = "true"
	e["ZSJC_S3_SSE"] = "AES256"
	cfg, err := Load(env(e), "")
	if err != nil {
		t.Fatal(err)
	}
	want := S3{Endpoint: "https://cos.ap-beijing.myqcloud.com", Bucket: "zsjc-1250000000", AccessKey: "AKID",
		SecretKey: "secret", Region: "ap-beijing", PathStyle: true, SSE: "AES256"}
	if cfg.S3 != want {
		t.Fatalf("s3 = %+v, want %+v", cfg.S3, want)
	}
	if cfg, _ := Load(env(prodEnv()), ""); cfg.S3 != (S3{}) {
		t.Fatalf("object store configured by default: %+v", cfg.S3)
	}
}

func TestS3ValidationNamesTheVariable(t *testing.T) {
	cases := []struct {
		name, variable, key, value string
	}{
		{"endpoint without scheme", "ZSJC_S3_ENDPOINT", "ZSJC_S3_ENDPOINT", "cos.ap-beijing.myqcloud.com"},
		{"endpoint with a path", "ZSJC_S3_ENDPOINT", "ZSJC_S3_ENDPOINT", "https://s3.example/zsjc"},
		{"bucket without endpoint", "ZSJC_S3_ENDPOINT", "ZSJC_S3_ENDPOINT", ""},
		{"missing bucket", "ZSJC_S3_BUCKET", "ZSJC_S3_BUCKET", ""},
		{"missing secret", "ZSJC_S3_SECRET_KEY", "ZSJC_S3_SECRET_KEY", ""},
		{"bad path style", "ZSJC_S3_PATH_STYLE", "ZSJC_S3_PATH_STYLE", "sometimes"},
		{"unknown encryption", "ZSJC_S3_SSE", "ZSJC_S3_SSE", "aws:kms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := s3Env()
			e[tc.key] = tc.value
			_, err := Load(env(e), "")
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tc.variable {
				t.Fatalf("got %v, want an error naming %s", err, tc.variable)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("want one line, got %q", err)
			}
		})
	}
}
