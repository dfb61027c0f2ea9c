package push

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldType is the type of a template field. Since 2023-05-04 the
// platform checks every value against its field's type and refuses a send
// whose value breaks the rule (47003); a field's type is the letters of
// its name before the number ("thing1" → thing).
type FieldType string

// The field types and their rules as the platform publishes them.
const (
	TypeThing           FieldType = "thing"            // ≤ 20 characters
	TypePhrase          FieldType = "phrase"           // ≤ 5 Chinese characters
	TypeCharacterString FieldType = "character_string" // ≤ 32 letters, digits and symbols
	TypeName            FieldType = "name"             // ≤ 10 characters, or ≤ 20 letters
	TypeTime            FieldType = "time"             // 2006年01月02日 15:04 or 2006-01-02 15:04
	TypeDate            FieldType = "date"             // 2006年01月02日
	TypeAmount          FieldType = "amount"           // a currency sign, ≤ 10 digits, decimals, 元
	TypeNumber          FieldType = "number"           // ≤ 32 digits, decimals
	TypeLetter          FieldType = "letter"           // ≤ 32 letters
	TypeSymbol          FieldType = "symbol"           // ≤ 5 symbols
	TypeCarNumber       FieldType = "car_number"       // ≤ 8: Chinese first and last, letters and digits between
	TypePhoneNumber     FieldType = "phone_number"     // ≤ 17 digits and symbols
	// TypeUntyped is a field of an older template (keyword1, first,
	// remark), held to the 20 characters of thing.
	TypeUntyped FieldType = ""
)

// The platform's length limits.
const (
	MaxValueRunes   = 20 // thing, and untyped fields
	maxPhraseRunes  = 5
	maxStringRunes  = 32
	maxNameRunes    = 10
	maxNameLetters  = 20
	maxSymbolRunes  = 5
	maxPhoneRunes   = 17
	maxAmountDigits = 10
)

// Time layouts a time or date field accepts.
const (
	timeLayout    = "2006年01月02日 15:04"
	timeLayoutISO = "2006-01-02 15:04"
	dateLayout    = "2006年01月02日"
)

var knownTypes = []FieldType{TypeThing, TypePhrase, TypeCharacterString, TypeName, TypeTime, TypeDate,
	TypeAmount, TypeNumber, TypeLetter, TypeSymbol, TypeCarNumber, TypePhoneNumber}

// ParseFieldType reads a type stated in the configuration.
func ParseFieldType(s string) (FieldType, error) {
	for _, t := range knownTypes {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(knownTypes))
	for i, t := range knownTypes {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown field type %q (known: %s)", s, strings.Join(names, ", "))
}

var fieldName = regexp.MustCompile(`^([a-z_]+?)\d+$`)

// TypeOf infers a field's type from its name: "character_string7" →
// character_string; a name without a known type prefix is untyped.
func TypeOf(field string) FieldType {
	m := fieldName.FindStringSubmatch(field)
	if m == nil {
		return TypeUntyped
	}
	for _, t := range knownTypes {
		if string(t) == m[1] {
			return t
		}
	}
	return TypeUntyped
}

// limit is the length a text value of t may have, 0 for types whose
// values are not cut by length (time, date, amount, number …).
func (t FieldType) limit() int {
	switch t {
	case TypeThing, TypeUntyped:
		return MaxValueRunes
	case TypePhrase:
		return maxPhraseRunes
	case TypeName:
		return maxNameRunes
	case TypeCharacterString:
		return maxStringRunes
	}
	return 0
}

// Fit makes v valid for a field of type t, or returns "" when no valid
// value keeps its meaning (the field is then left out rather than sent
// broken). White space runs become one space first.
//
//	thing, untyped     ≤ 20 characters; a longer value is cut at the last
//	                   punctuation mark that keeps half of it, else at 19
//	                   characters, and ends in "…"
//	phrase             its Chinese characters, the first 5 (no "…")
//	character_string   printable ASCII only, the first 32
//	name               ≤ 10 characters, or ≤ 20 for a name in letters
//	time, date         reformatted from the layouts use cases write
//	amount, number     the number itself, else ""
//	letter, symbol     only letters (≤ 32) / only symbols (≤ 5), else ""
//	car_number         a plate such as 京A12345, else ""
//	phone_number       digits and + - ( ) space, ≤ 17, else ""
func Fit(t FieldType, v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return ""
	}
	switch t {
	case TypeThing, TypeUntyped:
		return cutThing(v)
	case TypePhrase:
		return keepRunes(v, maxPhraseRunes, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	case TypeCharacterString:
		if !isASCIIPrintable(v) {
			return ""
		}
		return keepRunes(v, maxStringRunes, func(rune) bool { return true })
	case TypeName:
		if isLetters(v) {
			return keepRunes(v, maxNameLetters, func(rune) bool { return true })
		}
		return keepRunes(v, maxNameRunes, func(rune) bool { return true })
	case TypeTime:
		return fitTime(v)
	case TypeDate:
		return fitDate(v)
	case TypeAmount:
		return matchOr(amountRule, strings.ReplaceAll(v, ",", ""))
	case TypeNumber:
		return matchOr(numberRule, strings.ReplaceAll(v, ",", ""))
	case TypeLetter:
		return matchOr(letterRule, v)
	case TypeSymbol:
		return matchOr(symbolRule, v)
	case TypeCarNumber:
		return matchOr(carNumberRule, strings.ToUpper(strings.ReplaceAll(v, " ", "")))
	case TypePhoneNumber:
		return matchOr(phoneRule, v)
	}
	return ""
}

var (
	amountRule    = regexp.MustCompile(`^[¥￥$]?\d{1,` + fmt.Sprint(maxAmountDigits) + `}(?:\.\d{1,2})?元?$`)
	numberRule    = regexp.MustCompile(`^\d+(?:\.\d+)?$`)
	letterRule    = regexp.MustCompile(`^[A-Za-z]{1,32}$`)
	symbolRule    = regexp.MustCompile(`^[!-/:-@\[-` + "`" + `{-~]{1,5}$`)
	carNumberRule = regexp.MustCompile(`^\p{Han}[A-Z0-9]{4,6}\p{Han}?$`)
	phoneRule     = regexp.MustCompile(`^[0-9+\-() ]{1,17}$`)
)

func matchOr(rule *regexp.Regexp, v string) string {
	if rule.MatchString(v) && utf8.RuneCountInString(v) <= maxStringRunes {
		return v
	}
	return ""
}

// thingBreaks are the marks a thing value may be cut after.
const thingBreaks = "，。；：、！？,.;:!? "

// cutThing fits v in MaxValueRunes characters. A cut keeps whole phrases
// when a punctuation mark falls in the second half of what fits.
func cutThing(v string) string {
	if utf8.RuneCountInString(v) <= MaxValueRunes {
		return v
	}
	runes := []rune(v)
	keep := MaxValueRunes - 1 // room for "…"
	for i := keep; i >= keep/2; i-- {
		if strings.ContainsRune(thingBreaks, runes[i]) {
			return strings.TrimRight(string(runes[:i]), thingBreaks) + "…"
		}
	}
	return string(runes[:keep]) + "…"
}

// keepRunes keeps the first n runes of v that pass keep.
func keepRunes(v string, n int, keep func(rune) bool) string {
	var b strings.Builder
	count := 0
	for _, r := range v {
		if count == n {
			break
		}
		if keep(r) {
			b.WriteRune(r)
			count++
		}
	}
	return strings.TrimSpace(b.String())
}

func isASCIIPrintable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

func isLetters(v string) bool {
	for _, r := range v {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || r == ' ' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// timeInputs are the layouts a time value may arrive in; the two the
// platform accepts are sent as they are, the others reformatted.
var timeInputs = []string{timeLayoutISO, timeLayout, "2006-01-02 15:04:05", time.RFC3339, "2006/01/02 15:04", "2006-1-2 15:04"}

func fitTime(v string) string {
	for i, layout := range timeInputs {
		if t, err := time.Parse(layout, v); err == nil {
			if i < 2 {
				return v
			}
			return t.Format(timeLayout)
		}
	}
	return ""
}

var dateInputs = []string{"2006-01-02", dateLayout, "2006/01/02"}

func fitDate(v string) string {
	for _, layout := range timeInputs {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format(dateLayout)
		}
	}
	for _, layout := range dateInputs {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format(dateLayout)
		}
	}
	return ""
}

// asciiKeys are the push values that never hold Chinese: the time
// ("2006-01-02 15:04"). Every other value may (names, case numbers such as
// 京检刑诉受[2024]1号, places, reasons).
var asciiKeys = map[string]bool{KeyTime: true}

// checkMapping refuses a field mapping no value can make valid, naming
// the field: Chinese text in a character_string, number or letter field,
// a time or date field fed anything but the time, a phrase fed the time.
func checkMapping(field string, t FieldType, keys []string) error {
	onlyTime := len(keys) == 1 && keys[0] == KeyTime
	for _, key := range keys {
		var reason string
		switch t {
		case TypeCharacterString:
			if !asciiKeys[key] {
				reason = "takes letters, digits and symbols only, and " + key + " may hold Chinese"
			}
		case TypeTime, TypeDate:
			if !onlyTime {
				reason = "takes the time alone"
			}
		case TypePhrase:
			if asciiKeys[key] {
				reason = "takes Chinese characters only"
			}
		case TypeAmount, TypeNumber, TypeLetter, TypeSymbol, TypeCarNumber, TypePhoneNumber:
			reason = "takes no value a push carries"
		}
		if reason != "" {
			return fmt.Errorf("field %s (%s) cannot show %s: %s", field, t, key, reason)
		}
	}
	return nil
}
