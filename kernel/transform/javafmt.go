package transform

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/kernel/convert"
)

// This file renders and converts numbers the way the JVM does, where users see the
// result: Cast to string, Cast between numeric types, Decimal values.

// javaDouble formats f as Java's Double.toString (bits 64) or Float.toString (bits 32):
// the shortest digits that identify the value, plain for 1e-3 <= |f| < 1e7 with at least
// one fractional digit ("100.0"), else computerized scientific notation ("1.0E7").
func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits) // -d.ddde±xx
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		if exp < 0 {
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -exp-1))
			b.WriteString(digits)
			return b.String()
		}
		if len(digits) <= exp+1 {
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", exp+1-len(digits)))
			b.WriteString(".0")
			return b.String()
		}
		b.WriteString(digits[:exp+1])
		b.WriteByte('.')
		b.WriteString(digits[exp+1:])
		return b.String()
	}
	b.WriteByte(digits[0])
	b.WriteByte('.')
	if len(digits) > 1 {
		b.WriteString(digits[1:])
	} else {
		b.WriteByte('0')
	}
	b.WriteByte('E')
	b.WriteString(strconv.Itoa(exp))
	return b.String()
}

// javaD2L is Java's (long) conversion of a double: NaN is 0, out of range saturates.
func javaD2L(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// javaD2I is Java's (int) conversion of a double.
func javaD2I(f float64) int32 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int32(f)
}

// decimal is a Connect Decimal: unscaled × 10^-scale.
type decimal struct {
	unscaled *big.Int
	scale    int
}

// decimalScale reads the scale parameter of a Decimal schema.
func decimalScale(s *schema) (int, error) {
	p, ok := s.GetParameters()["scale"]
	if !ok {
		return 0, fmt.Errorf("Decimal schema has no scale parameter")
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("Decimal schema has an invalid scale parameter %q", p)
	}
	return n, nil
}

// readDecimal decodes a Decimal value (big-endian two's complement bytes).
func readDecimal(s *schema, b []byte) (decimal, error) {
	scale, err := decimalScale(s)
	if err != nil {
		return decimal{}, err
	}
	return decimal{unscaled: convert.FromTwosComplement(b), scale: scale}, nil
}

// decimalBytes encodes an unscaled value as Java's BigInteger.toByteArray.
func decimalBytes(n *big.Int) []byte { return convert.ToTwosComplement(n) }

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// rat returns d as an exact fraction.
func (d decimal) rat() *big.Rat {
	if d.scale >= 0 {
		return new(big.Rat).SetFrac(d.unscaled, pow10(d.scale))
	}
	return new(big.Rat).SetInt(new(big.Int).Mul(d.unscaled, pow10(-d.scale)))
}

// integer returns the integer part of d, truncated toward zero (BigDecimal.toBigInteger).
func (d decimal) integer() *big.Int {
	if d.scale <= 0 {
		return new(big.Int).Mul(d.unscaled, pow10(-d.scale))
	}
	return new(big.Int).Quo(d.unscaled, pow10(d.scale))
}

// low64 is BigDecimal.longValue: the low 64 bits of the integer part.
func (d decimal) low64() int64 {
	mask := new(big.Int).SetUint64(math.MaxUint64)
	return int64(new(big.Int).And(d.integer(), mask).Uint64())
}

func (d decimal) float64() float64 { f, _ := d.rat().Float64(); return f }
func (d decimal) float32() float32 { f, _ := d.rat().Float32(); return f }

// String is BigDecimal.toString.
func (d decimal) String() string {
	var b strings.Builder
	if d.unscaled.Sign() < 0 {
		b.WriteByte('-')
	}
	coeff := new(big.Int).Abs(d.unscaled).String()
	adjusted := -d.scale + len(coeff) - 1
	if d.scale >= 0 && adjusted >= -6 {
		switch {
		case d.scale == 0:
			b.WriteString(coeff)
		case len(coeff) > d.scale:
			b.WriteString(coeff[:len(coeff)-d.scale])
			b.WriteByte('.')
			b.WriteString(coeff[len(coeff)-d.scale:])
		default:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", d.scale-len(coeff)))
			b.WriteString(coeff)
		}
		return b.String()
	}
	b.WriteByte(coeff[0])
	if len(coeff) > 1 {
		b.WriteByte('.')
		b.WriteString(coeff[1:])
	}
	b.WriteByte('E')
	if adjusted >= 0 {
		b.WriteByte('+')
	}
	b.WriteString(strconv.Itoa(adjusted))
	return b.String()
}

// parseDecimalAtScale parses text as a BigDecimal and returns its unscaled value at the
// given scale; the number must be representable at that scale exactly.
func parseDecimalAtScale(text string, scale int) (*big.Int, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(text))
	if !ok || strings.ContainsAny(text, "/") {
		return nil, fmt.Errorf("%q is not a decimal number", text)
	}
	if scale >= 0 {
		r.Mul(r, new(big.Rat).SetInt(pow10(scale)))
	} else {
		r.Quo(r, new(big.Rat).SetInt(pow10(-scale)))
	}
	if !r.IsInt() {
		return nil, fmt.Errorf("%s has more than %d fractional digits", text, scale)
	}
	return r.Num(), nil
}

// javaDateString is Values.dateFormatFor(d).format(d) in UTC: a time of day for values
// below one day (including any before the epoch, as upstream), a date for midnights,
// else a full timestamp.
func javaDateString(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	switch {
	case ms < msPerDay:
		return t.Format("15:04:05.000Z")
	case ms%msPerDay == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// logicalMillis returns a Date, Time or Timestamp value as milliseconds since the epoch,
// and whether s is one of those logical types.
func logicalMillis(s *schema, v *value) (int64, bool) {
	i, ok := v.GetKind().(*valueInt)
	if !ok {
		return 0, false
	}
	switch s.GetName() {
	case convert.DateName:
		return i.IntValue * msPerDay, true
	case convert.TimeName, convert.TimestampName:
		return i.IntValue, true
	}
	return 0, false
}
