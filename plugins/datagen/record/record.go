// Package record is the layout of the values the datagen connector generates, shared by
// the connector and by whatever checks its output (the benchmark harness, tests, a user's
// consumer): a fixed-width ASCII header carrying the task, its sequence number and,
// optionally, the time the record was generated, followed by filler up to the record size.
//
//	offset  0..15  sequence number within the task, 16 decimal digits, zero-padded
//	       16      '.'
//	       17..20  task number, 4 decimal digits, zero-padded
//	       21      '.'
//	       22..40  generation time in Unix nanoseconds, 19 digits (all zeros when off)
//	       41      '.'
//	       42..    filler
//
// A value shorter than [HeaderLen] holds the first bytes of the header only.
package record

import "math/rand/v2"

// HeaderLen is the length of the header, separators included.
const HeaderLen = 42

// Field limits: larger numbers wrap around (modulo).
const (
	MaxSeq   = 1e16
	MaxTasks = 1e4
)

const template = "0000000000000000.0000.0000000000000000000."

// AppendHeader appends the header of record seq of task, generated at unixNanos (0 for
// none), to dst.
func AppendHeader(dst []byte, seq uint64, task int, unixNanos int64) []byte {
	n := len(dst)
	dst = append(dst, template...)
	h := dst[n : n+HeaderLen]
	putDigits(h[0:16], seq%MaxSeq)
	putDigits(h[17:21], uint64(task)%MaxTasks)
	putDigits(h[22:41], uint64(max(unixNanos, 0)))
	return dst
}

// AppendValue appends a whole value of size bytes: the header (cut short when size is
// less than HeaderLen), then the first size-HeaderLen bytes of filler, which must be
// long enough.
func AppendValue(dst []byte, size int, seq uint64, task int, unixNanos int64, filler []byte) []byte {
	if size >= HeaderLen {
		dst = AppendHeader(dst, seq, task, unixNanos)
		return append(dst, filler[:size-HeaderLen]...)
	}
	var h [HeaderLen]byte
	return append(dst, AppendHeader(h[:0], seq, task, unixNanos)[:size]...)
}

// Filler returns n pseudo-random lowercase letters, the same for the same seed and task.
func Filler(seed int64, task, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(task)))
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(r.IntN(26))
	}
	return b
}

// putDigits writes v in decimal into b, right-aligned and zero-padded, dropping digits
// that do not fit.
func putDigits(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = '0' + byte(v%10)
		v /= 10
	}
}

// Header is a parsed value header.
type Header struct {
	Seq  uint64
	Task int
	// UnixNanos is the generation time; 0 when the connector did not embed it.
	UnixNanos int64
}

// Parse reads the header at the start of value. ok is false when value is shorter than
// HeaderLen or its header is malformed.
func Parse[T string | []byte](value T) (h Header, ok bool) {
	if len(value) < HeaderLen || value[16] != '.' || value[21] != '.' || value[41] != '.' {
		return Header{}, false
	}
	seq, ok1 := parseDigits(value[0:16])
	task, ok2 := parseDigits(value[17:21])
	ts, ok3 := parseDigits(value[22:41])
	if !ok1 || !ok2 || !ok3 {
		return Header{}, false
	}
	return Header{Seq: seq, Task: int(task), UnixNanos: int64(ts)}, true
}

func parseDigits[T string | []byte](b T) (uint64, bool) {
	var v uint64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
