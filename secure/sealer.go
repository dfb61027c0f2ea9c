package secure

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Algorithm suites for personal data (ZSJC_CRYPTO).
const (
	// SuiteAES is AES-256-GCM encryption with HMAC-SHA256 lookup hashes.
	SuiteAES = "aes"
	// SuiteSM is SM4-GCM encryption with HMAC-SM3 lookup hashes (GB/T
	// 39786-2021's approved algorithms).
	SuiteSM = "sm"
)

// Suites lists every suite.
var Suites = []string{SuiteAES, SuiteSM}

// A sealed value is header || nonce || ciphertext+tag, the header being
// "zs", the suite's tag byte and the key id: enough to open it with the
// right algorithm and key, and for rekey to find what is not yet current.
// Values sealed before suites existed have no header; they are AES-GCM
// under one of the configured keys.
var magic = []byte("zs")

const (
	keyIDLen  = 4
	headerLen = 2 + 1 + keyIDLen
)

var suiteTags = map[string]byte{SuiteAES: 'a', SuiteSM: 's'}

// keyed is one suite under one data key.
type keyed struct {
	suite   string
	keyID   string // hex
	header  []byte
	aead    cipher.AEAD
	hashKey []byte
	hashFn  func() hash.Hash
}

func newKeyed(suite string, dataKey []byte) (*keyed, error) {
	k := &keyed{suite: suite, keyID: KeyID(dataKey)}
	var block cipher.Block
	var err error
	switch suite {
	case SuiteAES:
		k.hashFn = sha256.New
		block, err = aes.NewCipher(derive(sha256.New, dataKey, "zsjc/encrypt/v1"))
	case SuiteSM:
		k.hashFn = sm3.New
		// SM4 keys are 128 bits: the first half of the SM3-derived key.
		block, err = sm4.NewCipher(derive(sm3.New, dataKey, "zsjc/encrypt/sm/v1")[:16])
	default:
		return nil, fmt.Errorf("unknown crypto suite %q (want aes or sm)", suite)
	}
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	hashPurpose := "zsjc/hash/v1"
	if suite == SuiteSM {
		hashPurpose = "zsjc/hash/sm/v1"
	}
	k.hashKey = derive(k.hashFn, dataKey, hashPurpose)
	id, _ := hex.DecodeString(k.keyID)
	k.header = append(append(append([]byte{}, magic...), suiteTags[suite]), id...)
	return k, nil
}

func derive(h func() hash.Hash, key []byte, purpose string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// KeyID names a data key without revealing it: 8 hex digits of a keyed
// digest, the same whatever the suite.
func KeyID(dataKey []byte) string {
	return hex.EncodeToString(derive(sha256.New, dataKey, "zsjc/key-id/v1")[:keyIDLen])
}

func (k *keyed) hash(value string) string {
	m := hmac.New(k.hashFn, k.hashKey)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Sealer encrypts personal data and computes its lookup hash with the
// current suite and key, and opens values sealed with any configured key in
// either suite, so that a change of suite or key (then `zsjc rekey`) never
// leaves a value unreadable.
type Sealer struct {
	current *keyed
	// all holds every configured key in both suites, current first.
	all []*keyed
}

// NewSealer is an AES-suite Sealer under one 32-byte data key.
func NewSealer(dataKey []byte) (*Sealer, error) {
	return NewSuiteSealer(SuiteAES, dataKey)
}

// NewSuiteSealer seals with suite under dataKey; older keys (rotated out,
// still to be rekeyed) are only used to open values and to match hashes.
func NewSuiteSealer(suite string, dataKey []byte, oldKeys ...[]byte) (*Sealer, error) {
	s := &Sealer{}
	for i, key := range append([][]byte{dataKey}, oldKeys...) {
		if len(key) != 32 {
			return nil, fmt.Errorf("data key must be 32 bytes, got %d", len(key))
		}
		for _, su := range suiteOrder(suite) {
			k, err := newKeyed(su, key)
			if err != nil {
				return nil, err
			}
			if i == 0 && su == suite {
				s.current = k
			}
			s.all = append(s.all, k)
		}
	}
	return s, nil
}

// suiteOrder is every suite, the current one first; an unknown current
// suite is kept so newKeyed reports it.
func suiteOrder(current string) []string {
	out := []string{current}
	for _, su := range Suites {
		if su != current {
			out = append(out, su)
		}
	}
	return out
}

// Suite is the suite new values are sealed with.
func (s *Sealer) Suite() string { return s.current.suite }

// KeyID is the id of the key new values are sealed with.
func (s *Sealer) KeyID() string { return s.current.keyID }

// Seal encrypts plaintext with the current suite and key.
func (s *Sealer) Seal(plaintext string) ([]byte, error) {
	k := s.current
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := append(append([]byte{}, k.header...), nonce...)
	return k.aead.Seal(out, nonce, []byte(plaintext), nil), nil
}

// ErrOpen means a sealed value could not be decrypted (wrong key or damage).
var ErrOpen = errors.New("secure: cannot decrypt value")

// Open decrypts a value made by Seal under any configured key and suite.
func (s *Sealer) Open(sealed []byte) (string, error) {
	if bytes.HasPrefix(sealed, magic) && len(sealed) >= headerLen {
		for _, k := range s.all {
			if bytes.Equal(sealed[:headerLen], k.header) {
				if out, ok := openWith(k, sealed[headerLen:]); ok {
					return out, nil
				}
			}
		}
		// A headerless value may start with "zs" by chance: fall through.
	}
	for _, k := range s.all {
		if k.suite == SuiteAES {
			if out, ok := openWith(k, sealed); ok {
				return out, nil
			}
		}
	}
	return "", ErrOpen
}

func openWith(k *keyed, b []byte) (string, bool) {
	n := k.aead.NonceSize()
	if len(b) < n {
		return "", false
	}
	out, err := k.aead.Open(nil, b[:n], b[n:], nil)
	return string(out), err == nil
}

// Current reports whether a sealed value is under the current suite and
// key (rekey leaves those alone).
func (s *Sealer) Current(sealed []byte) bool {
	return bytes.HasPrefix(sealed, s.current.header)
}

// CurrentHeader is the prefix of every value sealed now, for finding the
// rows that are not (rekey).
func (s *Sealer) CurrentHeader() []byte { return append([]byte{}, s.current.header...) }

// Describe names the suite and key id of a sealed value: "sm/1a2b3c4d", or
// "aes/legacy" for a value sealed before suites were tagged.
func Describe(sealed []byte) string {
	if bytes.HasPrefix(sealed, magic) && len(sealed) >= headerLen {
		for su, tag := range suiteTags {
			if sealed[2] == tag {
				return su + "/" + hex.EncodeToString(sealed[3:headerLen])
			}
		}
	}
	return SuiteAES + "/legacy"
}

// Hash is the keyed lookup hash (hex) of a normalised value, with the
// current suite and key.
func (s *Sealer) Hash(value string) string { return s.current.hash(value) }

// Hashes are the lookup hashes of value under every configured key and
// suite, the current one first: a lookup matches rows not yet rekeyed.
func (s *Sealer) Hashes(value string) []string {
	out := make([]string, len(s.all))
	for i, k := range s.all {
		out[i] = k.hash(value)
	}
	return out
}
