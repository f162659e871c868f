package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// BenchmarkPut measures a Put of 4096 schemaless JSON-map records (the kernel's largest
// batch, the shape JsonConverter with schemas.enable=false gives) to esfake; esfake's own
// work is in the numbers too.
func BenchmarkPut(b *testing.B) {
	es := startES(b)
	tk := connector{}.NewSinkTask().(*task)
	cfg, errs := configDef().Parse(baseConfig(es.URL, map[string]string{keySchemaIgnore: "true"}))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	if err := tk.Open(context.Background(), sdk.TaskContext{Config: cfg}, nil); err != nil {
		b.Fatal(err)
	}
	defer tk.Close()
	recs := make([]sdk.SinkRecord, 4096)
	pad := strings.Repeat("x", 70)
	b.ReportAllocs()
	b.ResetTimer()
	off := int64(0)
	for range b.N {
		for i := range recs {
			recs[i] = sdk.SinkRecord{Topic: "orders", Offset: off, Key: strconv.FormatInt(off, 10),
				Value: map[string]any{"seq": off, "pad": pad}}
			off++
		}
		if err := tk.Put(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(off), "ns/record")
}
