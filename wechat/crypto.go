package wechat

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// Crypto holds an account's callback secrets: the Token that signs every
// callback and, for compatible/safe mode, the EncodingAESKey (WXBizMsgCrypt:
// AES-256-CBC, IV = first 16 key bytes, PKCS#7 to 32-byte blocks, payload
// random(16) | len(4, big endian) | message | AppID).
type Crypto struct {
	Token  string
	AppID  string
	aesKey []byte // nil: plaintext mode only
}

// NewCrypto checks the 43-character EncodingAESKey ("" for plaintext mode).
func NewCrypto(token, appID, encodingAESKey string) (*Crypto, error) {
	c := &Crypto{Token: token, AppID: appID}
	if encodingAESKey == "" {
		return c, nil
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("EncodingAESKey is not valid base64 of 32 bytes")
	}
	c.aesKey = key
	return c, nil
}

// CanDecrypt reports whether an EncodingAESKey is configured.
func (c *Crypto) CanDecrypt() bool { return c.aesKey != nil }

// Signature is sha1 of the sorted, concatenated parts: the callback
// `signature` over (token, timestamp, nonce), and `msg_signature` with the
// Encrypt field added.
func Signature(parts ...string) string {
	sorted := slices.Clone(parts)
	slices.Sort(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

// VerifySignature checks the plain `signature` of a callback.
func (c *Crypto) VerifySignature(timestamp, nonce, signature string) bool {
	return equal(Signature(c.Token, timestamp, nonce), signature)
}

// VerifyMsgSignature checks the `msg_signature` of an encrypted callback.
func (c *Crypto) VerifyMsgSignature(timestamp, nonce, encrypted, msgSignature string) bool {
	return equal(Signature(c.Token, timestamp, nonce, encrypted), msgSignature)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Errors of Decrypt; the callback handler maps them to 400/403.
var (
	ErrUndecryptable = errors.New("wechat: encrypted message cannot be decrypted")
	ErrAppIDMismatch = errors.New("wechat: encrypted message is for another AppID")
	ErrNoAESKey      = errors.New("wechat: no EncodingAESKey configured")
)

// Decrypt opens a base64 Encrypt field and returns the message and the
// random prefix. It uses the SDK's AES routine, which bounds-checks the
// length field, and checks the AppID in constant time itself.
func (c *Crypto) Decrypt(encrypted string) (msg, random []byte, err error) {
	if c.aesKey == nil {
		return nil, nil, ErrNoAESKey
	}
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, nil, ErrUndecryptable
	}
	random, msg, appID, err := util.AESDecryptMsg(raw, c.aesKey)
	if err != nil {
		return nil, nil, ErrUndecryptable
	}
	if !equal(string(appID), c.AppID) {
		return nil, nil, ErrAppIDMismatch
	}
	return msg, random, nil
}

// Encrypt seals msg with the given 16-byte random prefix (deterministic,
// for tests against vectors); EncryptRandom draws a fresh one.
func (c *Crypto) Encrypt(random, msg []byte) (string, error) {
	if c.aesKey == nil {
		return "", ErrNoAESKey
	}
	if len(random) != 16 {
		return "", fmt.Errorf("encrypt: random prefix must be 16 bytes, got %d", len(random))
	}
	return base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random, msg, c.AppID, c.aesKey)), nil
}

// EncryptRandom seals msg with a fresh random prefix.
func (c *Crypto) EncryptRandom(msg []byte) (string, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	return c.Encrypt(random, msg)
}
