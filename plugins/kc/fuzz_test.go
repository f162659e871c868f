package kc

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzFormatDouble checks that FormatDouble's text reads back as the same double (with
// strconv and with ParseDouble) and has Java's shape.
func FuzzFormatDouble(f *testing.F) {
	for _, bits := range []uint64{0, 1, 2, 0x3ff0000000000000, 0x44b52d02c7e14af6, 0x7fefffffffffffff, 0x8000000000000000, 0x3f50624dd2f1a9fb, 0x416312cfffffffff} {
		f.Add(bits)
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		s := FormatDouble(x)
		if math.IsNaN(x) {
			if s != "NaN" {
				t.Fatalf("FormatDouble(NaN) = %q", s)
			}
			return
		}
		if !strings.Contains(s, ".") && !math.IsInf(x, 0) {
			t.Fatalf("FormatDouble(%v) = %q: Java always writes a point", x, s)
		}
		goText := strings.Replace(s, "Infinity", "Inf", 1)
		back, err := strconv.ParseFloat(goText, 64)
		if err != nil || math.Float64bits(back) != bits {
			t.Fatalf("FormatDouble(%v) = %q, which reads back as %v (%v)", x, s, back, err)
		}
		if back, ok := ParseDouble(s); !ok || math.Float64bits(back) != bits {
			t.Fatalf("ParseDouble(FormatDouble(%v) = %q) = %v, %v", x, s, back, ok)
		}
	})
}

// FuzzFormatFloat is FuzzFormatDouble for floats.
func FuzzFormatFloat(f *testing.F) {
	for _, bits := range []uint32{0, 1, 0x3dcccccd, 0x7f7fffff, 0x80000000} {
		f.Add(bits)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		x := math.Float32frombits(bits)
		if x != x {
			return
		}
		s := FormatFloat(x)
		back, ok := ParseFloat(s)
		if !ok || math.Float32bits(back) != bits {
			t.Fatalf("ParseFloat(FormatFloat(%v) = %q) = %v, %v", x, s, back, ok)
		}
	})
}

// FuzzParseList checks that ParseList never panics and keeps every non-separator byte:
// joining its items with commas gives back the trimmed input up to the whitespace
// around the commas.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a, b", "a,,b,", " , ", "\v,\v", "\x00a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items := ParseList(s)
		trimmed := Trim(s)
		if trimmed == "" {
			if items != nil {
				t.Fatalf("ParseList(%q) = %q; want nil", s, items)
			}
			return
		}
		if len(items) != strings.Count(trimmed, ",")+1 {
			t.Fatalf("ParseList(%q) = %d items; want one more than the commas", s, len(items))
		}
		squeeze := func(s string) string {
			return strings.Map(func(r rune) rune {
				if isRegexSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		if got, want := squeeze(strings.Join(items, ",")), squeeze(trimmed); got != want {
			t.Fatalf("ParseList(%q) = %q: lost or gained text", s, items)
		}
	})
}

// FuzzParseNumbers checks that the number parsers never panic and agree with each other:
// an INT is a LONG, a SHORT is an INT, and a LONG within 2^53 is that DOUBLE.
func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{"0", "-32768", "2147483648", "+7", "٤٢", "1e5", "0x1p3", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, okS := ParseShort(s)
		i, okI := ParseInt(s)
		l, okL := ParseLong(s)
		d, okD := ParseDouble(s)
		ParseBool(s)
		CheckConfigValue(TypeDouble, "k", s)
		if okS && (!okI || int32(sh) != i) {
			t.Fatalf("%q: short %v but int %v, %v", s, sh, i, okI)
		}
		if okI && (!okL || int64(i) != l) {
			t.Fatalf("%q: int %v but long %v, %v", s, i, l, okL)
		}
		if okL && l > -1<<53 && l < 1<<53 && isASCII(s) && (!okD || d != float64(l)) {
			t.Fatalf("%q: long %v but double %v, %v", s, l, d, okD)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
