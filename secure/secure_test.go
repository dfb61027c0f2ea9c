package secure

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealOpenAndHash(t *testing.T) {
	s, err := NewSealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	id := "11010519491231002X"
	a, _ := s.Seal(id)
	b, _ := s.Seal(id)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	if bytes.Contains(a, []byte(id)) || bytes.Contains(a, []byte("1949")) {
		t.Fatal("sealed value contains the plaintext")
	}
	if got, err := s.Open(a); err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	a[len(a)-1] ^= 1
	if _, err := s.Open(a); err != ErrOpen {
		t.Fatalf("tampered value opened: %v", err)
	}
	if s.Hash(id) != s.Hash(id) || s.Hash(id) == s.Hash("110105194912310029") {
		t.Fatal("hash is not a stable, distinguishing function")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{2}, 32))
	if other.Hash(id) == s.Hash(id) {
		t.Fatal("hash does not depend on the key")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

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
