package sdk

import (
	"math/big"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// The schemas of a CDC source's change events, as Debezium's PostgreSQL connector
// builds them for a table (id bigint key, name text, qty int, price numeric(10,2),
// updated timestamptz).
var (
	benchKeySchema = data.StructOf("p.public.bench_rows.Key", data.NewField("id", data.Int64Schema))
	benchRowSchema = data.Optional(data.StructOf("p.public.bench_rows.Value",
		data.NewField("id", data.Int64Schema),
		data.NewField("name", data.StringSchema),
		data.NewField("qty", data.OptionalInt32Schema),
		data.NewField("price", data.Optional(data.DecimalSchema(2).WithParameter("connect.decimal.precision", "10"))),
		data.NewField("updated", data.OptionalStringSchema.WithName("io.debezium.time.ZonedTimestamp").WithVersion(1))))
	benchSourceSchema = data.StructOf("io.debezium.connector.postgresql.Source",
		data.NewField("version", data.StringSchema),
		data.NewField("connector", data.StringSchema),
		data.NewField("name", data.StringSchema),
		data.NewField("ts_ms", data.Int64Schema),
		data.NewField("snapshot", data.OptionalStringSchema.WithName("io.debezium.data.Enum").WithVersion(1).
			WithParameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental").
			WithDefault("false")),
		data.NewField("db", data.StringSchema),
		data.NewField("sequence", data.OptionalStringSchema),
		data.NewField("schema", data.StringSchema),
		data.NewField("table", data.StringSchema),
		data.NewField("txId", data.OptionalInt64Schema),
		data.NewField("lsn", data.OptionalInt64Schema),
		data.NewField("xmin", data.OptionalInt64Schema))
	benchEnvelopeSchema = data.StructOf("p.public.bench_rows.Envelope",
		data.NewField("before", benchRowSchema),
		data.NewField("after", benchRowSchema),
		data.NewField("source", benchSourceSchema),
		data.NewField("op", data.StringSchema),
		data.NewField("ts_ms", data.OptionalInt64Schema),
		data.NewField("transaction", data.Optional(data.StructOf("event.block",
			data.NewField("id", data.StringSchema),
			data.NewField("total_order", data.Int64Schema),
			data.NewField("data_collection_order", data.Int64Schema)).WithVersion(1)))).WithVersion(1)
)

// changeEvents are n insert events of one table, one transaction per 1000.
func changeEvents(n int) []SourceRecord {
	part := Partition{"server": "p"}
	recs := make([]SourceRecord, n)
	for i := range recs {
		id := int64(1_000_000 + i)
		lsn := int64(24_000_000 + 64*i)
		after := data.NewStruct(benchRowSchema).PutAt(0, id).PutAt(1, "name-1000000").PutAt(2, int32(id%100)).
			PutAt(3, data.Decimal{Unscaled: big.NewInt(id), Scale: 2}).PutAt(4, "2026-12-04T19:53:51.123456Z")
		source := data.NewStruct(benchSourceSchema).PutAt(0, "2.5.4.Final").PutAt(1, "postgresql").PutAt(2, "p").
			PutAt(3, int64(1764878031123)).PutAt(4, "false").PutAt(5, "postgres").PutAt(6, `["24000000","24000064"]`).
			PutAt(7, "public").PutAt(8, "bench_rows").PutAt(9, int64(745+i/1000)).PutAt(10, lsn)
		recs[i] = SourceRecord{
			SourcePartition: part,
			SourceOffset: OffsetOf(map[string]any{"lsn": lsn, "lsn_proc": lsn, "lsn_commit": lsn + 4096, "txId": int64(745 + i/1000),
				"ts_usec": int64(1764878031123456), "messageType": "INSERT", "event": int64(i%1000 + 1), "flush": lsn - 64}),
			Topic: "p.public.bench_rows",
			Key:   data.NewStruct(benchKeySchema).PutAt(0, id), KeySchema: benchKeySchema,
			Value:       data.NewStruct(benchEnvelopeSchema).PutAt(1, after).PutAt(2, source).PutAt(3, "c").PutAt(4, int64(1764878031999)),
			ValueSchema: benchEnvelopeSchema,
		}
	}
	return recs
}

// BenchmarkEncodePollChangeEvents encodes batches of 1024 change events (the SDK's
// share of a CDC source's Poll).
func BenchmarkEncodePollChangeEvents(b *testing.B) {
	recs := changeEvents(1024)
	var e encoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.encodePoll(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkEncodePollSmallBatches encodes the same change events in batches of 4, as a
// source polled faster than its database writes sends them: per-batch costs count.
func BenchmarkEncodePollSmallBatches(b *testing.B) {
	recs := changeEvents(1024)
	var e encoder
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(recs); i += 4 {
			if _, err := e.encodePoll(recs[i : i+4]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkEncodePollStrings encodes batches of 1024 records of a 100-byte string value
// and an integer offset, the generic source benchmark's records (plugins/datagen).
func BenchmarkEncodePollStrings(b *testing.B) {
	part := Partition{"task": int64(0)}
	text := string(make([]byte, 100*1024))
	recs := make([]SourceRecord, 1024)
	for i := range recs {
		recs[i] = SourceRecord{SourcePartition: part, SourceOffset: IntOffset("seq", int64(i)), Topic: "bench",
			Value: text[i*100 : (i+1)*100], ValueSchema: data.StringSchema}
	}
	var e encoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.encodePoll(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
