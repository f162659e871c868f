package protocol

import (
	"testing"

	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func bytesValue(b string) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: []byte(b)}}
}

func sampleRecords() []*pluginv1.Record {
	str := &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "hello"}}
	nested := &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{
		{Name: "b", Value: bytesValue("inner")},
		{Name: "l", Value: &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: &pluginv1.List{Values: []*pluginv1.Value{bytesValue("x"), str}}}}},
		{Name: "m", Value: &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: &pluginv1.Map{Entries: []*pluginv1.MapEntry{{Key: bytesValue("k"), Value: bytesValue("v")}}}}}},
	}}}}
	schema := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Optional: true, DefaultValue: bytesValue("dflt"),
		Parameters: map[string]string{"p": "q"}}
	return []*pluginv1.Record{
		{Topic: "t", Partition: -1, Key: bytesValue("key1"), Value: str, TimestampMs: 42,
			SourcePartition: []byte(`{"f":"a"}`), SourceOffset: []byte(`{"n":1}`)},
		{Topic: "t", Partition: 3, Key: bytesValue("key2"), KeySchema: schema, Value: nested,
			Headers: []*pluginv1.Header{{Key: "h", Value: bytesValue("hv"), Schema: schema}}, KafkaOffset: 7},
		{Topic: "t"},
	}
}

func roundTrip(t *testing.T, in, out proto.Message) {
	t.Helper()
	data, err := Codec.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	// The wire format is plain protobuf: the reflection-based library reads it the same.
	want := proto.Clone(out)
	if err := proto.Unmarshal(data.Materialize(), want); err != nil {
		t.Fatal(err)
	}
	if err := Codec.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	data.Free()
	if !proto.Equal(out, in) || !proto.Equal(want, in) {
		t.Fatalf("round trip changed the message:\n in  %v\n out %v\n std %v", in, out, want)
	}
}

func TestBatchesRoundTrip(t *testing.T) {
	var poll pluginv1.PollResponse
	roundTrip(t, &pluginv1.PollResponse{Records: sampleRecords()}, &poll)
	var put pluginv1.PutRequest
	roundTrip(t, &pluginv1.PutRequest{Handle: "h", Records: sampleRecords()}, &put)
	var open pluginv1.OpenSourceRequest
	roundTrip(t, &pluginv1.OpenSourceRequest{ConnectorClass: "c", Config: map[string]string{"a": "b"}}, &open)
}

// A receiver may append to a record's bytes (as to any []byte it was given) without
// overwriting the fields that follow them in the shared batch buffer.
func TestAppendingToReceivedBytesCopies(t *testing.T) {
	var got pluginv1.PollResponse
	data, err := Codec.Marshal(&pluginv1.PollResponse{Records: sampleRecords()})
	if err != nil {
		t.Fatal(err)
	}
	if err := Codec.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	r0, r1 := got.Records[0], got.Records[1]
	for _, b := range [][]byte{r0.Key.GetBytesValue(), r0.SourcePartition, r0.SourceOffset, r1.Key.GetBytesValue(),
		r1.KeySchema.DefaultValue.GetBytesValue(), r1.Headers[0].Value.GetBytesValue(),
		r1.Value.GetStructValue().Fields[0].Value.GetBytesValue(),
		r1.Value.GetStructValue().Fields[1].Value.GetListValue().Values[0].GetBytesValue(),
		r1.Value.GetStructValue().Fields[2].Value.GetMapValue().Entries[0].Value.GetBytesValue()} {
		if cap(b) != len(b) {
			t.Errorf("%q has capacity %d beyond its length", b, cap(b))
		}
		_ = append(b, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"...)
	}
	if !proto.Equal(&got, &pluginv1.PollResponse{Records: sampleRecords()}) {
		t.Fatalf("appending to received bytes changed the batch: %v", &got)
	}
}

// Messages without generated code (go-plugin's and gRPC's own services) use gRPC's codec.
func TestOtherMessagesFallBack(t *testing.T) {
	var got grpc_health_v1.HealthCheckResponse
	roundTrip(t, &grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING}, &got)
	if _, err := Codec.Marshal(struct{}{}); err == nil {
		t.Error("marshalling a non-message succeeded")
	}
}

func BenchmarkUnmarshalPoll(b *testing.B) {
	recs := make([]*pluginv1.Record, 1024)
	for i := range recs {
		recs[i] = &pluginv1.Record{Topic: "bench", Partition: -1,
			Value:           &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: string(make([]byte, 100))}},
			ValueSchema:     &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING},
			SourcePartition: []byte(`{"task":0}`), SourceOffset: []byte(`{"seq":123456}`)}
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

// Records of a batch with equal schemas share one decoded schema.
func TestEqualSchemasShared(t *testing.T) {
	s := func() *pluginv1.Schema { return &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Optional: true} }
	in := &pluginv1.PutRequest{Handle: "h", Records: []*pluginv1.Record{
		{Topic: "a", ValueSchema: s(), KeySchema: s()}, {Topic: "b", ValueSchema: s(), KeySchema: s()},
		{Topic: "c", ValueSchema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32}}, {Topic: "d", ValueSchema: s()},
	}}
	var got pluginv1.PutRequest
	roundTrip(t, in, &got)
	r := got.Records
	if r[0].ValueSchema != r[1].ValueSchema || r[0].KeySchema != r[1].KeySchema {
		t.Error("equal schemas of consecutive records were decoded twice")
	}
	if r[0].ValueSchema == r[0].KeySchema || r[2].ValueSchema == r[1].ValueSchema || r[3].ValueSchema == r[2].ValueSchema {
		t.Error("different schemas share a pointer")
	}
}

// A schema field repeated within one record is merged, as protobuf merges it, into that
// record's schema only, even when its first occurrence equals the previous record's and
// was shared with it.
func TestRepeatedSchemaFieldDoesNotChangeSharedSchema(t *testing.T) {
	var got, want pluginv1.PollResponse
	checkDecode(t, repeatedSchemaBatch(), &got, &want)
	if got.Records[0].ValueSchema.Optional {
		t.Fatal("the second record's schema merge changed the first record's schema")
	}
}

// repeatedSchemaBatch is a PollResponse of two records with the same value schema, the
// second with a second value_schema field (optional: true) to merge into it.
func repeatedSchemaBatch() []byte {
	s, _ := proto.Marshal(&pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING})
	opt, _ := proto.Marshal(&pluginv1.Schema{Optional: true})
	rec := func(schemas ...[]byte) []byte {
		var r []byte
		for _, x := range schemas {
			r = protowire.AppendTag(r, RecValSchema, protowire.BytesType)
			r = protowire.AppendBytes(r, x)
		}
		return r
	}
	var b []byte
	for _, r := range [][]byte{rec(s), rec(s, opt)} {
		b = protowire.AppendTag(b, PollRecords, protowire.BytesType)
		b = protowire.AppendBytes(b, r)
	}
	return b
}

// tableBatch is sampleRecords as a PollResponse whose records name their schemas in the
// batch's table (as the Go SDK sends them) instead of carrying them inline.
func tableBatch() *pluginv1.PollResponse {
	recs := sampleRecords()
	str := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Name: "s"}
	recs[0].KeySchemaRef, recs[0].ValueSchemaRef = 2, 1
	recs[1].ValueSchemaRef = 1 // recs[1] keeps its inline key schema
	return &pluginv1.PollResponse{Records: recs, Schemas: []*pluginv1.Schema{str, recs[1].KeySchema}}
}

// A batch's schema table is resolved: receivers get each record's schemas as if they had
// been inline, key and value schemas never share a pointer, and a record naming a schema
// the table lacks, or naming one while carrying one inline, fails the batch.
func TestSchemaTableResolved(t *testing.T) {
	in := tableBatch()
	data, err := Codec.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var got pluginv1.PollResponse
	if err := Codec.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(in).(*pluginv1.PollResponse)
	resolveSchemaRefs(want)
	if !proto.Equal(&got, want) {
		t.Fatalf("decoded %v\nwant %v", &got, want)
	}
	r := got.Records
	if r[0].ValueSchema != r[1].ValueSchema {
		t.Error("records naming one table schema got two decoded schemas")
	}
	if r[0].KeySchema == r[1].ValueSchema || r[0].KeySchema == r[0].ValueSchema {
		t.Error("a key and a value schema share a pointer")
	}
	for name, bad := range map[string]func(*pluginv1.PollResponse){
		"a reference past the table":   func(p *pluginv1.PollResponse) { p.Records[2].ValueSchemaRef = 3 },
		"both inline and by reference": func(p *pluginv1.PollResponse) { p.Records[1].KeySchemaRef = 1 },
	} {
		p := tableBatch()
		bad(p)
		b, err := proto.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got pluginv1.PollResponse
		if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &got); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
}

// A LazyPoll leaves keys and values encoded; decoded, they are the eager decoder's.
func TestLazyPollDecodesTheSameRecords(t *testing.T) {
	for name, b := range map[string][]byte{"table": must(proto.Marshal(tableBatch())),
		"inline": must(proto.Marshal(&pluginv1.PollResponse{Records: sampleRecords()})),
		"merged": repeatedValueBatch()} {
		t.Run(name, func(t *testing.T) { checkLazy(t, b) })
	}
	var lazy LazyPoll
	if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(must(proto.Marshal(tableBatch())))}, &lazy); err != nil {
		t.Fatal(err)
	}
	if lazy.Records[0].Value != nil || lazy.Values[0] == nil || lazy.Records[2].Value != nil || lazy.Values[2] != nil {
		t.Fatalf("values were decoded, or an absent one got an encoding: %v %q", lazy.Records, lazy.Values)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// repeatedValueBatch is a PollResponse of one record whose value field repeats: protobuf
// merges the two structs' fields.
func repeatedValueBatch() []byte {
	v1 := must(proto.Marshal(&pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{{Name: "a"}}}}}))
	v2 := must(proto.Marshal(&pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{{Name: "b"}}}}}))
	var r []byte
	for _, v := range [][]byte{v1, v2} {
		r = protowire.AppendTag(r, RecValue, protowire.BytesType)
		r = protowire.AppendBytes(r, v)
	}
	b := protowire.AppendTag(nil, PollRecords, protowire.BytesType)
	return protowire.AppendBytes(b, r)
}
