package data

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/kc"
)

// Names of Kafka Connect's logical types.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScale is the Decimal schema's parameter holding its scale.
	DecimalScale = "scale"
)

// The Date, Time and Timestamp schemas, as Kafka Connect's Date.SCHEMA, Time.SCHEMA and
// Timestamp.SCHEMA: a Date is days since the epoch (INT32), a Time milliseconds since
// midnight (INT32), a Timestamp milliseconds since the epoch (INT64), all in UTC.
var (
	DateSchema      = &Schema{Type: TypeInt32, Name: DateName, Version: 1}
	TimeSchema      = &Schema{Type: TypeInt32, Name: TimeName, Version: 1}
	TimestampSchema = &Schema{Type: TypeInt64, Name: TimestampName, Version: 1}
)

// DecimalSchema returns the schema of decimals with the given scale, as Kafka Connect's
// Decimal.schema(scale): BYTES holding the two's-complement big-endian unscaled value.
func DecimalSchema(scale int32) *Schema {
	return &Schema{Type: TypeBytes, Name: DecimalName, Version: 1,
		Parameters: map[string]string{DecimalScale: strconv.Itoa(int(scale))}}
}

// Decimal is an arbitrary-precision decimal number, Unscaled × 10^-Scale, as Java's
// BigDecimal.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// NewDecimal returns unscaled × 10^-scale.
func NewDecimal(unscaled int64, scale int32) Decimal {
	return Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

// ParseDecimal parses a decimal such as "-12.340" (scale 3) or "1.5E+3".
func ParseDecimal(s string) (Decimal, error) {
	if u, scale, ok := parseSmallDecimal(s); ok {
		return Decimal{Unscaled: big.NewInt(u), Scale: scale}, nil
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return Decimal{}, fmt.Errorf("data: %q is not a decimal", s)
		}
		mant, exp = s[:i], e
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
		mant = mant[:i] + mant[i+1:]
	}
	u, ok := new(big.Int).SetString(mant, 10)
	if !ok || strings.ContainsAny(mant, "_") {
		return Decimal{}, fmt.Errorf("data: %q is not a decimal", s)
	}
	return Decimal{Unscaled: u, Scale: int32(scale - exp)}, nil
}

// parseSmallDecimal parses the common form of ParseDecimal's input, [+-]digits[.digits]
// with at most 18 digits (which fit an int64), without big.Int's parser; ok is false
// for anything else.
func parseSmallDecimal(s string) (u int64, scale int32, ok bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	digits, dot := 0, -1
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits++; digits > 18 {
				return 0, 0, false
			}
			u = u*10 + int64(c-'0')
		case c == '.' && dot < 0:
			dot = i
		default:
			return 0, 0, false
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if dot >= 0 {
		scale = int32(len(s) - dot - 1)
	}
	if neg {
		u = -u
	}
	return u, scale, true
}

// String returns d as Java's BigDecimal.toPlainString would.
func (d Decimal) String() string {
	u := d.unscaled()
	if d.Scale <= 0 {
		s := u.String()
		if u.Sign() != 0 {
			s += strings.Repeat("0", int(-d.Scale))
		}
		return s
	}
	digits := new(big.Int).Abs(u).String()
	sign := ""
	if u.Sign() < 0 {
		sign = "-"
	}
	if pad := int(d.Scale) + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - int(d.Scale)
	return sign + digits[:cut] + "." + digits[cut:]
}

// Rescale returns d with the given scale, or an error if that would lose digits.
func (d Decimal) Rescale(scale int32) (Decimal, error) {
	u := d.unscaled()
	switch {
	case scale == d.Scale:
		return Decimal{Unscaled: u, Scale: scale}, nil
	case scale > d.Scale:
		m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil)
		return Decimal{Unscaled: m.Mul(m, u), Scale: scale}, nil
	}
	m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
	q, r := new(big.Int).QuoRem(u, m, new(big.Int))
	if r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("data: decimal %s does not fit scale %d without rounding", d, scale)
	}
	return Decimal{Unscaled: q, Scale: scale}, nil
}

func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// SchemaScale returns the scale of a Decimal schema.
func SchemaScale(s *Schema) (int32, error) {
	p, ok := s.Parameters[DecimalScale]
	if !ok {
		return 0, fmt.Errorf("data: Decimal schema has no %q parameter", DecimalScale)
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("data: Decimal schema's scale %q is not an integer", p)
	}
	return int32(n), nil
}

// AppendTwosComplement appends x as the minimal big-endian two's-complement bytes Java's
// BigInteger.toByteArray returns.
func AppendTwosComplement(dst []byte, x *big.Int) []byte {
	if !x.IsInt64() {
		return append(dst, kc.ToTwosComplement(x)...)
	}
	// The common case, without allocating: the int64's bytes, less the leading ones
	// that only repeat the sign.
	v := x.Int64()
	n := 8
	for ; n > 1; n-- {
		top, next := byte(v>>(8*(n-1))), byte(v>>(8*(n-2)))
		if !(top == 0 && next&0x80 == 0) && !(top == 0xff && next&0x80 != 0) {
			break
		}
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

// FromTwosComplement reads big-endian two's-complement bytes, as Java's
// new BigInteger(byte[]).
func FromTwosComplement(b []byte) *big.Int { return kc.FromTwosComplement(b) }

const dayMillis = 24 * 60 * 60 * 1000

// DateDays returns t's date as days since the epoch, as Kafka Connect's Date.fromLogical
// (t must be midnight UTC; other times are truncated to their UTC date).
func DateDays(t time.Time) int32 {
	ms := t.UnixMilli()
	d := ms / dayMillis
	if ms%dayMillis < 0 {
		d--
	}
	return int32(d)
}

// DateOf returns the time.Time (midnight UTC) of days since the epoch.
func DateOf(days int32) time.Time { return time.UnixMilli(int64(days) * dayMillis).UTC() }

// TimeMillis returns t's time of day in UTC as milliseconds since midnight, as Kafka
// Connect's Time.fromLogical.
func TimeMillis(t time.Time) int32 {
	ms := t.UnixMilli() % dayMillis
	if ms < 0 {
		ms += dayMillis
	}
	return int32(ms)
}

// TimeOf returns the time.Time on 1970-01-01 UTC ms milliseconds after midnight.
func TimeOf(ms int32) time.Time { return time.UnixMilli(int64(ms)).UTC() }
