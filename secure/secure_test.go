package secure

import (
	"strings"
	"testing"
)

func TestIDNumber(t *testing.T) {
	for id, want := range map[string]bool{
		"11010519491231002X": true,
		"11010519491231002x": true, // lower-case check character
		"110105194912310021": false,
		"11010519491331002X": false, // month 13
		"1101051949123100":   false,
		"1101051949123100AX": false,
		"":                   false,
	} {
		if got := ValidIDNumber(id); got != want {
			t.Errorf("ValidIDNumber(%q) = %v", id, got)
		}
	}
	if m := MaskIDNumber("11010519491231002x"); m != "1101**********002X" {
		t.Fatalf("mask = %s", m)
	}
}

func TestMobile(t *testing.T) {
	for p, want := range map[string]bool{"13800138000": true, "12800138000": false, "1380013800": false, "1380013800a": false} {
		if ValidMobile(p) != want {
			t.Errorf("ValidMobile(%s)", p)
		}
	}
	if m := MaskMobile("13812341234"); m != "138****1234" {
		t.Fatalf("mask = %s", m)
	}
	if strings.Contains(MaskMobile("123"), "1") {
		t.Fatal("short value not fully masked")
	}
}
