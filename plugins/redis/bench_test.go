package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// BenchmarkPut measures a Put of 4096 SETs (the kernel's largest batch) of string keys
// and ~100-byte byte values, as the StringConverter and ByteArrayConverter give them, to
// a real redis-server; the server's own work is in the numbers too.
func BenchmarkPut(b *testing.B) {
	r := testsvc.StartRedis(b)
	tk := redisConnector{}.NewSinkTask().(*task)
	cfg, errs := redisDef().Parse(map[string]string{keyURI: r.URL(), keyType: "STRING"})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	if err := tk.Open(ctx, sdk.TaskContext{Config: cfg}, nil); err != nil {
		b.Fatal(err)
	}
	defer tk.Close()
	recs := make([]sdk.SinkRecord, 4096)
	pad := []byte(strings.Repeat("x", 90))
	b.ReportAllocs()
	b.ResetTimer()
	off := int64(0)
	for range b.N {
		for i := range recs {
			recs[i] = sdk.SinkRecord{Topic: "orders", Offset: off, Key: strconv.FormatInt(off, 10), Value: pad}
			off++
		}
		if err := tk.Put(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(off), "ns/record")
}
