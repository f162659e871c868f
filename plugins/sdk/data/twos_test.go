package data

import (
	"bytes"
	"math"
	"math/big"
	"testing"

	"github.com/tributary-dev/tributary/plugins/kc"
)

// AppendTwosComplement writes every integer as Java's BigInteger.toByteArray does
// (kc.ToTwosComplement), also around each byte boundary of an int64 and beyond it.
func TestAppendTwosComplementAsJava(t *testing.T) {
	var ns []*big.Int
	for _, v := range []int64{0, 1, -1, 127, 128, -128, -129, 255, 256, -256, -257, 32767, 32768, -32768, -32769,
		math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32, 1 << 55, -(1 << 55), 1<<55 - 1, -(1<<55 + 1)} {
		ns = append(ns, big.NewInt(v))
	}
	for shift := range 64 {
		for _, d := range []int64{-1, 0, 1} {
			ns = append(ns, big.NewInt(int64(1)<<shift+d), big.NewInt(-(int64(1)<<shift)+d))
		}
	}
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	ns = append(ns, huge, new(big.Int).Neg(huge), new(big.Int).Lsh(big.NewInt(1), 63))
	for _, n := range ns {
		want := append([]byte("prefix"), kc.ToTwosComplement(n)...)
		if got := AppendTwosComplement([]byte("prefix"), n); !bytes.Equal(got, want) {
			t.Errorf("AppendTwosComplement(%s) = %x, want %x", n, got, want)
		}
	}
}
