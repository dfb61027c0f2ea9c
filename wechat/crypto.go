package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Crypto holds an account's callback secrets: the Token that signs every
// callback and, for compatible/safe mode, the EncodingAESKey (WXBizMsgCrypt:
// AES-256-CBC, IV = first 16 key bytes, PKCS#7 to 32-byte blocks, payload
// random(16) | len(4, big endian) | message | AppID).
type Crypto struct {
	Token  string
	AppID  string
	aesKey []byte       // nil: plaintext mode only
	block  cipher.Block // AES with aesKey, expanded once
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
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("EncodingAESKey: %w", err)
	}
	c.aesKey, c.block = key, block
	return c, nil
}

// CanDecrypt reports whether an EncodingAESKey is configured.
func (c *Crypto) CanDecrypt() bool { return c.aesKey != nil }

// scratch holds the short-lived buffers of a callback (signature input,
// ciphertext, plaintext), so that a busy callback URL does not feed the
// garbage collector a few KiB per request.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooled keeps the odd huge buffer out of the pool.
const maxPooled = 64 << 10

func getScratch() *[]byte { return scratch.Get().(*[]byte) }

func putScratch(b *[]byte) {
	if cap(*b) <= maxPooled {
		*b = (*b)[:0]
		scratch.Put(b)
	}
}

// Signature is sha1 of the sorted, concatenated parts: the callback
// `signature` over (token, timestamp, nonce), and `msg_signature` with the
// Encrypt field added.
func Signature(parts ...string) string {
	bs := make([][]byte, len(parts))
	for i, p := range parts {
		bs[i] = []byte(p)
	}
	sum := signatureSum(bs...)
	return hex.EncodeToString(sum[:])
}

// signatureSum is Signature's digest over byte slices.
func signatureSum(parts ...[]byte) [sha1.Size]byte {
	var sorted [4][]byte // a callback signs three or four parts
	s := append(sorted[:0], parts...)
	slices.SortFunc(s, bytes.Compare)
	buf := getScratch()
	defer putScratch(buf)
	for _, p := range s {
		*buf = append(*buf, p...)
	}
	return sha1.Sum(*buf)
}

// appendSignature appends the hex Signature of parts to dst.
func appendSignature(dst []byte, parts ...[]byte) []byte {
	sum := signatureSum(parts...)
	return hex.AppendEncode(dst, sum[:])
}

// signatureMatches compares the hex Signature of parts with sig in
// constant time.
func signatureMatches(sig string, parts ...[]byte) bool {
	var want [2 * sha1.Size]byte
	sum := signatureSum(parts...)
	hex.Encode(want[:], sum[:])
	return subtle.ConstantTimeCompare(want[:], []byte(sig)) == 1
}

// VerifySignature checks the plain `signature` of a callback.
func (c *Crypto) VerifySignature(timestamp, nonce, signature string) bool {
	return signatureMatches(signature, []byte(c.Token), []byte(timestamp), []byte(nonce))
}

// VerifyMsgSignature checks the `msg_signature` of an encrypted callback.
func (c *Crypto) VerifyMsgSignature(timestamp, nonce, encrypted, msgSignature string) bool {
	return c.verifyMsgSignature(timestamp, nonce, []byte(encrypted), msgSignature)
}

func (c *Crypto) verifyMsgSignature(timestamp, nonce string, encrypted []byte, msgSignature string) bool {
	return signatureMatches(msgSignature, []byte(c.Token), []byte(timestamp), []byte(nonce), encrypted)
}

// Errors of Decrypt; the callback handler maps them to 400/403.
var (
	ErrUndecryptable = errors.New("wechat: encrypted message cannot be decrypted")
	ErrAppIDMismatch = errors.New("wechat: encrypted message is for another AppID")
	ErrNoAESKey      = errors.New("wechat: no EncodingAESKey configured")
)

// Decrypt opens a base64 Encrypt field and returns the message and the
// random prefix.
func (c *Crypto) Decrypt(encrypted string) (msg, random []byte, err error) {
	var buf []byte
	return c.decrypt(&buf, []byte(encrypted))
}

// pkcs7Block is the padding block of WXBizMsgCrypt (not AES's 16).
const pkcs7Block = 32

// decrypt is Decrypt into *buf (grown when too small): the payload is
// decoded and decrypted in place there. Like the SDK's routine it was derived
// from, it bounds-checks the padding and the length field; the AppID is
// compared in constant time.
func (c *Crypto) decrypt(buf *[]byte, encrypted []byte) (msg, random []byte, err error) {
	if c.aesKey == nil {
		return nil, nil, ErrNoAESKey
	}
	size := base64.StdEncoding.DecodedLen(len(encrypted))
	*buf = slices.Grow((*buf)[:0], size)
	raw := (*buf)[:size]
	n, err := base64.StdEncoding.Decode(raw, encrypted)
	if err != nil {
		return nil, nil, ErrUndecryptable
	}
	plain := raw[:n]
	if len(plain) < pkcs7Block || len(plain)%pkcs7Block != 0 {
		return nil, nil, ErrUndecryptable
	}
	cipher.NewCBCDecrypter(c.block, c.aesKey[:aes.BlockSize]).CryptBlocks(plain, plain)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > pkcs7Block {
		return nil, nil, ErrUndecryptable
	}
	plain = plain[:len(plain)-pad]
	if len(plain) <= 20 {
		return nil, nil, ErrUndecryptable
	}
	appIDOffset := 20 + uint64(binary.BigEndian.Uint32(plain[16:20]))
	if uint64(len(plain)) <= appIDOffset {
		return nil, nil, ErrUndecryptable
	}
	if subtle.ConstantTimeCompare(plain[appIDOffset:], []byte(c.AppID)) != 1 {
		return nil, nil, ErrAppIDMismatch
	}
	return plain[20:appIDOffset:appIDOffset], plain[:16:16], nil
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
	p := append(append(make([]byte, 0, sealedLen(len(msg), c.AppID)), random...), 0, 0, 0, 0)
	p = c.seal(append(p, msg...))
	return base64.StdEncoding.EncodeToString(p), nil
}

// EncryptRandom seals msg with a fresh random prefix.
func (c *Crypto) EncryptRandom(msg []byte) (string, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	return c.Encrypt(random, msg)
}

// sealedLen is the length of the sealed payload of an n-byte message.
func sealedLen(n int, appID string) int {
	content := 20 + n + len(appID)
	return content + pkcs7Block - content%pkcs7Block
}

// seal completes and encrypts, in place, a payload that holds the random
// prefix, four bytes for the length and the message: it fills in the
// length, appends the AppID and the padding.
func (c *Crypto) seal(p []byte) []byte {
	binary.BigEndian.PutUint32(p[16:20], uint32(len(p)-20))
	p = append(p, c.AppID...)
	pad := pkcs7Block - len(p)%pkcs7Block
	for range pad {
		p = append(p, byte(pad))
	}
	cipher.NewCBCEncrypter(c.block, c.aesKey[:aes.BlockSize]).CryptBlocks(p, p)
	return p
}
