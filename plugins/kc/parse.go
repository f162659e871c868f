package kc

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Trim is Java's String.trim, which ConfigDef applies to every value before parsing it:
// it removes every character up to U+0020 (the space and all ASCII control characters)
// from both ends, and nothing else (no-break spaces and other Unicode spaces stay).
func Trim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// ParseBool parses s as ConfigDef parses a BOOLEAN: s trimmed (Trim) is "true" or
// "false" in any case, as Java's equalsIgnoreCase compares them. ok is false for
// anything else, including "", "yes", "1" and "t".
func ParseBool(s string) (v, ok bool) {
	t := Trim(s)
	switch {
	case strings.EqualFold(t, "true"):
		return true, true
	case strings.EqualFold(t, "false"):
		return false, true
	}
	return false, false
}

// IsTrue is Java's Boolean.parseBoolean (and Boolean.valueOf(String)): true exactly when
// s is "true" in any case, untrimmed; everything else, "" included, is false. Kafka
// Connect reads booleans this way where they are not config values: the Cast
// transformation casting a string, and the REST API's query parameters.
func IsTrue(s string) bool { return strings.EqualFold(s, "true") }

// ParseList parses s as ConfigDef parses a LIST: s is trimmed (Trim); "" is the empty
// list (nil); otherwise it is split at every comma, the whitespace around each comma
// (Java regex \s: space, \t, \n, \v, \f, \r) dropped. Empty items are kept, a trailing
// one included: "a,,b," is [a "" b ""], as Java's COMMA_WITH_WHITESPACE.split(trimmed, -1).
// Whitespace inside an item is kept.
func ParseList(s string) []string {
	t := Trim(s)
	if t == "" {
		return nil
	}
	out := make([]string, 0, strings.Count(t, ",")+1)
	for item := range strings.SplitSeq(t, ",") {
		out = append(out, strings.TrimFunc(item, isRegexSpace))
	}
	return out
}

// isRegexSpace reports whether r is in Java's regex \s class, [ \t\n\x0B\f\r].
func isRegexSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// ParseShort parses s as ConfigDef parses a SHORT: Short.parseShort of s trimmed.
func ParseShort(s string) (int16, bool) {
	n, ok := parseJavaInt(Trim(s), 16)
	return int16(n), ok
}

// ParseInt parses s as ConfigDef parses an INT: Integer.parseInt of s trimmed, a
// 32-bit decimal integer with an optional + or - sign. As Java's Character.digit, any
// Unicode decimal digit counts ("٤٢" is 42); there are no digit separators, exponents
// or hexadecimal forms.
func ParseInt(s string) (int32, bool) {
	n, ok := parseJavaInt(Trim(s), 32)
	return int32(n), ok
}

// ParseLong parses s as ConfigDef parses a LONG: Long.parseLong of s trimmed, a 64-bit
// decimal integer as ParseInt reads one.
func ParseLong(s string) (int64, bool) {
	return parseJavaInt(Trim(s), 64)
}

// parseJavaInt is Integer.parseInt / Long.parseLong (radix 10) for an integer of the
// given bit size.
func parseJavaInt(s string, bits int) (int64, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			var ok bool
			if s, ok = asciiDigits(s); !ok {
				return 0, false
			}
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, bits) // sign, then ASCII digits only: as Java
	return n, err == nil
}

// asciiDigits rewrites the Unicode decimal digits of s as ASCII ones; ok is false when s
// holds any other non-ASCII character.
func asciiDigits(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		d, ok := digitValue(r)
		if !ok {
			return "", false
		}
		b.WriteByte(byte('0' + d))
	}
	return b.String(), true
}

// digitValue is Character.digit(r, 10) for a non-ASCII r: the value of a Unicode decimal
// digit (category Nd). Every Nd block is a run of ten or more code points starting with
// its zero, so the value is the offset in the run modulo ten.
func digitValue(r rune) (int, bool) {
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) && rg.Stride == 1 {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) && rg.Stride == 1 {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

// ParseDouble parses s as ConfigDef parses a DOUBLE, which is Java's Double.parseDouble:
// s trimmed (Trim) is an optionally signed "NaN" or "Infinity" (exactly so spelled), a
// decimal number ("1", "1.", ".5", "2.5e-3") or a hexadecimal one with a binary exponent
// ("0x1.8p1"), the last two optionally followed by one of f, F, d, D. A value beyond the
// range of a double is an infinity or zero, not an error. Go's extras (underscores,
// "inf", "nan" in other cases, hexadecimal without an exponent) are refused.
func ParseDouble(s string) (float64, bool) {
	return parseJavaFloat(s, 64)
}

// ParseFloat is Java's Float.parseFloat: ParseDouble's grammar, rounded once to a float.
func ParseFloat(s string) (float32, bool) {
	f, ok := parseJavaFloat(s, 32)
	return float32(f), ok
}

func parseJavaFloat(s string, bits int) (float64, bool) {
	t := Trim(s)
	body := t
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 && strings.IndexByte("fFdD", body[n-1]) >= 0 {
		// A type suffix, unless it is the last digit of a hexadecimal mantissa with no
		// exponent, which the grammar check below refuses anyway.
		body = body[:n-1]
	}
	if !javaFloatLiteral(body) {
		return 0, false
	}
	if neg {
		body = "-" + body
	}
	f, err := strconv.ParseFloat(body, bits)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false // not expected: the grammar is a subset of Go's
	}
	return f, true
}

// javaFloatLiteral reports whether s (unsigned, no suffix) is a decimal or hexadecimal
// floating-point literal of Java's grammar (FloatingDecimal.readJavaFormatString).
func javaFloatLiteral(s string) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		// 0x HexDigits [.] | 0x [HexDigits] . HexDigits, then p/P [sign] Digits.
		mant, exp, ok := cutAny(s[2:], "pP")
		if !ok || !digitsOnly(exp, true, false) {
			return false
		}
		whole, frac, _ := strings.Cut(mant, ".")
		return (whole != "" || frac != "") && hexOnly(whole) && hexOnly(frac)
	}
	// Digits [.] [Digits] [e/E [sign] Digits] | . Digits [e/E [sign] Digits].
	mant, exp, hasExp := cutAny(s, "eE")
	if hasExp && !digitsOnly(exp, true, false) {
		return false
	}
	whole, frac, _ := strings.Cut(mant, ".")
	return (whole != "" || frac != "") && digitsOnly(whole, false, true) && digitsOnly(frac, false, true)
}

func cutAny(s, seps string) (before, after string, found bool) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// digitsOnly reports whether s is ASCII decimal digits, after one optional sign when
// signed; empty is allowed only when mayBeEmpty.
func digitsOnly(s string, signed, mayBeEmpty bool) bool {
	if signed && s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return mayBeEmpty
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hexOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
