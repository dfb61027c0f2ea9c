package secure

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The primitives each suite is built from, against their published test
// vectors.
func TestSuitePrimitivesMatchPublishedVectors(t *testing.T) {
	t.Run("SM4 block, GB/T 32907-2016 A.1", func(t *testing.T) {
		key := unhex(t, "0123456789abcdeffedcba9876543210")
		b, err := sm4.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 16)
		b.Encrypt(out, key)
		if got, want := hex.EncodeToString(out), "681edf34d206965e86b3e94f536e4246"; got != want {
			t.Fatalf("SM4 = %s, want %s", got, want)
		}
	})
	t.Run("SM4-GCM, RFC 8998 A.1", func(t *testing.T) {
		b, _ := sm4.NewCipher(unhex(t, "0123456789ABCDEFFEDCBA9876543210"))
		g, err := cipher.NewGCM(b)
		if err != nil {
			t.Fatal(err)
		}
		pt := unhex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
		out := g.Seal(nil, unhex(t, "00001234567800000000ABCD"), pt, unhex(t, "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"))
		want := "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D" +
			"83DE3541E4C2B58177E065A9BF7B62EC"
		if got := strings.ToUpper(hex.EncodeToString(out)); got != want {
			t.Fatalf("SM4-GCM = %s\nwant      %s", got, want)
		}
	})
	t.Run("SM3, GB/T 32905-2016 A.1", func(t *testing.T) {
		h := sm3.New()
		h.Write([]byte("abc"))
		if got, want := hex.EncodeToString(h.Sum(nil)), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"; got != want {
			t.Fatalf("SM3 = %s, want %s", got, want)
		}
	})
	t.Run("AES-256-GCM, NIST GCM spec test case 16", func(t *testing.T) {
		b, _ := aes.NewCipher(unhex(t, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
		g, _ := cipher.NewGCM(b)
		pt := unhex(t, "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
		out := g.Seal(nil, unhex(t, "cafebabefacedbaddecaf888"), pt, unhex(t, "feedfacedeadbeeffeedfacedeadbeefabaddad2"))
		want := "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
			"76fc6ece0f4e1768cddf8853bb2d551b"
		if got := hex.EncodeToString(out); got != want {
			t.Fatalf("AES-GCM = %s\nwant      %s", got, want)
		}
	})
	t.Run("HMAC-SHA256, RFC 4231 case 2", func(t *testing.T) {
		m := hmac.New(sha256.New, []byte("Jefe"))
		m.Write([]byte("what do ya want for nothing?"))
		if got, want := hex.EncodeToString(m.Sum(nil)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
			t.Fatalf("HMAC-SHA256 = %s, want %s", got, want)
		}
	})
}

func TestSealOpenAndHash(t *testing.T) {
	for _, suite := range Suites {
		t.Run(suite, func(t *testing.T) {
			s, err := NewSuiteSealer(suite, bytes.Repeat([]byte{1}, 32))
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
			if !s.Current(a) || Describe(a) != suite+"/"+s.KeyID() {
				t.Fatalf("value tagged %s, want %s/%s", Describe(a), suite, s.KeyID())
			}
			a[len(a)-1] ^= 1
			if _, err := s.Open(a); err != ErrOpen {
				t.Fatalf("tampered value opened: %v", err)
			}
			if s.Hash(id) != s.Hash(id) || s.Hash(id) == s.Hash("110105194912310029") || len(s.Hash(id)) != 64 {
				t.Fatal("hash is not a stable, distinguishing 256-bit function")
			}
			other, _ := NewSuiteSealer(suite, bytes.Repeat([]byte{2}, 32))
			if other.Hash(id) == s.Hash(id) {
				t.Fatal("hash does not depend on the key")
			}
			if _, err := other.Open(b); err != ErrOpen {
				t.Fatalf("a value opened under another key: %v", err)
			}
		})
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := NewSuiteSealer("des", bytes.Repeat([]byte{1}, 32)); err == nil {
		t.Fatal("unknown suite accepted")
	}
}

// Changing suite or key never makes a stored value unreadable or
// unmatchable: values of the other suite, of an old key and of the
// untagged format sealed before suites existed all open, and their hashes
// are among Hashes.
func TestSealerReadsEverySuiteAndOldKeys(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	id := "11010519491231002X"
	aes1, _ := NewSuiteSealer(SuiteAES, k1)
	sealedAES, _ := aes1.Seal(id)

	// The untagged format: AES-256-GCM, nonce in front, key derived as today.
	block, _ := aes.NewCipher(derive(sha256.New, k1, "zsjc/encrypt/v1"))
	g, _ := cipher.NewGCM(block)
	nonce := bytes.Repeat([]byte{7}, g.NonceSize())
	legacy := g.Seal(append([]byte{}, nonce...), nonce, []byte(id), nil)
	legacyHash := hmac.New(sha256.New, derive(sha256.New, k1, "zsjc/hash/v1"))
	legacyHash.Write([]byte(id))
	if aes1.Hash(id) != hex.EncodeToString(legacyHash.Sum(nil)) {
		t.Fatal("the aes suite's hash differs from the one stored before suites existed")
	}

	sm2, err := NewSuiteSealer(SuiteSM, k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string][]byte{"aes, old key": sealedAES, "untagged": legacy} {
		if got, err := sm2.Open(v); err != nil || got != id {
			t.Fatalf("%s: Open = %q, %v", name, got, err)
		}
		if sm2.Current(v) {
			t.Fatalf("%s: reported current", name)
		}
	}
	if Describe(legacy) != "aes/legacy" || Describe(sealedAES) != "aes/"+KeyID(k1) {
		t.Fatalf("Describe = %s, %s", Describe(legacy), Describe(sealedAES))
	}
	hashes := sm2.Hashes(id)
	if hashes[0] != sm2.Hash(id) || !slices.Contains(hashes, aes1.Hash(id)) || len(hashes) != 4 {
		t.Fatalf("Hashes = %v: want the current first and the old key's aes hash", hashes)
	}
	fresh, _ := sm2.Seal(id)
	if !bytes.HasPrefix(fresh, sm2.CurrentHeader()) || Describe(fresh) != "sm/"+KeyID(k2) {
		t.Fatalf("new value tagged %s", Describe(fresh))
	}
}
