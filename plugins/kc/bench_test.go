package kc

import "testing"

func BenchmarkAppendDouble(b *testing.B) {
	values := []float64{1, 0.5, 100, 3.141592653589793, 1e7, 1.5e-4, 12345.678}
	buf := make([]byte, 0, 64)
	for i := 0; b.Loop(); i++ {
		buf = AppendDouble(buf[:0], values[i%len(values)])
	}
}
