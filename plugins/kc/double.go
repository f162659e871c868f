package kc

import (
	"math"
	"strconv"
)

// FormatDouble returns f as Java's Double.toString writes it (the JDK 19 and later
// specification, which every Kafka Connect value rendered as text follows):
//
//   - "NaN", "Infinity", "-Infinity", "0.0" and "-0.0" for the special values;
//   - for 1e-3 <= |f| < 1e7, plain decimal with at least one fractional digit:
//     "100.0", "0.001", "1234567.5";
//   - otherwise computerized scientific notation, a mantissa with at least one
//     fractional digit and an exponent with no plus sign or leading zeros: "1.0E7",
//     "-2.5E-4", "1.7976931348623157E308".
//
// The digits are the fewest that identify f among doubles, the closest to f when several
// do; when one digit would do, the closest two-digit decimal is written instead, so
// Double.MIN_VALUE is "4.9E-324", not "5.0E-324".
func FormatDouble(f float64) string {
	var buf [32]byte
	return string(AppendDouble(buf[:0], f))
}

// AppendDouble appends f as FormatDouble writes it to dst and returns the result.
func AppendDouble(dst []byte, f float64) []byte { return appendJava(dst, f, 64) }

// FormatFloat returns f as Java's Float.toString writes it: FormatDouble's layout with
// the fewest digits that identify f among floats ("0.1", not "0.10000000149011612";
// Float.MIN_VALUE is "1.4E-45").
func FormatFloat(f float32) string {
	var buf [24]byte
	return string(AppendFloat(buf[:0], f))
}

// AppendFloat appends f as FormatFloat writes it to dst and returns the result.
func AppendFloat(dst []byte, f float32) []byte { return appendJava(dst, float64(f), 32) }

// appendJava renders f, a double (bits 64) or a float widened to one (bits 32).
func appendJava(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	var buf [32]byte
	digits, exp := decimalDigits(buf[:0], f, bits)
	switch {
	case exp >= 0 && exp < 7: // 1 <= f < 1e7: ddd.ddd, at least one fractional digit
		if len(digits) <= exp+1 {
			dst = append(dst, digits...)
			for range exp + 1 - len(digits) {
				dst = append(dst, '0')
			}
			return append(dst, '.', '0')
		}
		dst = append(dst, digits[:exp+1]...)
		dst = append(dst, '.')
		return append(dst, digits[exp+1:]...)
	case exp < 0 && exp >= -3: // 1e-3 <= f < 1: 0.00ddd
		dst = append(dst, '0', '.')
		for range -exp - 1 {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// decimalDigits returns the significant digits Java's toString chooses for f > 0 (no
// trailing zeros) and the decimal exponent of the first: f ≈ d.ddd × 10^exp.
func decimalDigits(buf []byte, f float64, bits int) (digits []byte, exp int) {
	e := strconv.AppendFloat(buf, f, 'e', -1, bits) // shortest: d.ddde±XX
	digits, exp = splitE(e)
	if len(digits) == 1 && isSubnormal(f, bits) {
		// Java writes at least two digits; of the two-digit decimals that still identify
		// f, it takes the closest. That differs from d.0 only where doubles (floats) are
		// sparse, among the subnormals: a normal f is within 2^-24 of d, and so nearer
		// to d.0 than to any other two-digit decimal.
		t := strconv.AppendFloat(e[len(e):], f, 'e', 1, bits) // after e, in the same buffer
		if back, err := strconv.ParseFloat(string(t), bits); err == nil && back == f {
			digits, exp = splitE(t)
		}
	}
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	return digits, exp
}

// splitE splits strconv's 'e' form d.ddde±XX of a positive number into its digits
// (the point removed, in place) and its exponent.
func splitE(e []byte) ([]byte, int) {
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	mant := e[:i]
	if len(mant) > 1 { // d.ddd: drop the point
		copy(mant[1:], mant[2:])
		mant = mant[:len(mant)-1]
	}
	return mant, exp
}

// isSubnormal reports whether f > 0 is below the smallest normal double (bits 64) or
// float (bits 32).
func isSubnormal(f float64, bits int) bool {
	if bits == 32 {
		return f < 0x1p-126
	}
	return f < 0x1p-1022
}
