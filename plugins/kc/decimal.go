package kc

import (
	"math/big"
	"strconv"
)

// A Kafka Connect Decimal is an unscaled integer and a scale, unscaled × 10^-scale; on
// the wire the unscaled integer is big-endian two's complement bytes, as Java's
// BigInteger.toByteArray writes them.

// FromTwosComplement reads a big-endian two's complement integer, as Java's
// BigInteger(byte[]) does; no bytes is zero.
func FromTwosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// ToTwosComplement writes n in the fewest big-endian two's complement bytes (at least
// one), as Java's BigInteger.toByteArray does.
func ToTwosComplement(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -n-1 has all the bits of n inverted; find the byte length that keeps the sign bit.
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	for i := range b {
		b[i] = ^b[i]
	}
	return b
}

// FormatDecimal returns unscaled × 10^-scale as Java's BigDecimal.toString writes it:
// plain ("12.50", "-0.001") when scale >= 0 and the adjusted exponent is at least -6,
// otherwise scientific with a signed exponent ("1.2E+3", "1E-7").
func FormatDecimal(unscaled *big.Int, scale int) string {
	return string(AppendDecimal(nil, unscaled, scale))
}

// AppendDecimal appends unscaled × 10^-scale as FormatDecimal writes it to dst and
// returns the result.
func AppendDecimal(dst []byte, unscaled *big.Int, scale int) []byte {
	if unscaled.Sign() < 0 {
		dst = append(dst, '-')
	}
	coeff := new(big.Int).Abs(unscaled).String()
	adjusted := -scale + len(coeff) - 1
	if scale >= 0 && adjusted >= -6 {
		switch {
		case scale == 0:
			return append(dst, coeff...)
		case len(coeff) > scale:
			dst = append(dst, coeff[:len(coeff)-scale]...)
			dst = append(dst, '.')
			return append(dst, coeff[len(coeff)-scale:]...)
		default:
			dst = append(dst, '0', '.')
			for range scale - len(coeff) {
				dst = append(dst, '0')
			}
			return append(dst, coeff...)
		}
	}
	dst = append(dst, coeff[0])
	if len(coeff) > 1 {
		dst = append(dst, '.')
		dst = append(dst, coeff[1:]...)
	}
	dst = append(dst, 'E')
	if adjusted >= 0 {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(adjusted), 10)
}
