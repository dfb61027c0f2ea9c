// Package secure protects personal data: authenticated encryption and keyed
// lookup hashes under ZSJC_DATA_KEY with a configurable algorithm suite
// (sealer.go), validation and masking of id numbers (GB 11643) and mobile
// numbers, and random tokens.
package secure

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// Token returns n random bytes, URL-safe base64 encoded.
func Token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("secure: system random source failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NormalizeIDNumber upper-cases the check character and trims spaces.
func NormalizeIDNumber(id string) string {
	return strings.ToUpper(strings.TrimSpace(id))
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// ValidIDNumber checks an 18-character resident id number (GB 11643):
// 17 digits, a plausible birth date and the ISO 7064 MOD 11-2 check character.
func ValidIDNumber(id string) bool {
	id = NormalizeIDNumber(id)
	if len(id) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * idWeights[i]
	}
	if id[17] != idCheckChars[sum%11] {
		return false
	}
	month := (id[10]-'0')*10 + id[11] - '0'
	day := (id[12]-'0')*10 + id[13] - '0'
	return month >= 1 && month <= 12 && day >= 1 && day <= 31
}

// MaskIDNumber keeps the first four and last four characters.
func MaskIDNumber(id string) string {
	id = NormalizeIDNumber(id)
	if len(id) < 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

// ValidMobile checks an 11-digit mainland mobile number (1[3-9]xxxxxxxxx).
func ValidMobile(p string) bool {
	if len(p) != 11 || p[0] != '1' || p[1] < '3' || p[1] > '9' {
		return false
	}
	for i := 2; i < 11; i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// MaskMobile shows 138****1234.
func MaskMobile(p string) string {
	if len(p) != 11 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + "****" + p[7:]
}
