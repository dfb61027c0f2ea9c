package wechat_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"zsjc/wechat"
)

// vector is one entry of testdata/wechat_crypto_vectors.json (a copy of
// the team's shared file of public WXBizMsgCrypt vectors).
type vector struct {
	Name         string `json:"name"`
	Token        string `json:"token"`
	AESKey       string `json:"encoding_aes_key"`
	AppID        string `json:"app_id"`
	Timestamp    string `json:"timestamp"`
	Nonce        string `json:"nonce"`
	Signature    string `json:"signature"`
	MsgSignature string `json:"msg_signature"`
	Encrypt      string `json:"encrypt"`
	Random       string `json:"random"`
	Plaintext    string `json:"plaintext"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/wechat_crypto_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) < 2 {
		t.Fatalf("expected the official vectors, got %d", len(f.Vectors))
	}
	return f.Vectors
}

func TestVectorsDecrypt(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c, err := wechat.NewCrypto(v.Token, v.AppID, v.AESKey)
			if err != nil {
				t.Fatal(err)
			}
			msg, random, err := c.Decrypt(v.Encrypt)
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if string(msg) != v.Plaintext {
				t.Errorf("plaintext = %q, want %q", msg, v.Plaintext)
			}
			if string(random) != v.Random {
				t.Errorf("random = %q, want %q", random, v.Random)
			}
		})
	}
}

func TestVectorsEncryptDeterministic(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c, err := wechat.NewCrypto(v.Token, v.AppID, v.AESKey)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Encrypt([]byte(v.Random), []byte(v.Plaintext))
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Encrypt {
				t.Errorf("encrypt = %s\nwant      %s", got, v.Encrypt)
			}
		})
	}
}

func TestVectorsSignatures(t *testing.T) {
	checked := 0
	for _, v := range loadVectors(t) {
		if v.Signature == "" {
			continue
		}
		checked++
		c, err := wechat.NewCrypto(v.Token, v.AppID, v.AESKey)
		if err != nil {
			t.Fatal(err)
		}
		if got := wechat.Signature(v.Token, v.Timestamp, v.Nonce); got != v.Signature {
			t.Errorf("%s: signature = %s, want %s", v.Name, got, v.Signature)
		}
		if !c.VerifySignature(v.Timestamp, v.Nonce, v.Signature) {
			t.Errorf("%s: VerifySignature refused the vector", v.Name)
		}
		if got := wechat.Signature(v.Token, v.Timestamp, v.Nonce, v.Encrypt); got != v.MsgSignature {
			t.Errorf("%s: msg_signature = %s, want %s", v.Name, got, v.MsgSignature)
		}
		if !c.VerifyMsgSignature(v.Timestamp, v.Nonce, v.Encrypt, v.MsgSignature) {
			t.Errorf("%s: VerifyMsgSignature refused the vector", v.Name)
		}
		if c.VerifyMsgSignature(v.Timestamp, v.Nonce, v.Encrypt+"x", v.MsgSignature) {
			t.Errorf("%s: a changed Encrypt still verifies", v.Name)
		}
	}
	if checked == 0 {
		t.Fatal("no vector carries signatures")
	}
}

func TestDecryptRefusesOtherAppID(t *testing.T) {
	v := loadVectors(t)[0]
	c, _ := wechat.NewCrypto(v.Token, "wxsomeoneelse000", v.AESKey)
	if _, _, err := c.Decrypt(v.Encrypt); !errors.Is(err, wechat.ErrAppIDMismatch) {
		t.Fatalf("err = %v, want ErrAppIDMismatch", err)
	}
	if _, _, err := c.Decrypt("not base64!"); !errors.Is(err, wechat.ErrUndecryptable) {
		t.Fatalf("err = %v, want ErrUndecryptable", err)
	}
}
