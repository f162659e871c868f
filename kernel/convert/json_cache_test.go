package convert

import (
	"bytes"
	"fmt"
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func scalarSchema(t pluginv1.Schema_Type, optional bool) *pluginv1.Schema {
	return &pluginv1.Schema{Type: t, Optional: optional}
}

func structSchema(name string, optional bool, fields ...*pluginv1.SchemaField) *pluginv1.Schema {
	return &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: name, Optional: optional, Fields: fields}
}

func field(name string, s *pluginv1.Schema) *pluginv1.SchemaField {
	return &pluginv1.SchemaField{Name: name, Schema: s}
}

// changeEvent is a Debezium PostgreSQL change event of table name: its envelope schema
// and an insert's value.
func changeEvent(name string, id int64) (*pluginv1.Schema, *pluginv1.Value) {
	str := func(s string) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
	}
	num := func(i int64) *pluginv1.Value { return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: i}} }
	st := func(fs ...*pluginv1.Field) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: fs}}}
	}
	row := structSchema(name+".Value", true,
		field("id", scalarSchema(pluginv1.Schema_TYPE_INT64, false)),
		field("name", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("qty", scalarSchema(pluginv1.Schema_TYPE_INT32, true)),
		field("price", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Optional: true, Name: DecimalName, Version: 1,
			Parameters: map[string]string{"scale": "2", "connect.decimal.precision": "10"}}),
		field("updated", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Optional: true, Name: "io.debezium.time.ZonedTimestamp", Version: 1}))
	source := structSchema("io.debezium.connector.postgresql.Source", false,
		field("version", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("connector", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("name", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("ts_ms", scalarSchema(pluginv1.Schema_TYPE_INT64, false)),
		field("snapshot", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Optional: true, Name: "io.debezium.data.Enum", Version: 1,
			Parameters:   map[string]string{"allowed": "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},
			DefaultValue: str("false")}),
		field("db", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("sequence", scalarSchema(pluginv1.Schema_TYPE_STRING, true)),
		field("schema", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("table", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("txId", scalarSchema(pluginv1.Schema_TYPE_INT64, true)),
		field("lsn", scalarSchema(pluginv1.Schema_TYPE_INT64, true)),
		field("xmin", scalarSchema(pluginv1.Schema_TYPE_INT64, true)))
	block := structSchema("event.block", true,
		field("id", scalarSchema(pluginv1.Schema_TYPE_STRING, false)),
		field("total_order", scalarSchema(pluginv1.Schema_TYPE_INT64, false)),
		field("data_collection_order", scalarSchema(pluginv1.Schema_TYPE_INT64, false)))
	block.Version = 1
	env := structSchema(name+".Envelope", false, field("before", row), field("after", row), field("source", source),
		field("op", scalarSchema(pluginv1.Schema_TYPE_STRING, false)), field("ts_ms", scalarSchema(pluginv1.Schema_TYPE_INT64, true)),
		field("transaction", block))
	env.Version = 1
	after := st(&pluginv1.Field{Name: "id", Value: num(id)}, &pluginv1.Field{Name: "name", Value: str("name-1")},
		&pluginv1.Field{Name: "qty", Value: num(id % 100)},
		&pluginv1.Field{Name: "price", Value: &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: []byte{0x27, 0x10}}}},
		&pluginv1.Field{Name: "updated", Value: str("2026-12-04T19:53:51.123456Z")})
	src := st(&pluginv1.Field{Name: "version", Value: str("2.5.4.Final")}, &pluginv1.Field{Name: "connector", Value: str("postgresql")},
		&pluginv1.Field{Name: "name", Value: str("p")}, &pluginv1.Field{Name: "ts_ms", Value: num(1796414031123)},
		&pluginv1.Field{Name: "snapshot", Value: str("false")}, &pluginv1.Field{Name: "db", Value: str("postgres")},
		&pluginv1.Field{Name: "sequence", Value: str(`[null,"24023928"]`)}, &pluginv1.Field{Name: "schema", Value: str("public")},
		&pluginv1.Field{Name: "table", Value: str("t")}, &pluginv1.Field{Name: "txId", Value: num(745)},
		&pluginv1.Field{Name: "lsn", Value: num(24023928 + id)}, &pluginv1.Field{Name: "xmin"})
	return env, st(&pluginv1.Field{Name: "before"}, &pluginv1.Field{Name: "after", Value: after}, &pluginv1.Field{Name: "source", Value: src},
		&pluginv1.Field{Name: "op", Value: str("c")}, &pluginv1.Field{Name: "ts_ms", Value: num(1796414031999)},
		&pluginv1.Field{Name: "transaction"})
}

// uncached writes what FromConnect with schemas.enable writes, rendering the schema.
func uncached(t *testing.T, s *pluginv1.Schema, v *pluginv1.Value) []byte {
	t.Helper()
	var w jsonWriter
	b, err := w.appendSchema([]byte(`{"schema":`), s)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, `,"payload":`...)
	if b, err = w.appendValue(b, s, v); err != nil {
		t.Fatal(err)
	}
	return append(b, '}')
}

// Records of many schemas, more than the converter remembers, interleaved and repeated:
// every one is written as if its schema were rendered afresh.
func TestJSONWrittenSchemasCacheKeepsOutput(t *testing.T) {
	c, err := New(JSONConverterClass, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		s *pluginv1.Schema
		v *pluginv1.Value
	}
	var events []event
	for i := range 20 {
		s, v := changeEvent(fmt.Sprintf("p.public.t%d", i), int64(i))
		events = append(events, event{s, v})
	}
	for round := range 3 {
		for i := range events {
			e := events[(i*7+round)%len(events)]
			got, err := c.FromConnect("t", e.s, e.v)
			if err != nil {
				t.Fatal(err)
			}
			if want := uncached(t, e.s, e.v); !bytes.Equal(got, want) {
				t.Fatalf("round %d, event %d:\n got %s\nwant %s", round, i, got, want)
			}
		}
	}
	// An equal schema at another address is another entry, written the same.
	s2, v2 := changeEvent("p.public.t3", 3)
	got, err := c.FromConnect("t", s2, v2)
	if err != nil {
		t.Fatal(err)
	}
	if want := uncached(t, s2, v2); !bytes.Equal(got, want) {
		t.Fatalf("a copy of a cached schema:\n got %s\nwant %s", got, want)
	}
}

// BenchmarkJSONFromConnectChangeEvent writes a change event's value as JsonConverter
// does with schemas.enable=true (as Debezium users run it) and false, 1024 records of
// one schema per op.
func BenchmarkJSONFromConnectChangeEvent(b *testing.B) {
	for _, schemas := range []string{"true", "false"} {
		b.Run("schemas.enable="+schemas, func(b *testing.B) {
			c, err := New(JSONConverterClass, map[string]string{"schemas.enable": schemas}, false)
			if err != nil {
				b.Fatal(err)
			}
			s, v := changeEvent("p.public.bench_rows", 1000)
			b.ReportAllocs()
			bytes := 0
			for b.Loop() {
				for range 1024 {
					out, err := c.FromConnect("t", s, v)
					if err != nil {
						b.Fatal(err)
					}
					bytes += len(out)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/record")
			b.ReportMetric(float64(bytes)/float64(b.N*1024), "bytes/record")
		})
	}
}
