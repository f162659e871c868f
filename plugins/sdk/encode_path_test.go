package sdk

import (
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// An error names where in the record the bad value sits: fields, list items, the keys
// and values of both kinds of map, headers.
func TestEncodeErrorNamesThePath(t *testing.T) {
	inner := data.StructOf("inner", data.NewField("n", data.Int32Schema))
	outer := data.StructOf("outer",
		data.NewField("s", inner),
		data.NewField("list", data.Optional(data.ArrayOf(inner))),
		data.NewField("smap", data.Optional(data.MapOf(data.StringSchema, data.Int32Schema))),
		data.NewField("map", data.Optional(data.MapOf(data.Int32Schema, data.Int32Schema))))
	ok := func() *data.Struct {
		return data.NewStruct(outer).PutAt(0, data.NewStruct(inner).PutAt(0, int32(1)))
	}
	cases := map[string]struct {
		rec  func(*SourceRecord)
		want string
	}{
		"nested field": {func(r *SourceRecord) {
			r.Value = data.NewStruct(outer).PutAt(0, data.NewStruct(inner).PutAt(0, "x"))
		}, "value.s.n: expected INT32, got string"},
		"list item": {func(r *SourceRecord) {
			r.Value = ok().PutAt(1, []any{data.NewStruct(inner).PutAt(0, int32(1)), data.NewStruct(inner).PutAt(0, true)})
		}, "value.list[1].n: expected INT32, got bool"},
		"string map value": {func(r *SourceRecord) {
			r.Value = ok().PutAt(2, map[string]any{"a": int32(1), "b": "x"})
		}, "value.smap.b: expected INT32, got string"},
		"map key": {func(r *SourceRecord) {
			r.Value = ok().PutAt(3, data.Map{{Key: int32(1), Value: int32(2)}, {Key: "k", Value: int32(2)}})
		}, "value.map[1].key: expected INT32, got string"},
		"map value": {func(r *SourceRecord) {
			r.Value = ok().PutAt(3, data.Map{{Key: int32(1), Value: 3.5}})
		}, "value.map[0]: expected INT32, got float64"},
		"key": {func(r *SourceRecord) { r.Key, r.KeySchema = "k", data.Int64Schema }, "key: expected INT64, got string"},
		"header": {func(r *SourceRecord) {
			r.Headers = []Header{{Key: "h", Value: 7, Schema: data.StringSchema}}
		}, "header h: expected STRING, got int"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := SourceRecord{SourcePartition: Partition{"p": 1}, SourceOffset: IntOffset("o", 1), Topic: "t",
				Value: ok(), ValueSchema: outer}
			tc.rec(&r)
			err := ValidateRecords([]SourceRecord{r})
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one ending in %q", err, tc.want)
			}
		})
	}
}
