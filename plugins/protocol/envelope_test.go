package protocol

import (
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// envelopeRecords are n records shaped as a CDC source's change events: a key struct
// and a Debezium envelope of before/after rows and a source block, values of every
// scalar kind and null fields.
func envelopeRecords(n int) []*pluginv1.Record {
	str := func(s string) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
	}
	num := func(i int64) *pluginv1.Value { return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: i}} }
	st := func(fs ...*pluginv1.Field) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: fs}}}
	}
	keySchema := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "p.public.t.Key",
		Fields: []*pluginv1.SchemaField{{Name: "id", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64}}}}
	valueSchema := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "p.public.t.Envelope", Version: 1}
	recs := make([]*pluginv1.Record, n)
	for i := range recs {
		id := int64(i + 1000)
		after := st(&pluginv1.Field{Name: "id", Value: num(id)}, &pluginv1.Field{Name: "name", Value: str("name-1000")},
			&pluginv1.Field{Name: "qty", Value: num(id % 100)},
			&pluginv1.Field{Name: "price", Value: &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: []byte{0x27, 0x10}}}},
			&pluginv1.Field{Name: "ratio", Value: &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: 0.25}}},
			&pluginv1.Field{Name: "ok", Value: &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: i%2 == 0}}},
			&pluginv1.Field{Name: "updated", Value: str("2026-12-04T19:53:51.123456Z")},
			&pluginv1.Field{Name: "empty", Value: &pluginv1.Value{}})
		source := st(&pluginv1.Field{Name: "version", Value: str("2.5.4.Final")}, &pluginv1.Field{Name: "connector", Value: str("postgresql")},
			&pluginv1.Field{Name: "name", Value: str("p")}, &pluginv1.Field{Name: "ts_ms", Value: num(1764878031123)},
			&pluginv1.Field{Name: "snapshot", Value: str("false")}, &pluginv1.Field{Name: "db", Value: str("postgres")},
			&pluginv1.Field{Name: "sequence", Value: str(`["24023928","24023928"]`)}, &pluginv1.Field{Name: "schema", Value: str("public")},
			&pluginv1.Field{Name: "table", Value: str("t")}, &pluginv1.Field{Name: "txId", Value: num(745)},
			&pluginv1.Field{Name: "lsn", Value: num(24023928 + id)}, &pluginv1.Field{Name: "xmin"})
		recs[i] = &pluginv1.Record{Topic: "p.public.t", Partition: -1,
			Key: st(&pluginv1.Field{Name: "id", Value: num(id)}), KeySchema: keySchema,
			Value: st(&pluginv1.Field{Name: "before"}, &pluginv1.Field{Name: "after", Value: after},
				&pluginv1.Field{Name: "source", Value: source}, &pluginv1.Field{Name: "op", Value: str("c")},
				&pluginv1.Field{Name: "ts_ms", Value: num(1764878031999)}, &pluginv1.Field{Name: "transaction"}),
			ValueSchema:     valueSchema,
			SourcePartition: []byte(`{"server":"p"}`), SourceOffset: []byte(`{"lsn":24023928}`)}
	}
	return recs
}

// Struct values decode, through the batch decoder's own path for them, to what the
// protobuf library decodes.
func TestStructValuesDecodeAsTheLibraryDoes(t *testing.T) {
	in := &pluginv1.PollResponse{Records: envelopeRecords(3)}
	var got pluginv1.PollResponse
	roundTrip(t, in, &got)
	b, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var ours, std pluginv1.PollResponse
	checkDecode(t, b, &ours, &std)
}

// Appending to a field list or to bytes inside a decoded struct copies: it never
// overwrites the next struct's fields or bytes.
func TestAppendingToDecodedStructsCopies(t *testing.T) {
	var got pluginv1.PollResponse
	data, err := Codec.Marshal(&pluginv1.PollResponse{Records: envelopeRecords(2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := Codec.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, r := range got.Records {
		for _, v := range []*pluginv1.Value{r.Key, r.Value, r.Value.GetStructValue().Fields[1].Value} {
			fs := v.GetStructValue().Fields
			if cap(fs) != len(fs) {
				t.Errorf("a struct's fields have capacity %d beyond their length %d", cap(fs), len(fs))
			}
			_ = append(fs, &pluginv1.Field{Name: "extra"})
		}
		price := r.Value.GetStructValue().Fields[1].Value.GetStructValue().Fields[3].Value.GetBytesValue()
		if cap(price) != len(price) {
			t.Errorf("bytes in a struct have capacity %d beyond their length %d", cap(price), len(price))
		}
		_ = append(price, "XXXXXXXX"...)
	}
	if !proto.Equal(&got, &pluginv1.PollResponse{Records: envelopeRecords(2)}) {
		t.Fatalf("appending to decoded structs changed the batch: %v", &got)
	}
}

func FuzzDecodeStructValues(f *testing.F) {
	for _, n := range []int{1, 2} {
		b, err := proto.Marshal(&pluginv1.PollResponse{Records: envelopeRecords(n)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:len(b)-3])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want pluginv1.PollResponse
		checkDecode(t, b, &got, &want)
	})
}

// BenchmarkUnmarshalPollEnvelope decodes batches of 1024 change-event records (the
// kernel's share of a CDC source's Poll).
func BenchmarkUnmarshalPollEnvelope(b *testing.B) {
	recs := envelopeRecords(1024)
	data, err := Codec.Marshal(&pluginv1.PollResponse{Records: recs})
	if err != nil {
		b.Fatal(err)
	}
	raw := data.Materialize()
	b.ReportAllocs()
	for b.Loop() {
		var resp pluginv1.PollResponse
		if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, &resp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkUnmarshalPollSmallBatches decodes change events in batches of 4, each
// carrying the key and envelope schemas a Debezium source sends, as the kernel reads a
// source polled faster than its database writes.
func BenchmarkUnmarshalPollSmallBatches(b *testing.B) {
	recs := envelopeRecords(4)
	for _, r := range recs {
		r.KeySchema, r.ValueSchema = benchEnvelopeSchemas()
	}
	data, err := Codec.Marshal(&pluginv1.PollResponse{Records: recs})
	if err != nil {
		b.Fatal(err)
	}
	raw := data.Materialize()
	b.ReportAllocs()
	for b.Loop() {
		var resp pluginv1.PollResponse
		if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, &resp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// benchEnvelopeSchemas are a key schema and an envelope schema the size of Debezium's
// for a table of five columns.
func benchEnvelopeSchemas() (*pluginv1.Schema, *pluginv1.Schema) {
	scalar := func(name string, t pluginv1.Schema_Type, optional bool) *pluginv1.SchemaField {
		return &pluginv1.SchemaField{Name: name, Schema: &pluginv1.Schema{Type: t, Optional: optional}}
	}
	str, i64 := pluginv1.Schema_TYPE_STRING, pluginv1.Schema_TYPE_INT64
	row := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "p.public.t.Value", Optional: true, Fields: []*pluginv1.SchemaField{
		scalar("id", i64, false), scalar("name", str, false), scalar("qty", pluginv1.Schema_TYPE_INT32, true),
		{Name: "price", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Optional: true, Name: "org.apache.kafka.connect.data.Decimal",
			Version: 1, Parameters: map[string]string{"scale": "2", "connect.decimal.precision": "10"}}},
		{Name: "updated", Schema: &pluginv1.Schema{Type: str, Optional: true, Name: "io.debezium.time.ZonedTimestamp", Version: 1}}}}
	source := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "io.debezium.connector.postgresql.Source", Fields: []*pluginv1.SchemaField{
		scalar("version", str, false), scalar("connector", str, false), scalar("name", str, false), scalar("ts_ms", i64, false),
		{Name: "snapshot", Schema: &pluginv1.Schema{Type: str, Optional: true, Name: "io.debezium.data.Enum", Version: 1,
			Parameters:   map[string]string{"allowed": "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},
			DefaultValue: &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "false"}}}},
		scalar("db", str, false), scalar("sequence", str, true), scalar("schema", str, false), scalar("table", str, false),
		scalar("txId", i64, true), scalar("lsn", i64, true), scalar("xmin", i64, true)}}
	block := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "event.block", Optional: true, Version: 1, Fields: []*pluginv1.SchemaField{
		scalar("id", str, false), scalar("total_order", i64, false), scalar("data_collection_order", i64, false)}}
	env := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "p.public.t.Envelope", Version: 1, Fields: []*pluginv1.SchemaField{
		{Name: "before", Schema: row}, {Name: "after", Schema: row}, {Name: "source", Schema: source},
		scalar("op", str, false), scalar("ts_ms", i64, true), {Name: "transaction", Schema: block}}}
	key := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "p.public.t.Key", Fields: []*pluginv1.SchemaField{scalar("id", i64, false)}}
	return key, env
}
