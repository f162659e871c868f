package data

import (
	"math/big"
	"strings"
	"testing"
)

// ParseDecimal's short path for plain decimals gives what big.Int's parser gives, and
// leaves every other form to it.
func TestParseDecimalShortPathAsBigInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "+0", "7", "-7", "+7", "007", "1.", ".5", "-.5", "12.50", "-12.50",
		"123456789012345678", "-123456789012345678", "12345678901234567.8", "1234567890123456789",
		"-1234567890.123456789", "0.000000000000000001", "1e3", "1.5E-2", ".", "-", "", "1..2", "1_0", "1.2.3", " 1", "0x10",
		strings.Repeat("9", 18), strings.Repeat("9", 19), "-" + strings.Repeat("9", 18) + ".0"} {
		got, gerr := ParseDecimal(s)
		want, werr := parseDecimalWithBigInt(s)
		if (gerr == nil) != (werr == nil) || gerr == nil && (got.Scale != want.Scale || got.Unscaled.Cmp(want.Unscaled) != 0) {
			t.Errorf("ParseDecimal(%q) = %v, %v; big.Int's parser: %v, %v", s, got, gerr, want, werr)
		}
	}
}

// parseDecimalWithBigInt is ParseDecimal without its short path.
func parseDecimalWithBigInt(s string) (Decimal, error) {
	if _, _, ok := parseSmallDecimal(s); !ok {
		return ParseDecimal(s)
	}
	mant := s
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
		mant = mant[:i] + mant[i+1:]
	}
	u, ok := new(big.Int).SetString(mant, 10)
	if !ok {
		return Decimal{}, errNotDecimal
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

var errNotDecimal = &decimalTestError{}

type decimalTestError struct{}

func (*decimalTestError) Error() string { return "not a decimal" }
