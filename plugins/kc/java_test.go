package kc

import (
	"encoding/hex"
	"math"
	"math/big"
	"slices"
	"strconv"
	"testing"
)

// The expected values in this file were printed by OpenJDK 25 (Temurin 25) running the
// Java expressions named in each table's comment: Double.toString, Float.toString,
// ConfigDef.parseType's BOOLEAN, LIST, INT, LONG and SHORT arms (String.trim, then
// equalsIgnoreCase, COMMA_WITH_WHITESPACE.split(trimmed, -1), Integer.parseInt,
// Long.parseLong, Short.parseShort), Double.parseDouble, Float.parseFloat,
// new BigDecimal(BigInteger, scale).toString() and BigInteger.toByteArray. OpenJDK 17
// prints a few doubles with more digits (1.0E23 as 9.999999999999999E22): Java's
// Double.toString has been the shortest-digit algorithm since JDK 19, which kc follows.

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		bits uint64 // Double.doubleToRawLongBits
		want string // Double.toString
	}{
		{0x3ff0000000000000, "1.0"},
		{0x4059000000000000, "100.0"},
		{0x3f50624dd2f1a9fc, "0.001"},
		{0x3fe0000000000000, "0.5"},
		{0x416312cfe0000000, "9999999.0"},
		{0x416312d000000000, "1.0E7"},
		{0x419d6f3454000000, "1.23456789E8"},
		{0x3f23a92a30553261, "1.5E-4"},
		{0xbdf12e0be826d695, "-2.5E-10"},
		{0x54b249ad2594c37d, "1.0E100"},
		{0x0000000000000000, "0.0"},
		{0x8000000000000000, "-0.0"},
		{0x7ff8000000000000, "NaN"},
		{0x7ff0000000000000, "Infinity"},
		{0xfff0000000000000, "-Infinity"},
		{0x0000000000000001, "4.9E-324"},
		{0x0000000000000002, "9.9E-324"},
		{0x0000000000000003, "1.5E-323"},
		{0x0000000000000009, "4.4E-323"},
		{0x0000000000000064, "4.94E-322"},
		{0x0010000000000000, "2.2250738585072014E-308"},
		{0x7fefffffffffffff, "1.7976931348623157E308"},
		{0x3fd3333333333334, "0.30000000000000004"},
		{0x44b52d02c7e14af6, "1.0E23"},
		{0x44c52d02c7e14af6, "2.0E23"},
		{0x3f1a36e2eb1c432d, "1.0E-4"},
		{0x4132d68700000000, "1234567.0"},
		{0x41678c29dccccccd, "1.23456789E7"},
		{0x44b52d02c7e14af6, "1.0E23"},
		{0x3f50624dd2f1a9fb, "9.999999999999998E-4"},
		{0x3f50624dd2f1a9fc, "0.001"},
		{0x416312cfffffffff, "9999999.999999998"},
		{0x3f60624dd2f1a9fc, "0.002"},
		{0x444b1ae4d6e2ef50, "1.0E21"},
		{0x4480f0cf064dd592, "1.0E22"},
		{0x0000000000000001, "4.9E-324"},
		{0x4011666666666666, "4.35"},
		{0x438f67ea69ed3795, "2.82879384806159E17"},
		{0x3ee4f8b588e368f1, "1.0E-5"},
		{0xc16312d000000000, "-1.0E7"},
		{0x3fd5555555555555, "0.3333333333333333"},
		{0x3fe5555555555555, "0.6666666666666666"},
		{0x405edd2f1a9fbe77, "123.456"},
		{0x01a56e1fc2f8f359, "1.0E-300"},
		{0x400921fb54442d18, "3.141592653589793"},
		{0x4005bf0a8b145769, "2.718281828459045"},
		{0x43e0000000000000, "9.223372036854776E18"},
		{0x0000000000000063, "4.9E-322"},
	}
	for _, tt := range tests {
		f := math.Float64frombits(tt.bits)
		if got := FormatDouble(f); got != tt.want {
			t.Errorf("FormatDouble(%v) = %q; want %q", f, got, tt.want)
		}
		if got := string(AppendDouble([]byte("x="), f)); got != "x="+tt.want {
			t.Errorf("AppendDouble(x=, %v) = %q; want %q", f, got, "x="+tt.want)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		bits uint32 // Float.floatToRawIntBits
		want string // Float.toString
	}{
		{0x3dcccccd, "0.1"},
		{0x501502f9, "1.0E10"},
		{0x7f7fffff, "3.4028235E38"},
		{0x00000001, "1.4E-45"},
		{0x00000002, "2.8E-45"},
		{0x00800000, "1.1754944E-38"},
		{0x3eaaaaab, "0.33333334"},
		{0x50df8476, "3.0E10"},
		{0x4b800000, "1.6777216E7"},
		{0x4b189680, "1.0E7"},
		{0x4b18967f, "9999999.0"},
		{0x3a83126f, "0.001"},
		{0x38d1b717, "1.0E-4"},
		{0x80000000, "-0.0"},
		{0x4c000000, "3.3554432E7"},
		{0x3f8ccccd, "1.1"},
	}
	for _, tt := range tests {
		f := math.Float32frombits(tt.bits)
		if got := FormatFloat(f); got != tt.want {
			t.Errorf("FormatFloat(%v) = %q; want %q", f, got, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in     string
		v, ok  bool // ConfigDef BOOLEAN: trimmed equalsIgnoreCase "true" / "false", else ConfigException
		isTrue bool // Boolean.parseBoolean
	}{
		{"true", true, true, true},
		{"TRUE", true, true, true},
		{" True\u0009", true, true, false},
		{"false", false, true, false},
		{"FaLsE", false, true, false},
		{"yes", false, false, false},
		{"1", false, false, false},
		{"", false, false, false},
		{" ", false, false, false},
		{"t", false, false, false},
		{"fal\u017fe", false, true, false},
		{"\u00a0true", false, false, false},
		{"true\u0000", true, true, false},
		{"tru", false, false, false},
	}
	for _, tt := range tests {
		if v, ok := ParseBool(tt.in); v != tt.v || ok != tt.ok {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", tt.in, v, ok, tt.v, tt.ok)
		}
		if got := IsTrue(tt.in); got != tt.isTrue {
			t.Errorf("IsTrue(%q) = %v; want %v", tt.in, got, tt.isTrue)
		}
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []string // ConfigDef LIST: trimmed "" is emptyList, else COMMA_WITH_WHITESPACE.split(trimmed, -1)
	}{
		{"", nil},
		{"  ", nil},
		{"a", []string{"a"}},
		{"a,b", []string{"a", "b"}},
		{" a , b ", []string{"a", "b"}},
		{"a,,b,", []string{"a", "", "b", ""}},
		{",a", []string{"", "a"}},
		{"a\u000b,b", []string{"a", "b"}},
		{"a b, c", []string{"a b", "c"}},
		{",", []string{"", ""}},
		{" , ", []string{"", ""}},
		{"a,\u0001 b", []string{"a", "\u0001 b"}},
		{"\u00a0a, b\u00a0", []string{"\u00a0a", "b\u00a0"}},
		{"a\u0009,\u000a b", []string{"a", "b"}},
	}
	for _, tt := range tests {
		if got := ParseList(tt.in); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("ParseList(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseIntegers(t *testing.T) {
	tests := []struct {
		in               string
		int, long, short string // Integer.parseInt, Long.parseLong, Short.parseShort of trim(); ERR for NumberFormatException
	}{
		{"42", "42", "42", "42"},
		{" 42 ", "42", "42", "42"},
		{"+42", "42", "42", "42"},
		{"-0", "0", "0", "0"},
		{"2147483647", "2147483647", "2147483647", "ERR"},
		{"2147483648", "ERR", "2147483648", "ERR"},
		{"-2147483648", "-2147483648", "-2147483648", "ERR"},
		{"-2147483649", "ERR", "-2147483649", "ERR"},
		{"", "ERR", "ERR", "ERR"},
		{"+", "ERR", "ERR", "ERR"},
		{"-", "ERR", "ERR", "ERR"},
		{"4_2", "ERR", "ERR", "ERR"},
		{"0x10", "ERR", "ERR", "ERR"},
		{"1e3", "ERR", "ERR", "ERR"},
		{"42.0", "ERR", "ERR", "ERR"},
		{"\u0664\u0662", "42", "42", "42"},
		{"\uff14\uff12", "42", "42", "42"},
		{"\u00a042", "ERR", "ERR", "ERR"},
		{"9223372036854775807", "ERR", "9223372036854775807", "ERR"},
		{"9223372036854775808", "ERR", "ERR", "ERR"},
		{"32767", "32767", "32767", "32767"},
		{"32768", "32768", "32768", "ERR"},
		{"-32768", "-32768", "-32768", "-32768"},
		{"\u00097\u000a", "7", "7", "7"},
		{"07", "7", "7", "7"},
	}
	show := func(n int64, ok bool) string {
		if !ok {
			return "ERR"
		}
		return strconv.FormatInt(n, 10)
	}
	for _, tt := range tests {
		i, ok := ParseInt(tt.in)
		if got := show(int64(i), ok); got != tt.int {
			t.Errorf("ParseInt(%q) = %s; want %s", tt.in, got, tt.int)
		}
		l, ok := ParseLong(tt.in)
		if got := show(l, ok); got != tt.long {
			t.Errorf("ParseLong(%q) = %s; want %s", tt.in, got, tt.long)
		}
		s, ok := ParseShort(tt.in)
		if got := show(int64(s), ok); got != tt.short {
			t.Errorf("ParseShort(%q) = %s; want %s", tt.in, got, tt.short)
		}
	}
}

func TestParseDouble(t *testing.T) {
	const bad, badF = 1, 1 // stand for NumberFormatException: no table value has these bits
	tests := []struct {
		in    string
		bits  uint64 // Double.doubleToRawLongBits(Double.parseDouble(trim())), or bad
		fbits uint32 // Float.floatToRawIntBits(Float.parseFloat(trim())), or badF
	}{
		{"1", 0x3ff0000000000000, 0x3f800000},
		{"1.", 0x3ff0000000000000, 0x3f800000},
		{".5", 0x3fe0000000000000, 0x3f000000},
		{".", bad, badF},
		{"1e5", 0x40f86a0000000000, 0x47c35000},
		{"1E5", 0x40f86a0000000000, 0x47c35000},
		{"1e", bad, badF},
		{"1e+5", 0x40f86a0000000000, 0x47c35000},
		{"1e-5", 0x3ee4f8b588e368f1, 0x3727c5ac},
		{"-1.5", 0xbff8000000000000, 0xbfc00000},
		{"+1.5", 0x3ff8000000000000, 0x3fc00000},
		{"1.5d", 0x3ff8000000000000, 0x3fc00000},
		{"1.5F", 0x3ff8000000000000, 0x3fc00000},
		{"1.5dd", bad, badF},
		{"NaN", 0x7ff8000000000000, 0x7fc00000},
		{"-NaN", 0x7ff8000000000000, 0x7fc00000},
		{"+Infinity", 0x7ff0000000000000, 0x7f800000},
		{"-Infinity", 0xfff0000000000000, 0xff800000},
		{"Infinity", 0x7ff0000000000000, 0x7f800000},
		{"infinity", bad, badF},
		{"nan", bad, badF},
		{"inf", bad, badF},
		{"Inf", bad, badF},
		{"0x1.8p1", 0x4008000000000000, 0x40400000},
		{"0X1P-2", 0x3fd0000000000000, 0x3e800000},
		{"0x1.8", bad, badF},
		{"0x1p1d", 0x4000000000000000, 0x40000000},
		{"0x.8p1", 0x3ff0000000000000, 0x3f800000},
		{"0x1.p1", 0x4000000000000000, 0x40000000},
		{"0xp1", bad, badF},
		{"1_000", bad, badF},
		{"1e400", 0x7ff0000000000000, 0x7f800000},
		{"-1e400", 0xfff0000000000000, 0xff800000},
		{"1e-400", 0x0000000000000000, 0x00000000},
		{" 2.5 ", 0x4004000000000000, 0x40200000},
		{"\u00a02.5", bad, badF},
		{"1.0e5f", 0x40f86a0000000000, 0x47c35000},
		{"Infinityd", bad, badF},
		{"d", bad, badF},
		{"1d5", bad, badF},
		{"0x1p", bad, badF},
		{"00.5", 0x3fe0000000000000, 0x3f000000},
		{"1.2.3", bad, badF},
		{"e5", bad, badF},
		{"+-1", bad, badF},
		{"0x1P+1", 0x4000000000000000, 0x40000000},
		{"0x1p1.5", bad, badF},
		{"1,5", bad, badF},
	}
	for _, tt := range tests {
		f, ok := ParseDouble(tt.in)
		switch {
		case tt.bits == bad:
			if ok {
				t.Errorf("ParseDouble(%q) = %v; want a failure", tt.in, f)
			}
		case !ok:
			t.Errorf("ParseDouble(%q) failed; want %v", tt.in, math.Float64frombits(tt.bits))
		case math.IsNaN(f) != math.IsNaN(math.Float64frombits(tt.bits)) || !math.IsNaN(f) && math.Float64bits(f) != tt.bits:
			t.Errorf("ParseDouble(%q) = %v (%#x); want %v (%#x)", tt.in, f, math.Float64bits(f), math.Float64frombits(tt.bits), tt.bits)
		}
		g, ok := ParseFloat(tt.in)
		switch {
		case tt.fbits == badF:
			if ok {
				t.Errorf("ParseFloat(%q) = %v; want a failure", tt.in, g)
			}
		case !ok:
			t.Errorf("ParseFloat(%q) failed; want %v", tt.in, math.Float32frombits(tt.fbits))
		case math.IsNaN(float64(g)) != math.IsNaN(float64(math.Float32frombits(tt.fbits))) || !math.IsNaN(float64(g)) && math.Float32bits(g) != tt.fbits:
			t.Errorf("ParseFloat(%q) = %v (%#x); want %v (%#x)", tt.in, g, math.Float32bits(g), math.Float32frombits(tt.fbits), tt.fbits)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		unscaled int64
		scale    int
		want     string // new BigDecimal(BigInteger.valueOf(unscaled), scale).toString()
	}{
		{12345, 2, "123.45"},
		{-5, 3, "-0.005"},
		{1, 7, "1E-7"},
		{12, -3, "1.2E+4"},
		{0, 0, "0"},
		{7, 0, "7"},
		{100, 2, "1.00"},
		{-123, 10, "-1.23E-8"},
		{1, 6, "0.000001"},
		{0, -2, "0E+2"},
		{0, 8, "0E-8"},
		{123456789, -1, "1.23456789E+9"},
	}
	for _, tt := range tests {
		if got := FormatDecimal(big.NewInt(tt.unscaled), tt.scale); got != tt.want {
			t.Errorf("FormatDecimal(%d, %d) = %s; want %s", tt.unscaled, tt.scale, got, tt.want)
		}
	}
}

func TestTwosComplement(t *testing.T) {
	tests := []struct {
		n    int64
		want string // BigInteger.valueOf(n).toByteArray(), in hex
	}{
		{0, "00"},
		{1, "01"},
		{127, "7f"},
		{128, "0080"},
		{255, "00ff"},
		{256, "0100"},
		{-1, "ff"},
		{-128, "80"},
		{-129, "ff7f"},
		{-256, "ff00"},
		{-257, "feff"},
		{12345, "3039"},
		{-12345, "cfc7"},
		{9223372036854775807, "7fffffffffffffff"},
		{-9223372036854775808, "8000000000000000"},
	}
	for _, tt := range tests {
		got := ToTwosComplement(big.NewInt(tt.n))
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("ToTwosComplement(%d) = %x; want %s", tt.n, got, tt.want)
		}
		if back := FromTwosComplement(got); !back.IsInt64() || back.Int64() != tt.n {
			t.Errorf("FromTwosComplement(%x) = %v; want %d", got, back, tt.n)
		}
	}
	if n := FromTwosComplement(nil); n.Sign() != 0 {
		t.Errorf("FromTwosComplement(nil) = %v; want 0", n)
	}
}
