package sdk

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// A schema's encoding is reused across batches, for its own field only, and a schema
// collected in between is never mistaken for a new one at its address.
func TestSchemaEncodingsAcrossBatches(t *testing.T) {
	rec := func(ks, vs *data.Schema) SourceRecord {
		return SourceRecord{SourcePartition: Partition{"p": "a"}, SourceOffset: IntOffset("o", 1), Topic: "t",
			Key: "k", KeySchema: ks, Value: "v", ValueSchema: vs}
	}
	fresh := func(r SourceRecord) []byte {
		var e encoder
		b, err := e.encodePoll([]SourceRecord{r})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var e encoder
	check := func(r SourceRecord) {
		t.Helper()
		got, err := e.encodePoll([]SourceRecord{r})
		if err != nil {
			t.Fatal(err)
		}
		if want := fresh(r); !bytes.Equal(got, want) {
			t.Fatalf("encoded %x, a fresh encoder %x", got, want)
		}
	}
	named := data.StringSchema.WithName("n")
	check(rec(named, named)) // one schema as key and as value
	check(rec(named, data.OptionalStringSchema))
	check(rec(data.OptionalStringSchema, named))
	for i := range 50 {
		s := data.StringSchema.WithName("s").WithVersion(int32(i)) // new schemas, old ones collected
		check(rec(s, s))
		if i%10 == 0 {
			runtime.GC()
		}
	}
}
