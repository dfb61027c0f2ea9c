package service_test

import (
	"testing"

	"zsjc/service"
)

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]bool{
		"/h5/":                                   true,
		"/h5/cases/1?tab=docs":                   true,
		"/h5/#/profile":                          true,
		"/":                                      true,
		"//evil.example":                         false,
		"///evil.example":                        false,
		"https://evil.example":                   false,
		"/\\evil":                                false,
		"\\/evil.example":                        false,
		"/h5/\\..\\evil":                         false,
		"evil.example/h5/":                       false,
		"javascript:alert(1)":                    false,
		"/\t/evil.example":                       false,
		"/h5/\r\nSet-Cookie:a":                   false,
		"":                                       false,
		"/h5/%0d%0aLocation:x":                   true, // stays percent-encoded: a path on this site
		"/\x00":                                  false,
		" /h5/":                                  false,
		"/h5/profile?next=%2F%09%2Fevil.example": false,
		"/h5/profile?next=%2Fh5%2Fbind%3Frole%3Dlawyer":              true,
		"/h5/profile?next=%2Fh5%2Fx%3Fnext%3D%252F%255Cevil.example": false,
		"/h5/profile?a=1&next=/h5/&next=//evil.example":              false,
		"/h5/profile?next=%2F%0A%2Fevil.example":                     false,
	} {
		if got := service.SafeNext(next) != ""; got != want {
			t.Errorf("SafeNext(%q) accepted=%v, want %v", next, got, want)
		}
	}
}

// TestSignJSSDK checks the signature against the example of WeChat's
// JS-SDK documentation (附录1-JS-SDK使用权限签名算法).
func TestSignJSSDK(t *testing.T) {
	got := service.SignJSSDK("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value")
	if got != "0f9de62fce790f9a083d5c99e95740ceb90c27ed" {
		t.Errorf("signature %s", got)
	}
}
