package sdk

import (
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/plugins/protocol"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// rowSchema exercises every schema type and logical type.
var rowSchema = data.StructOf("db.public.row",
	data.NewField("id", data.Int32Schema),
	data.NewField("small", data.Int8Schema),
	data.NewField("name", data.OptionalStringSchema),
	data.NewField("price", data.DecimalSchema(2)),
	data.NewField("born", data.DateSchema),
	data.NewField("at", data.TimestampSchema),
	data.NewField("ratio", data.Float32Schema),
	data.NewField("raw", data.BytesSchema),
	data.NewField("tags", data.ArrayOf(data.StringSchema)),
	data.NewField("attrs", data.MapOf(data.StringSchema, data.Int64Schema)),
	data.NewField("flag", data.BooleanSchema.WithDefault(true)),
)

func sampleRow() *data.Struct {
	return data.NewStruct(rowSchema).
		Put("id", int32(7)).
		Put("small", int8(-3)).
		Put("price", data.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}).
		Put("born", time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)).
		Put("at", time.UnixMilli(1700000000123).UTC()).
		Put("ratio", float32(0.5)).
		Put("raw", []byte{0, 1, 0xff}).
		Put("tags", []any{"a", "b"}).
		Put("attrs", map[string]any{"z": int64(1), "a": int64(2)})
}

func TestEncodeMatchesGeneratedCode(t *testing.T) {
	var e encoder
	part := Partition{"table": "row"}
	recs := []SourceRecord{{
		SourcePartition: part, SourceOffset: OffsetOf(map[string]any{"lsn": int64(42), "snapshot": true}),
		Topic: "db.public.row", Key: int32(7), KeySchema: data.Int32Schema,
		Value: sampleRow(), ValueSchema: rowSchema,
		Timestamp: time.UnixMilli(1700000000999),
		Headers:   []Header{{Key: "h", Value: "v", Schema: data.StringSchema}},
	}, {
		SourcePartition: part, SourceOffset: IntOffset("lsn", 43),
		Topic: "t", KafkaPartition: PartitionOf(3), Value: strings.Repeat("x", 300),
	}}
	b, err := e.encodePoll(recs)
	if err != nil {
		t.Fatal(err)
	}
	// On the wire, each record names its key and value schemas in the batch's table.
	var wire pluginv1.PollResponse
	if err := proto.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	if r := wire.Records[0]; len(wire.Schemas) != 2 || r.KeySchema != nil || r.ValueSchema != nil || r.KeySchemaRef != 1 || r.ValueSchemaRef != 2 {
		t.Fatalf("the schemas did not go in the batch's table: %v", &wire)
	}
	got := decodePoll(t, b)
	str := func(s string) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
	}
	num := func(n int64) *pluginv1.Value { return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: n}} }
	field := func(n string, v *pluginv1.Value) *pluginv1.Field { return &pluginv1.Field{Name: n, Value: v} }
	prim := func(ty pluginv1.Schema_Type) *pluginv1.Schema { return &pluginv1.Schema{Type: ty} }
	sf := func(n string, s *pluginv1.Schema) *pluginv1.SchemaField {
		return &pluginv1.SchemaField{Name: n, Schema: s}
	}
	want := &pluginv1.PollResponse{Records: []*pluginv1.Record{{
		Topic: "db.public.row", Partition: -1,
		Key: num(7), KeySchema: prim(pluginv1.Schema_TYPE_INT32),
		Value: &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{
			field("id", num(7)), field("small", num(-3)), field("name", nil),
			field("price", &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: []byte{0xcf, 0xc7}}}),
			field("born", num(7441)), field("at", num(1700000000123)),
			field("ratio", &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: 0.5}}),
			field("raw", &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: []byte{0, 1, 0xff}}}),
			field("tags", &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: &pluginv1.List{Values: []*pluginv1.Value{str("a"), str("b")}}}}),
			field("attrs", &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: &pluginv1.Map{Entries: []*pluginv1.MapEntry{
				{Key: str("a"), Value: num(2)}, {Key: str("z"), Value: num(1)}}}}}),
			field("flag", &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: true}}),
		}}}},
		ValueSchema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "db.public.row", Fields: []*pluginv1.SchemaField{
			sf("id", prim(pluginv1.Schema_TYPE_INT32)), sf("small", prim(pluginv1.Schema_TYPE_INT8)),
			sf("name", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Optional: true}),
			sf("price", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Name: data.DecimalName, Version: 1, Parameters: map[string]string{"scale": "2"}}),
			sf("born", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: data.DateName, Version: 1}),
			sf("at", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64, Name: data.TimestampName, Version: 1}),
			sf("ratio", prim(pluginv1.Schema_TYPE_FLOAT32)), sf("raw", prim(pluginv1.Schema_TYPE_BYTES)),
			sf("tags", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_ARRAY, ValueSchema: prim(pluginv1.Schema_TYPE_STRING)}),
			sf("attrs", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_MAP, KeySchema: prim(pluginv1.Schema_TYPE_STRING), ValueSchema: prim(pluginv1.Schema_TYPE_INT64)}),
			sf("flag", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BOOLEAN, DefaultValue: &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: true}}}),
		}},
		Headers:         []*pluginv1.Header{{Key: "h", Value: str("v"), Schema: prim(pluginv1.Schema_TYPE_STRING)}},
		TimestampMs:     1700000000999,
		SourcePartition: []byte(`{"table":"row"}`),
		SourceOffset:    []byte(`{"lsn":42,"snapshot":true}`),
	}, {
		Topic: "t", Partition: 3, Value: str(strings.Repeat("x", 300)),
		SourcePartition: []byte(`{"table":"row"}`), SourceOffset: []byte(`{"lsn":43}`),
	}}}
	if !proto.Equal(got, want) {
		t.Fatalf("encoded\n%v\nwant\n%v", got, want)
	}
}

func TestSinkDecodesWhatSourcesEncode(t *testing.T) {
	var e encoder
	row := sampleRow()
	b, err := e.encodePoll([]SourceRecord{{SourcePartition: Partition{}, SourceOffset: IntOffset("o", 0),
		Topic: "t", Value: row, ValueSchema: rowSchema, Key: map[string]any{"k": "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	resp := decodePoll(t, b)
	var d decoder
	recs, err := d.sinkRecords(resp.Records)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := recs[0].Value.(*data.Struct)
	if !ok {
		t.Fatalf("value is a %T, want *data.Struct", recs[0].Value)
	}
	for _, f := range rowSchema.Fields {
		got, want := st.Get(f.Name), row.Get(f.Name)
		if dg, ok := got.(data.Decimal); ok {
			got, want = dg.String(), want.(data.Decimal).String()
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("field %s = %#v, want %#v", f.Name, got, want)
		}
	}
	if got := recs[0].ValueSchema.Fields[3].Schema.Parameters["scale"]; got != "2" {
		t.Errorf("decoded decimal scale parameter %q", got)
	}
	if !reflect.DeepEqual(recs[0].Key, map[string]any{"k": "v"}) || recs[0].KeySchema != nil {
		t.Errorf("schemaless key = %#v (schema %v)", recs[0].Key, recs[0].KeySchema)
	}
}

func TestEncodeRefusesInvalidRecords(t *testing.T) {
	base := SourceRecord{SourcePartition: Partition{"p": 1}, SourceOffset: IntOffset("o", 1), Topic: "t"}
	for name, tc := range map[string]struct {
		mut  func(*SourceRecord)
		want string
	}{
		"wrong type":        {func(r *SourceRecord) { r.Value, r.ValueSchema = "x", data.Int32Schema }, "value: expected INT32, got string"},
		"out of range":      {func(r *SourceRecord) { r.Value, r.ValueSchema = 300, data.Int8Schema }, "value: 300 is out of range for INT8"},
		"missing required":  {func(r *SourceRecord) { r.ValueSchema = data.StringSchema }, "value: a value is required"},
		"struct field":      {func(r *SourceRecord) { r.Value, r.ValueSchema = data.NewStruct(rowSchema), rowSchema }, "value.id: a value is required"},
		"decimal precision": {func(r *SourceRecord) { r.Value, r.ValueSchema = data.NewDecimal(1234, 3), data.DecimalSchema(2) }, "does not fit scale 2"},
		"no offset":         {func(r *SourceRecord) { r.Value, r.SourceOffset = "x", Offset{} }, "needs a SourcePartition and a SourceOffset"},
		"unknown go type":   {func(r *SourceRecord) { r.Value = struct{}{} }, "a struct {} cannot be a record value"},
	} {
		t.Run(name, func(t *testing.T) {
			r := base
			tc.mut(&r)
			var e encoder
			_, err := e.encodePoll([]SourceRecord{r})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSourceMapEncodingIsJSONMarshal(t *testing.T) {
	for _, m := range []map[string]any{
		{"filename": "/tmp/a&b<c>.txt", "n": int64(-5)},
		{"b": true, "f": 1.5, "nil": nil, "u": uint64(1 << 63)},
		{"é": "ü\n", "big": int64(1<<62 + 1)},
	} {
		got, err := appendSourceMap(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := jsonMarshal(m)
		if string(got) != string(want) {
			t.Errorf("appendSourceMap = %s, json.Marshal = %s", got, want)
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// decodePoll decodes a PollResponse the SDK encoded as the kernel does, with the
// protocol's codec, which resolves the records' references to the batch's schemas.
func decodePoll(t *testing.T, b []byte) *pluginv1.PollResponse {
	t.Helper()
	var resp pluginv1.PollResponse
	if err := protocol.Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}
