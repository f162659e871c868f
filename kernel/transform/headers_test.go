package transform

import (
	"math/big"
	"testing"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func hdr(key string, s *pluginv1.Schema, v *pluginv1.Value) *pluginv1.Header {
	return &pluginv1.Header{Key: key, Schema: s, Value: v}
}

func withHdrs(r *pluginv1.Record, hs ...*pluginv1.Header) *pluginv1.Record {
	return with(r, func(r *pluginv1.Record) { r.Headers = append(r.Headers, hs...) })
}

func TestDropHeaders(t *testing.T) {
	in := withHdrs(vrec(nil, vs("x")), hdr("a", nil, vs("1")), hdr("b", nil, vs("2")), hdr("a", nil, vs("3")), hdr("c", nil, nil))
	runCases(t, []tcase{
		{name: "drops every header of the names", class: "DropHeaders", props: props("headers", "a, c"),
			in: in, want: withHdrs(vrec(nil, vs("x")), hdr("b", nil, vs("2")))},
		{name: "none to drop", class: "DropHeaders", props: props("headers", "z"), in: in, want: in},
	})
}

var big12345, _ = new(big.Int).SetString("12345678901234567890123", 10)

func TestInsertHeader(t *testing.T) {
	base := withHdrs(vrec(nil, vs("x")), hdr("h", nil, vs("old")))
	tests := []struct {
		literal string
		schema  *pluginv1.Schema
		value   *pluginv1.Value
	}{
		{"hello world", sch(sString), vs("hello world")},
		{"", sch(sString), vs("")},
		{"true", sch(sBoolean), vb(true)},
		{"false", sch(sBoolean), vb(false)},
		{"False", sch(sString), vs("False")}, // Values.parseString compares the literals with equals: case matters
		{"42", sch(sInt8), vi(42)},
		{"-129", sch(sInt16), vi(-129)},
		{"70000", sch(sInt32), vi(70000)},
		{"1e10", sch(sInt64), vi(1e10)},
		{"1.0", sch(sInt8), vi(1)},
		{"3.25", sch(sFloat32), vf(3.25)},
		{"0.1", sch(sFloat32), vf(float64(float32(0.1)))},
		{"1e39", sch(sFloat64), vf(1e39)},
		{"12345678901234567890123", &pluginv1.Schema{Type: sBytes, Name: convert.DecimalName, Version: 1, Parameters: map[string]string{"scale": "0"}},
			bytesValue(decimalBytes(big12345))},
		{"null", nil, nil},
		{"12abc", sch(sString), vs("12abc")},
	}
	for _, tt := range tests {
		runCases(t, []tcase{{name: tt.literal, class: "InsertHeader", props: props("header", "h", "value.literal", tt.literal),
			in: base, want: withHdrs(base, hdr("h", tt.schema, tt.value))}})
	}
}

func TestHeaderFrom(t *testing.T) {
	const v = "HeaderFrom$Value"
	moved := structSch("Person", personSchema.Fields[0], personSchema.Fields[3])
	runCases(t, []tcase{
		{name: "schemaless move", class: v, props: props("fields", "a,b", "headers", "ha,hb", "operation", "move"),
			in:   withHdrs(vrec(nil, vmap("a", vi(1), "b", vs("x"), "c", vb(true))), hdr("old", nil, vs("o"))),
			want: withHdrs(vrec(nil, vmap("c", vb(true))), hdr("old", nil, vs("o")), hdr("ha", nil, vi(1)), hdr("hb", nil, vs("x")))},
		{name: "schemaless copy", class: v, props: props("fields", "a,missing", "headers", "ha,hm", "operation", "copy"),
			in:   vrec(nil, vmap("a", vi(1))),
			want: withHdrs(vrec(nil, vmap("a", vi(1))), hdr("ha", nil, vi(1)), hdr("hm", nil, nil))},
		{name: "with schema move", class: v, props: props("fields", "name,email", "headers", "n,e", "operation", "move"),
			in: vrec(personSchema, person(nil)),
			want: withHdrs(vrec(moved, vstruct(fld("id", vi(1)), fld("address", person(nil).GetStructValue().Fields[3].Value))),
				hdr("n", sch(sString), vs("Ada")), hdr("e", personSchema.Fields[2].Schema, vs("none")))},
		{name: "with schema copy without defaults", class: v, props: props("fields", "email", "headers", "e", "operation", "copy", "replace.null.with.default", "false"),
			in:   vrec(personSchema, person(nil)),
			want: withHdrs(vrec(personSchema, person(nil)), hdr("e", personSchema.Fields[2].Schema, nil))},
		{name: "unknown field with schema", class: v, props: props("fields", "age", "headers", "a", "operation", "copy"),
			in: vrec(personSchema, person(nil)), wantErr: "Unknown field: age"},
		{name: "tombstone passes", class: v, props: props("fields", "a", "headers", "a", "operation", "move"),
			in: vrec(personSchema, nil), want: vrec(personSchema, nil)},
		{name: "schemaless non-map", class: v, props: props("fields", "a", "headers", "a", "operation", "move"),
			in: vrec(nil, vi(1)), wantErr: "Only Map objects supported in absence of schema for [header move], found: integer"},
		{name: "key", class: "HeaderFrom$Key", props: props("fields", "id", "headers", "id", "operation", "copy"),
			in: krec(nil, vmap("id", vi(5))), want: withHdrs(krec(nil, vmap("id", vi(5))), hdr("id", nil, vi(5)))},
	})
}

func TestRouters(t *testing.T) {
	topic := func(r *pluginv1.Record, name string) *pluginv1.Record {
		return with(r, func(r *pluginv1.Record) { r.Topic = name })
	}
	in := vrec(nil, vs("x")) // topic orders, timestamp 2023-11-14T22:13:20Z
	runCases(t, []tcase{
		{name: "regex prefix", class: "RegexRouter", props: props("regex", "(.*)", "replacement", "prefix-$1"),
			in: in, want: topic(in, "prefix-orders")},
		{name: "regex must match the whole topic", class: "RegexRouter", props: props("regex", "ord", "replacement", "x"),
			in: in, want: in},
		{name: "regex replaces the first match", class: "RegexRouter", props: props("regex", "o.*?", "replacement", "X"),
			in: in, want: topic(in, "Xrders")},
		{name: "regex named groups and escapes", class: "RegexRouter", props: props("regex", `(?<head>[a-z]+)s`, "replacement", `${head}\$$0`),
			in: in, want: topic(in, "order$orders")},
		{name: "regex multi-digit group falls back", class: "RegexRouter", props: props("regex", "(o)(r)", "replacement", "$10"),
			in: topic(in, "or"), want: topic(in, "o0")},
		{name: "regex drops a group prefix as Debezium users do", class: "RegexRouter",
			props: props("regex", `([^.]+)\.([^.]+)\.([^.]+)`, "replacement", "$3"),
			in:    topic(in, "dbserver1.inventory.customers"), want: topic(in, "customers")},
		{name: "timestamp router default", class: "TimestampRouter", props: nil,
			in: in, want: topic(in, "orders-20231114")},
		{name: "timestamp router format", class: "TimestampRouter",
			props: props("topic.format", "${timestamp}_${topic}", "timestamp.format", "yyyy-MM-dd'T'HH"),
			in:    in, want: topic(in, "2023-11-14T22_orders")},
		{name: "timestamp missing", class: "TimestampRouter", props: nil,
			in: with(in, func(r *pluginv1.Record) { r.TimestampMs = 0 }), wantErr: "Timestamp missing on record"},
	})
}

func TestPredicates(t *testing.T) {
	cfg := func(class string, kv ...string) map[string]string {
		m := props("transforms", "f", "transforms.f.type", "Filter", "transforms.f.predicate", "p",
			"predicates", "p", "predicates.p.type", class)
		for i := 0; i < len(kv); i += 2 {
			m["predicates.p."+kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		cfg     map[string]string
		in      *pluginv1.Record
		dropped bool
	}{
		{"has header", cfg("HasHeaderKey", "name", "trace"), withHdrs(vrec(nil, vs("x")), hdr("a", nil, nil), hdr("trace", nil, nil)), true},
		{"lacks header", cfg("HasHeaderKey", "name", "trace"), withHdrs(vrec(nil, vs("x")), hdr("tracer", nil, nil)), false},
		{"tombstone", cfg("RecordIsTombstone"), vrec(nil, nil), true},
		{"tombstone with a kindless value", cfg("RecordIsTombstone"), vrec(nil, vnull()), true},
		{"tombstone with a schema", cfg("RecordIsTombstone"), vrec(optSch(sString), nil), true},
		{"not a tombstone", cfg("RecordIsTombstone"), vrec(nil, vs("")), false},
		{"a key without a value", cfg("RecordIsTombstone"), krec(sch(sString), vs("k")), true},
		{"topic matches", cfg("TopicNameMatches", "pattern", "ord.*"), vrec(nil, vs("x")), true},
		{"topic matches only in full", cfg("TopicNameMatches", "pattern", "ord"), vrec(nil, vs("x")), false},
		{"topic alternatives", cfg("TopicNameMatches", "pattern", "users|orders"), vrec(nil, vs("x")), true},
	}
	for _, tt := range tests {
		c, err := NewChain(tt.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := c.Apply(tt.in)
		if err != nil || (got == nil) != tt.dropped {
			t.Errorf("%s: Apply = %v, %v; dropped want %v", tt.name, show(got), err, tt.dropped)
		}
	}
}
