package transform

import (
	"math"
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func TestCast(t *testing.T) {
	const v = "Cast$Value"
	// 2023-11-14T22:13:20Z
	const ms = 1700000000000

	priceDefault := &pluginv1.Schema{Type: sFloat64, Optional: true, DefaultValue: vf(1.5)}
	orderSchema := structSch("shop.Order",
		sfield("id", sch(sInt64)),
		sfield("price", priceDefault),
		sfield("name", sch(sString)),
		sfield("flag", sch(sBoolean)),
	)
	orderSchema.Version = 3
	castOrderSchema := structSch("shop.Order",
		sfield("id", sch(sInt32)),
		sfield("price", &pluginv1.Schema{Type: sString, Optional: true, DefaultValue: vs("1.5")}),
		sfield("name", sch(sString)),
		sfield("flag", sch(sInt8)),
	)
	castOrderSchema.Version = 3

	priceAsString := structSch("shop.Order", sfield("id", sch(sInt64)),
		sfield("price", &pluginv1.Schema{Type: sString, Optional: true, DefaultValue: vs("1.5")}),
		sfield("name", sch(sString)), sfield("flag", sch(sBoolean)))
	priceAsString.Version = 3

	innerSchema := structSch("s", sfield("inner", structSch("i", sfield("x", sch(sInt32)))))

	runCases(t, []tcase{
		// Schemaless.
		{name: "schemaless fields", class: v, props: props("spec", "a:string, b:int32,c:int8,d:float64,missing:int8"),
			in:   vrec(nil, vmap("a", vi(42), "b", vs("12"), "c", vf(1.9), "d", vb(true), "e", vs("x"))),
			want: vrec(nil, vmap("a", vs("42"), "b", vi(12), "c", vi(1), "d", vf(1), "e", vs("x"), "missing", nil))},
		{name: "schemaless struct keeps its kind", class: v, props: props("spec", "a:int16"),
			in:   vrec(nil, vstruct(fld("a", vs("-7")), fld("b", vb(false)))),
			want: vrec(nil, vstruct(fld("a", vi(-7)), fld("b", vb(false))))},
		{name: "whole value narrows as Java", class: v, props: props("spec", "int8"),
			in: vrec(nil, vi(300)), want: vrec(nil, vi(44))},
		{name: "whole value double saturates to int32", class: v, props: props("spec", "int32"),
			in: vrec(nil, vf(1e30)), want: vrec(nil, vi(math.MaxInt32))},
		{name: "NaN to int64 is zero", class: v, props: props("spec", "int64"),
			in: vrec(nil, vf(math.NaN())), want: vrec(nil, vi(0))},
		{name: "string to float32", class: v, props: props("spec", "float32"),
			in: vrec(nil, vs(" 0.1 ")), want: vrec(nil, vf(float64(float32(0.1))))},
		{name: "string with Java suffix to float64", class: v, props: props("spec", "float64"),
			in: vrec(nil, vs("2.5d")), want: vrec(nil, vf(2.5))},
		{name: "string to boolean", class: v, props: props("spec", "a:boolean,b:boolean"),
			in:   vrec(nil, vmap("a", vs("TRUE"), "b", vs("yes"))),
			want: vrec(nil, vmap("a", vb(true), "b", vb(false)))},
		{name: "number to boolean truncates first", class: v, props: props("spec", "a:boolean,b:boolean"),
			in:   vrec(nil, vmap("a", vf(0.5), "b", vi(-2))),
			want: vrec(nil, vmap("a", vb(false), "b", vb(true)))},
		{name: "doubles print as Java", class: v, props: props("spec", "a:string,b:string,c:string,d:string"),
			in:   vrec(nil, vmap("a", vf(1e7), "b", vf(100), "c", vf(0.0001), "d", vf(-1.5e-300))),
			want: vrec(nil, vmap("a", vs("1.0E7"), "b", vs("100.0"), "c", vs("1.0E-4"), "d", vs("-1.5E-300")))},
		{name: "bytes to string is base64", class: v, props: props("spec", "string"),
			in: vrec(nil, vbytes(1, 2, 255)), want: vrec(nil, vs("AQL/"))},
		{name: "whole null stays null", class: v, props: props("spec", "int8"),
			in: vrec(nil, nil), want: vrec(nil, nil)},
		{name: "schemaless tombstone passes", class: v, props: props("spec", "a:int8"),
			in: vrec(nil, nil), want: vrec(nil, nil)},
		{name: "unparsable string", class: v, props: props("spec", "int32"),
			in: vrec(nil, vs("abc")), wantErr: "Value (abc) was out of range for requested data type INT32"},
		{name: "out of range string", class: v, props: props("spec", "a:int8"),
			in: vrec(nil, vmap("a", vs("128"))), wantErr: `field "a": Value (128) was out of range for requested data type INT8 (out of range)`},
		{name: "schemaless list", class: v, props: props("spec", "a:string"),
			in:      vrec(nil, vmap("a", vlist(vi(1)))),
			wantErr: "Cast transformation does not support casting from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"},
		{name: "schemaless bytes to number", class: v, props: props("spec", "int8"),
			in: vrec(nil, vbytes(1)), wantErr: "Unexpected type in Cast transformation: bytes"},
		{name: "schemaless non-map", class: v, props: props("spec", "a:int8"),
			in: vrec(nil, vs("x")), wantErr: "Only Map objects supported in absence of schema for [cast types], found: string"},

		// With a schema.
		{name: "struct fields", class: v, props: props("spec", "id:int32,price:string,flag:int8"),
			in:   vrec(orderSchema, vstruct(fld("id", vi(1<<40+5)), fld("price", vf(9.99)), fld("name", vs("pen")), fld("flag", vb(true)))),
			want: vrec(castOrderSchema, vstruct(fld("id", vi(5)), fld("price", vs("9.99")), fld("name", vs("pen")), fld("flag", vi(1))))},
		{name: "null field reads its default", class: v, props: props("spec", "price:string"),
			in: vrec(orderSchema, vstruct(fld("id", vi(1)), fld("price", nil), fld("name", vs("pen")), fld("flag", vb(true)))),
			want: vrec(priceAsString,
				vstruct(fld("id", vi(1)), fld("price", vs("1.5")), fld("name", vs("pen")), fld("flag", vb(true))))},
		{name: "null field stays null without replace.null.with.default", class: v,
			props: props("spec", "price:string", "replace.null.with.default", "false"),
			in:    vrec(orderSchema, vstruct(fld("id", vi(1)), fld("price", nil), fld("name", vs("pen")), fld("flag", vb(true)))),
			want: vrec(priceAsString,
				vstruct(fld("id", vi(1)), fld("price", nil), fld("name", vs("pen")), fld("flag", vb(true))))},
		{name: "whole value keeps schema basics", class: v, props: props("spec", "int8"),
			in:   vrec(&pluginv1.Schema{Type: sInt64, Name: "n", Version: 2, Optional: true}, vi(-129)),
			want: vrec(&pluginv1.Schema{Type: sInt8, Name: "n", Version: 2, Optional: true}, vi(127))},
		{name: "timestamp to string", class: v, props: props("spec", "string"),
			in: vrec(tsSch(), vi(ms)), want: vrec(&pluginv1.Schema{Type: sString, Version: 1}, vs("2023-11-14T22:13:20.000Z"))},
		{name: "timestamp to int64", class: v, props: props("spec", "int64"),
			in: vrec(tsSch(), vi(ms)), want: vrec(&pluginv1.Schema{Type: sInt64, Version: 1}, vi(ms))},
		{name: "date to string", class: v, props: props("spec", "string"),
			in: vrec(dateSch(), vi(19675)), want: vrec(&pluginv1.Schema{Type: sString, Version: 1}, vs("2023-11-14"))},
		{name: "time to string", class: v, props: props("spec", "string"),
			in: vrec(timeSch(), vi(3_723_004)), want: vrec(&pluginv1.Schema{Type: sString, Version: 1}, vs("01:02:03.004Z"))},
		{name: "decimal fields", class: v, props: props("spec", "s:string,i:int32,f:float64,b:boolean"),
			in: vrec(structSch("d", sfield("s", decSch("2")), sfield("i", decSch("2")), sfield("f", decSch("2")), sfield("b", decSch("2"))),
				vstruct(fld("s", vbytes(0x30, 0x39)), fld("i", vbytes(0xcf, 0xc7)), fld("f", vbytes(0x30, 0x39)), fld("b", vbytes(0x00, 0x63)))),
			want: vrec(structSch("d", sfield("s", sch(sString)), sfield("i", sch(sInt32)), sfield("f", sch(sFloat64)), sfield("b", sch(sBoolean))),
				vstruct(fld("s", vs("123.45")), fld("i", vi(-123)), fld("f", vf(123.45)), fld("b", vb(false))))},
		{name: "float32 field prints as Float.toString", class: v, props: props("spec", "x:string"),
			in:   vrec(structSch("", sfield("x", sch(sFloat32))), vstruct(fld("x", vf(float64(float32(0.1)))))),
			want: vrec(structSch("", sfield("x", sch(sString))), vstruct(fld("x", vs("0.1"))))},
		{name: "key side", class: "Cast$Key", props: props("spec", "string"),
			in: krec(sch(sInt32), vi(5)), want: krec(sch(sString), vs("5"))},
		{name: "schema'd tombstone passes", class: v, props: props("spec", "id:int8"),
			in: vrec(orderSchema, nil), want: vrec(orderSchema, nil)},
		{name: "struct field", class: v, props: props("spec", "inner:string"),
			in:      vrec(innerSchema, vstruct(fld("inner", vstruct(fld("x", vi(1)))))),
			wantErr: `field "inner": Cast transformation does not support casting from STRUCT`},
		{name: "bytes with schema", class: v, props: props("spec", "int8"),
			in: vrec(sch(sBytes), vbytes(1)), wantErr: "Unexpected type in Cast transformation: bytes"},
		{name: "field cast on a primitive", class: v, props: props("spec", "a:int8"),
			in: vrec(sch(sString), vs("x")), wantErr: "Only Struct objects supported for [cast types], found: string"},
		{name: "whole cast of a struct", class: v, props: props("spec", "string"),
			in: vrec(innerSchema, vstruct()), wantErr: "Cast transformation does not support casting from STRUCT"},
	})
}
