package transform

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/plugins/kc"
)

// This file renders and converts numbers the way the JVM does, where users see the
// result: Cast to string, Cast between numeric types, Decimal values.

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
	return decimal{unscaled: kc.FromTwosComplement(b), scale: scale}, nil
}

// decimalBytes encodes an unscaled value as Java's BigInteger.toByteArray.
func decimalBytes(n *big.Int) []byte { return kc.ToTwosComplement(n) }

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
func (d decimal) String() string { return kc.FormatDecimal(d.unscaled, d.scale) }

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
