package transform

import (
	"testing"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// person is a schema'd value used across these tests.
var (
	addressSchema = structSch("Address", sfield("city", sch(sString)), sfield("zip", optSch(sString)))
	personSchema  = structSch("Person",
		sfield("id", sch(sInt64)),
		sfield("name", sch(sString)),
		sfield("email", &pluginv1.Schema{Type: sString, Optional: true, DefaultValue: vs("none")}),
		sfield("address", addressSchema),
	)
)

func person(email *pluginv1.Value) *pluginv1.Value {
	return vstruct(fld("id", vi(1)), fld("name", vs("Ada")), fld("email", email),
		fld("address", vstruct(fld("city", vs("London")), fld("zip", nil))))
}

func TestExtractField(t *testing.T) {
	const v = "ExtractField$Value"
	runCases(t, []tcase{
		{name: "schemaless", class: v, props: props("field", "id"),
			in: vrec(nil, vmap("id", vi(7), "x", vs("y"))), want: vrec(nil, vi(7))},
		{name: "schemaless missing field is null", class: v, props: props("field", "nope"),
			in: vrec(nil, vmap("id", vi(7))), want: vrec(nil, nil)},
		{name: "schemaless struct", class: v, props: props("field", "b"),
			in: vrec(nil, vstruct(fld("a", vi(1)), fld("b", vs("two")))), want: vrec(nil, vs("two"))},
		{name: "schemaless null passes", class: v, props: props("field", "id"),
			in: vrec(nil, nil), want: vrec(nil, nil)},
		{name: "schemaless non-map", class: v, props: props("field", "id"),
			in: vrec(nil, vi(3)), wantErr: "Only Map objects supported in absence of schema for [field extraction], found: integer"},
		{name: "with schema", class: v, props: props("field", "address"),
			in: vrec(personSchema, person(vs("a@b"))), want: vrec(addressSchema, vstruct(fld("city", vs("London")), fld("zip", nil)))},
		{name: "with schema, null value keeps the field schema", class: v, props: props("field", "name"),
			in: vrec(personSchema, nil), want: vrec(sch(sString), nil)},
		{name: "null field reads its default", class: v, props: props("field", "email"),
			in: vrec(personSchema, person(nil)), want: vrec(personSchema.Fields[2].Schema, vs("none"))},
		{name: "null field without replace.null.with.default", class: v, props: props("field", "email", "replace.null.with.default", "false"),
			in: vrec(personSchema, person(nil)), want: vrec(personSchema.Fields[2].Schema, nil)},
		{name: "unknown field with schema", class: v, props: props("field", "age"),
			in: vrec(personSchema, person(nil)), wantErr: "Unknown field: age"},
		{name: "non-struct with schema", class: v, props: props("field", "a"),
			in: vrec(sch(sString), vs("x")), wantErr: "Unknown field: a"},
		{name: "key side", class: "ExtractField$Key", props: props("field", "id"),
			in: krec(structSch("K", sfield("id", sch(sInt32))), vstruct(fld("id", vi(9)))), want: krec(sch(sInt32), vi(9))},

		// KIP-821 nested paths.
		{name: "V2 nested with schema", class: v, props: props("field", "address.city", "field.syntax.version", "V2"),
			in: vrec(personSchema, person(nil)), want: vrec(sch(sString), vs("London"))},
		{name: "V1 takes dots literally", class: v, props: props("field", "address.city"),
			in: vrec(personSchema, person(nil)), wantErr: "Unknown field: address.city"},
		{name: "V2 nested schemaless", class: v, props: props("field", "a.b", "field.syntax.version", "V2"),
			in: vrec(nil, vmap("a", vmap("b", vi(2)))), want: vrec(nil, vi(2))},
		{name: "V2 backticks around a dotted name", class: v, props: props("field", "`a.b`.c", "field.syntax.version", "V2"),
			in: vrec(nil, vmap("a.b", vmap("c", vs("deep")), "a", vmap("b", vs("wrong")))), want: vrec(nil, vs("deep"))},
		{name: "V2 missing parent", class: v, props: props("field", "a.b", "field.syntax.version", "V2"),
			in: vrec(nil, vmap("x", vi(1))), want: vrec(nil, nil)},
		{name: "V2 parent not a map", class: v, props: props("field", "a.b", "field.syntax.version", "V2"),
			in: vrec(nil, vmap("a", vi(1))), wantErr: "Only Map objects supported in absence of schema for [nested field access], found: integer"},
		{name: "V2 unknown nested field", class: v, props: props("field", "address.country", "field.syntax.version", "V2"),
			in: vrec(personSchema, person(nil)), wantErr: "Unknown field: address.country"},
	})
}

func TestSplitFieldPath(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"a", []string{"a"}},
		{"a.b.c", []string{"a", "b", "c"}},
		{"`a.b`.c", []string{"a.b", "c"}},
		{"a.`b.c`", []string{"a", "b.c"}},
		{"`a`b`.c", []string{"a`b", "c"}},
		{"`a\\`.b`.c", []string{"a`.b", "c"}},
		{"a.", []string{"a", ""}},
		{"", []string{""}},
	}
	for _, tt := range tests {
		got, err := splitFieldPath(tt.path)
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("splitFieldPath(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("splitFieldPath(%q) = %q, want %q", tt.path, got, tt.want)
				break
			}
		}
	}
	for _, bad := range []string{"`a", "`a.b", "a.`b\\`"} {
		if _, err := splitFieldPath(bad); err == nil {
			t.Errorf("splitFieldPath(%q) succeeded, want an incomplete backtick error", bad)
		}
	}
}

func TestHoistField(t *testing.T) {
	const v = "HoistField$Value"
	hoisted := &pluginv1.Schema{Type: sStruct, Fields: []*pluginv1.SchemaField{sfield("line", sch(sString))}}
	runCases(t, []tcase{
		{name: "schemaless", class: v, props: props("field", "line"),
			in: vrec(nil, vs("hello")), want: vrec(nil, vmap("line", vs("hello")))},
		{name: "schemaless null", class: v, props: props("field", "line"),
			in: vrec(nil, nil), want: vrec(nil, vmap("line", nil))},
		{name: "with schema", class: v, props: props("field", "line"),
			in: vrec(sch(sString), vs("hello")), want: vrec(hoisted, vstruct(fld("line", vs("hello"))))},
		{name: "with schema, null for a required schema", class: v, props: props("field", "line"),
			in: vrec(sch(sString), nil), wantErr: `Invalid value: null used for required field: "line", schema type: STRING`},
		{name: "key", class: "HoistField$Key", props: props("field", "id"),
			in: krec(sch(sInt64), vi(4)),
			want: krec(&pluginv1.Schema{Type: sStruct, Fields: []*pluginv1.SchemaField{sfield("id", sch(sInt64))}},
				vstruct(fld("id", vi(4))))},
	})
}

func TestInsertField(t *testing.T) {
	const v = "InsertField$Value"
	all := props("topic.field", "t", "partition.field", "p!", "offset.field", "o?", "timestamp.field", "ts", "static.field", "s", "static.value", "v")
	withAll := structSch("Person", append(append([]*pluginv1.SchemaField{}, personSchema.Fields...),
		sfield("t", optSch(sString)),
		sfield("p", sch(sInt32)),
		sfield("o", optSch(sInt64)),
		sfield("ts", &pluginv1.Schema{Type: sInt64, Name: convert.TimestampName, Version: 1, Optional: true}),
		sfield("s", optSch(sString)),
	)...)
	source := func(r *pluginv1.Record) *pluginv1.Record {
		return with(r, func(r *pluginv1.Record) { r.SourcePartition, r.SourceOffset = []byte(`{"f":"a"}`), []byte(`{"pos":1}`) })
	}
	runCases(t, []tcase{
		{name: "schemaless", class: v, props: all,
			in:   vrec(nil, vmap("a", vi(1))),
			want: vrec(nil, vmap("a", vi(1), "t", vs("orders"), "p", vi(3), "o", vi(42), "ts", vi(1700000000000), "s", vs("v")))},
		{name: "schemaless overwrites a field", class: v, props: props("static.field", "a", "static.value", "new"),
			in: vrec(nil, vmap("a", vs("old"), "b", vi(2))), want: vrec(nil, vmap("a", vs("new"), "b", vi(2)))},
		{name: "schemaless skips a missing timestamp and partition", class: v, props: props("timestamp.field", "ts", "partition.field", "p"),
			in:   with(vrec(nil, vmap("a", vi(1))), func(r *pluginv1.Record) { r.TimestampMs, r.Partition = 0, -1 }),
			want: with(vrec(nil, vmap("a", vi(1))), func(r *pluginv1.Record) { r.TimestampMs, r.Partition = 0, -1 })},
		{name: "with schema", class: v, props: all,
			in: vrec(personSchema, person(nil)),
			want: vrec(withAll, vstruct(append(person(nil).GetStructValue().Fields,
				fld("t", vs("orders")), fld("p", vi(3)), fld("o", vi(42)), fld("ts", vi(1700000000000)), fld("s", vs("v")))...))},
		{name: "required field without a value", class: v, props: props("partition.field", "p!"),
			in: with(vrec(personSchema, person(nil)), func(r *pluginv1.Record) { r.Partition = -1 }), wantErr: `null used for required field: "p"`},
		{name: "duplicate field with schema", class: v, props: props("topic.field", "name"),
			in: vrec(personSchema, person(nil)), wantErr: "Cannot create field because of field name duplication name"},
		{name: "offset on a source record", class: v, props: props("offset.field", "o"),
			in: source(vrec(nil, vmap())), wantErr: "Only SinkRecord supported for [field insertion]"},
		{name: "tombstone passes", class: v, props: all,
			in: vrec(personSchema, nil), want: vrec(personSchema, nil)},
		{name: "schemaless non-map", class: v, props: props("topic.field", "t"),
			in: vrec(nil, vs("x")), wantErr: "Only Map objects supported in absence of schema for [field insertion], found: string"},
		{name: "schema'd non-struct", class: v, props: props("topic.field", "t"),
			in: vrec(sch(sString), vs("x")), wantErr: "Only Struct objects supported for [field insertion], found: string"},
		{name: "key side", class: "InsertField$Key", props: props("topic.field", "t"),
			in: krec(nil, vmap("id", vi(1))), want: krec(nil, vmap("id", vi(1), "t", vs("orders")))},
	})
}

func TestMaskField(t *testing.T) {
	const v = "MaskField$Value"
	all := structSch("All",
		sfield("magic", sch(sInt32)),
		sfield("bool", sch(sBoolean)),
		sfield("byte", sch(sInt8)),
		sfield("int", sch(sInt32)),
		sfield("long", sch(sInt64)),
		sfield("float", sch(sFloat32)),
		sfield("double", sch(sFloat64)),
		sfield("string", sch(sString)),
		sfield("date", dateSch()),
		sfield("timestamp", tsSch()),
		sfield("decimal", decSch("0")),
		sfield("array", &pluginv1.Schema{Type: sArray, ValueSchema: sch(sInt32)}),
		sfield("map", &pluginv1.Schema{Type: sMap, KeySchema: sch(sString), ValueSchema: sch(sString)}),
		sfield("withDefault", &pluginv1.Schema{Type: sString, Optional: true, DefaultValue: vs("default")}),
	)
	allValue := vstruct(fld("magic", vi(42)), fld("bool", vb(true)), fld("byte", vi(42)), fld("int", vi(42)),
		fld("long", vi(42)), fld("float", vf(42)), fld("double", vf(42)), fld("string", vs("hmm")),
		fld("date", vi(19000)), fld("timestamp", vi(1700000000000)), fld("decimal", vbytes(42)),
		fld("array", vlist(vi(1), vi(2))), fld("map", vmap("what", vs("what"))), fld("withDefault", nil))
	allFields := "bool,byte,int,long,float,double,string,date,timestamp,decimal,array,map,withDefault"
	runCases(t, []tcase{
		{name: "schemaless", class: v, props: props("fields", "b,i,d,s,l,m,o,missing"),
			in: vrec(nil, vmap("magic", vi(42), "b", vb(true), "i", vi(7), "d", vf(1.5), "s", vs("secret"),
				"l", vlist(vi(1)), "m", vmap("k", vs("v")), "o", vstruct(fld("x", vi(1))))),
			want: vrec(nil, vmap("magic", vi(42), "b", vb(false), "i", vi(0), "d", vf(0), "s", vs(""),
				"l", vlist(), "m", vmap(), "o", vstruct(), "missing", nil))},
		{name: "with schema", class: v, props: props("fields", allFields),
			in: vrec(all, allValue),
			want: vrec(all, vstruct(fld("magic", vi(42)), fld("bool", vb(false)), fld("byte", vi(0)), fld("int", vi(0)),
				fld("long", vi(0)), fld("float", vf(0)), fld("double", vf(0)), fld("string", vs("")),
				fld("date", vi(0)), fld("timestamp", vi(0)), fld("decimal", vbytes(0)),
				fld("array", vlist()), fld("map", vmap()), fld("withDefault", vs(""))))},
		{name: "with schema, nulls stay null", class: v, props: props("fields", "withDefault", "replace.null.with.default", "false"),
			in: vrec(all, allValue), want: vrec(all, allValue)},
		{name: "replacement", class: v, props: props("fields", "byte,int,long,float,double,string,decimal", "replacement", "123"),
			in: vrec(all, allValue),
			want: vrec(all, vstruct(fld("magic", vi(42)), fld("bool", vb(true)), fld("byte", vi(123)), fld("int", vi(123)),
				fld("long", vi(123)), fld("float", vf(123)), fld("double", vf(123)), fld("string", vs("123")),
				fld("date", vi(19000)), fld("timestamp", vi(1700000000000)), fld("decimal", vbytes(123)),
				fld("array", vlist(vi(1), vi(2))), fld("map", vmap("what", vs("what"))), fld("withDefault", nil)))},
		{name: "schemaless replacement", class: v, props: props("fields", "i,d,s", "replacement", "123"),
			in: vrec(nil, vmap("i", vi(1), "d", vf(2), "s", vs("x"))), want: vrec(nil, vmap("i", vi(123), "d", vf(123), "s", vs("123")))},
		{name: "replacement too big for the field", class: v, props: props("fields", "byte", "replacement", "300"),
			in: vrec(all, allValue), wantErr: `field "byte": Unable to convert 300 (string) to number for a INT8 field`},
		{name: "replacement not a number", class: v, props: props("fields", "i", "replacement", "foo"),
			in: vrec(nil, vmap("i", vi(1))), wantErr: "Unable to convert foo (string) to number"},
		{name: "replacement for a date", class: v, props: props("fields", "timestamp", "replacement", "1"),
			in: vrec(all, allValue), wantErr: "Cannot mask value of type org.apache.kafka.connect.data.Timestamp with custom replacement."},
		{name: "replacement for a boolean", class: v, props: props("fields", "b", "replacement", "1"),
			in: vrec(nil, vmap("b", vb(true))), wantErr: "Cannot mask value of type boolean with custom replacement."},
		{name: "replacement for a list", class: v, props: props("fields", "array", "replacement", "1"),
			in: vrec(all, allValue), wantErr: "Cannot mask value of type ARRAY with custom replacement."},
		{name: "bytes cannot be masked", class: v, props: props("fields", "b"),
			in: vrec(nil, vmap("b", vbytes(1))), wantErr: "Cannot mask value of type: bytes"},
		{name: "tombstone passes", class: v, props: props("fields", "a"),
			in: vrec(all, nil), want: vrec(all, nil)},
		{name: "key side", class: "MaskField$Key", props: props("fields", "ssn"),
			in: krec(nil, vmap("ssn", vs("123-45"))), want: krec(nil, vmap("ssn", vs("")))},
	})
}

func TestReplaceField(t *testing.T) {
	const v = "ReplaceField$Value"
	in := vrec(nil, vmap("dont", vi(1), "abc", vi(2), "foo", vi(3), "etc", vs("x")))
	s := structSch("R", sfield("dont", sch(sInt32)), sfield("abc", sch(sInt32)), sfield("foo", sch(sInt32)), sfield("etc", sch(sString)))
	sv := vstruct(fld("dont", vi(1)), fld("abc", vi(2)), fld("foo", vi(3)), fld("etc", vs("x")))
	runCases(t, []tcase{
		{name: "schemaless", class: v, props: props("exclude", "dont", "renames", "abc:xyz,foo:bar"),
			in: in, want: vrec(nil, vmap("xyz", vi(2), "bar", vi(3), "etc", vs("x")))},
		{name: "schemaless include", class: v, props: props("include", "abc,foo", "renames", "abc:xyz"),
			in: in, want: vrec(nil, vmap("xyz", vi(2), "foo", vi(3)))},
		{name: "exclude wins over include", class: v, props: props("include", "abc,foo", "exclude", "foo"),
			in: in, want: vrec(nil, vmap("abc", vi(2)))},
		{name: "deprecated blacklist and whitelist", class: v, props: props("blacklist", "dont", "whitelist", "dont,abc"),
			in: in, want: vrec(nil, vmap("abc", vi(2)))},
		{name: "new names win over deprecated ones", class: v, props: props("exclude", "abc", "blacklist", "dont"),
			in: in, want: vrec(nil, vmap("dont", vi(1), "foo", vi(3), "etc", vs("x")))},
		{name: "with schema", class: v, props: props("exclude", "dont", "renames", "abc:xyz,foo:bar"),
			in: vrec(s, sv),
			want: vrec(structSch("R", sfield("xyz", sch(sInt32)), sfield("bar", sch(sInt32)), sfield("etc", sch(sString))),
				vstruct(fld("xyz", vi(2)), fld("bar", vi(3)), fld("etc", vs("x"))))},
		{name: "rename onto an existing field with schema", class: v, props: props("renames", "abc:foo"),
			in: vrec(s, sv), wantErr: "Cannot create field because of field name duplication foo"},
		{name: "tombstone passes", class: v, props: props("exclude", "a"),
			in: vrec(s, nil), want: vrec(s, nil)},
		{name: "key", class: "ReplaceField$Key", props: props("renames", "id:key_id"),
			in: krec(nil, vstruct(fld("id", vi(1)))), want: krec(nil, vstruct(fld("key_id", vi(1))))},
	})
}

func TestValueToKey(t *testing.T) {
	const c = "org.apache.kafka.connect.transforms.ValueToKey"
	keySchema := &pluginv1.Schema{Type: sStruct, Fields: []*pluginv1.SchemaField{personSchema.Fields[1], personSchema.Fields[0]}}
	runCases(t, []tcase{
		{name: "schemaless", class: c, props: props("fields", "b,a,missing"),
			in:   vrec(nil, vmap("a", vi(1), "b", vs("x"), "c", vb(true))),
			want: with(vrec(nil, vmap("a", vi(1), "b", vs("x"), "c", vb(true))), func(r *pluginv1.Record) { r.Key = vmap("b", vs("x"), "a", vi(1), "missing", nil) })},
		{name: "with schema", class: c, props: props("fields", "name,id"),
			in: vrec(personSchema, person(nil)),
			want: with(vrec(personSchema, person(nil)), func(r *pluginv1.Record) {
				r.KeySchema, r.Key = keySchema, vstruct(fld("name", vs("Ada")), fld("id", vi(1)))
			})},
		{name: "default of a null field", class: c, props: props("fields", "email"),
			in: vrec(personSchema, person(nil)),
			want: with(vrec(personSchema, person(nil)), func(r *pluginv1.Record) {
				r.KeySchema = &pluginv1.Schema{Type: sStruct, Fields: []*pluginv1.SchemaField{personSchema.Fields[2]}}
				r.Key = vstruct(fld("email", vs("none")))
			})},
		{name: "missing field with schema", class: c, props: props("fields", "age"),
			in: vrec(personSchema, person(nil)), wantErr: "Field does not exist: age"},
		{name: "tombstone keeps its key", class: c, props: props("fields", "id"),
			in:   with(vrec(personSchema, nil), func(r *pluginv1.Record) { r.Key = vs("k") }),
			want: with(vrec(personSchema, nil), func(r *pluginv1.Record) { r.Key = vs("k") })},
		{name: "schemaless non-map", class: c, props: props("fields", "a"),
			in: vrec(nil, vlist()), wantErr: "Only Map objects supported in absence of schema for [copying fields from value to key], found: list"},
	})
}

func TestFlatten(t *testing.T) {
	const v = "Flatten$Value"
	nested := structSch("Outer",
		sfield("id", sch(sInt32)),
		sfield("inner", &pluginv1.Schema{Type: sStruct, Name: "Inner", Optional: true, Fields: []*pluginv1.SchemaField{
			sfield("a", sch(sString)),
			sfield("deep", structSch("Deep", sfield("b", &pluginv1.Schema{Type: sInt64, Name: "n", Doc: "d"}))),
		}}),
		sfield("tags", &pluginv1.Schema{Type: sArray, ValueSchema: sch(sString)}),
	)
	flat := structSch("Outer",
		sfield("id", sch(sInt32)),
		sfield("inner_a", optSch(sString)),
		sfield("inner_deep_b", &pluginv1.Schema{Type: sInt64, Name: "n", Doc: "d", Optional: true}),
		sfield("tags", &pluginv1.Schema{Type: sArray, ValueSchema: sch(sString)}),
	)
	defaults := structSch("D", sfield("p", &pluginv1.Schema{Type: sStruct, Fields: []*pluginv1.SchemaField{sfield("q", sch(sInt32))},
		DefaultValue: vstruct(fld("q", vi(5)))}))
	runCases(t, []tcase{
		{name: "schemaless", class: v, props: nil,
			in:   vrec(nil, vmap("a", vi(1), "b", vmap("c", vs("x"), "d", vmap("e", vb(true))), "n", nil, "l", vlist(vi(1)), "z", vi(2))),
			want: vrec(nil, vmap("a", vi(1), "b.c", vs("x"), "b.d.e", vb(true), "n", nil, "l", vlist(vi(1)), "z", vi(2)))},
		{name: "schemaless delimiter", class: v, props: props("delimiter", "#"),
			in: vrec(nil, vstruct(fld("a", vstruct(fld("b", vi(1)))))), want: vrec(nil, vstruct(fld("a#b", vi(1))))},
		{name: "with schema", class: v, props: props("delimiter", "_"),
			in:   vrec(nested, vstruct(fld("id", vi(1)), fld("inner", vstruct(fld("a", vs("x")), fld("deep", vstruct(fld("b", vi(9)))))), fld("tags", vlist(vs("t"))))),
			want: vrec(flat, vstruct(fld("id", vi(1)), fld("inner_a", vs("x")), fld("inner_deep_b", vi(9)), fld("tags", vlist(vs("t")))))},
		{name: "with schema, null optional struct", class: v, props: props("delimiter", "_"),
			in:   vrec(nested, vstruct(fld("id", vi(1)), fld("inner", nil), fld("tags", vlist()))),
			want: vrec(flat, vstruct(fld("id", vi(1)), fld("inner_a", nil), fld("inner_deep_b", nil), fld("tags", vlist())))},
		{name: "defaults from the parent", class: v, props: nil,
			in: vrec(defaults, vstruct(fld("p", vstruct(fld("q", vi(1)))))),
			want: vrec(structSch("D", sfield("p.q", &pluginv1.Schema{Type: sInt32, DefaultValue: vi(5)})),
				vstruct(fld("p.q", vi(1))))},
		{name: "tombstone passes", class: v, props: nil,
			in: vrec(nested, nil), want: vrec(nested, nil)},
		{name: "name clash with schema", class: v, props: nil,
			in:      vrec(structSch("C", sfield("a.b", sch(sInt32)), sfield("a", structSch("", sfield("b", sch(sInt32))))), vstruct()),
			wantErr: "Cannot create field because of field name duplication a.b"},
		{name: "schemaless non-map", class: v, props: nil,
			in: vrec(nil, vs("x")), wantErr: "Only Map objects supported in absence of schema for [flattening], found: string"},
		{name: "key", class: "Flatten$Key", props: nil,
			in: krec(nil, vmap("a", vmap("b", vi(1)))), want: krec(nil, vmap("a.b", vi(1)))},
	})
}

func TestSetSchemaMetadata(t *testing.T) {
	const v = "SetSchemaMetadata$Value"
	renamed := structSch("com.example.Person", personSchema.Fields...)
	renamed.Version = 7
	runCases(t, []tcase{
		{name: "name and version", class: v, props: props("schema.name", "com.example.Person", "schema.version", "7"),
			in: vrec(personSchema, person(nil)), want: vrec(renamed, person(nil))},
		{name: "version only", class: v, props: props("schema.version", "2"),
			in: vrec(sch(sString), vs("x")), want: vrec(&pluginv1.Schema{Type: sString, Version: 2}, vs("x"))},
		{name: "null value with a schema", class: v, props: props("schema.name", "n"),
			in: vrec(optSch(sString), nil), want: vrec(&pluginv1.Schema{Type: sString, Optional: true, Name: "n"}, nil)},
		{name: "schemaless tombstone passes", class: v, props: props("schema.name", "n"),
			in: vrec(nil, nil), want: vrec(nil, nil)},
		{name: "schemaless", class: v, props: props("schema.name", "n"),
			in: vrec(nil, vs("x")), wantErr: "Schema required for [updating schema metadata]"},
		{name: "key", class: "SetSchemaMetadata$Key", props: props("schema.name", "k"),
			in: krec(sch(sInt64), vi(1)), want: krec(&pluginv1.Schema{Type: sInt64, Name: "k"}, vi(1))},
	})
}
