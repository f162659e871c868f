package convert

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// wireConverters are the converters with FromWire, in each configuration that changes
// what they write.
func wireConverters(t testing.TB) map[string]WireConverter {
	out := map[string]WireConverter{}
	for name, cfg := range map[string]struct {
		class string
		props map[string]string
	}{
		"json":                    {"json", map[string]string{}},
		"json schemaless":         {"json", map[string]string{"schemas.enable": "false"}},
		"json numeric decimals":   {"json", map[string]string{"decimal.format": "NUMERIC", "schemas.enable": "false"}},
		"json no null defaulting": {"json", map[string]string{"replace.null.with.default": "false"}},
		"string":                  {"string", nil},
		"bytearray":               {"bytearray", nil},
	} {
		c, err := New(cfg.class, cfg.props, false)
		if err != nil {
			t.Fatal(err)
		}
		wc, ok := c.(WireConverter)
		if !ok {
			t.Fatalf("%s converter has no FromWire", cfg.class)
		}
		out[name] = wc
	}
	return out
}

// checkFromWire serializes the Value message b with FromWire and, decoded, with
// FromConnect: wherever FromWire answers, the two agree byte for byte (and on a Kafka
// null). It returns whether FromWire answered.
func checkFromWire(t *testing.T, name string, c WireConverter, s *pluginv1.Schema, b []byte) bool {
	t.Helper()
	got, ok := c.FromWire("t", s, b)
	if !ok {
		return false
	}
	v, err := protocol.DecodeValue(b)
	if err != nil {
		t.Fatalf("%s: FromWire wrote %q for a value that does not decode: %v", name, got, err)
	}
	want, err := c.FromConnect("t", s, v)
	if err != nil {
		t.Fatalf("%s: FromWire wrote %q where FromConnect refuses schema %v value %v: %v", name, got, s, v, err)
	}
	if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("%s: schema %v value %v:\n FromWire    %q\n FromConnect %q", name, s, v, got, want)
	}
	return true
}

// FromWire writes what FromConnect writes for the values the SDKs send; the rest (lists,
// maps, nulls that need their default, values their schema refuses) it may leave to
// FromConnect, but where it answers, it answers the same.
func TestFromWireMatchesFromConnect(t *testing.T) {
	dflt := opt(strS())
	dflt.DefaultValue = str("d")
	row := structS("db.public.row.Value", "id", i64S(), "name", opt(strS()), "price", opt(decimalSchema),
		"small", sch(pluginv1.Schema_TYPE_INT16), "ratio", sch(pluginv1.Schema_TYPE_FLOAT32), "ok", sch(pluginv1.Schema_TYPE_BOOLEAN),
		"raw", opt(sch(pluginv1.Schema_TYPE_BYTES)), "at", opt(sch(pluginv1.Schema_TYPE_FLOAT64)))
	envelope := structS("db.public.row.Envelope", "before", opt(row), "after", opt(row), "op", strS())
	rowV := structV("id", num(7), "name", str("a \"b\"\n"), "price", byt(0x80, 0x01), "small", num(-3), "ratio", dbl(0.1),
		"ok", boo(true), "raw", byt(0, 1, 255), "at", num(5))
	for _, tc := range []struct {
		name  string
		s     *pluginv1.Schema
		v     *pluginv1.Value
		plain bool // the JSON converters' FromWire must answer
	}{
		{"string", strS(), str("hello"), true},
		{"empty string", strS(), str(""), true},
		{"int64", i64S(), num(-1 << 62), true},
		{"int8 out of range", sch(pluginv1.Schema_TYPE_INT8), num(300), false},
		{"double", sch(pluginv1.Schema_TYPE_FLOAT64), dbl(-0.0), true},
		{"decimal", decimalSchema, byt(0xff, 0x38), true},
		{"bytes", sch(pluginv1.Schema_TYPE_BYTES), byt(), true},
		{"record null", opt(strS()), nil, true},
		{"optional null", opt(strS()), null(), true},
		{"null with a default", dflt, null(), true}, // a Kafka null at the top
		{"field null with a default", structS("s", "a", dflt), structV("a", null()), false},
		{"required null", strS(), null(), true}, // a Kafka null at the top, as FromConnect
		{"change event", envelope, structV("before", null(), "after", rowV, "op", str("c")), true},
		{"struct with a null field", row, structV("id", num(1), "name", nil, "price", null(), "small", num(0), "ratio", dbl(1),
			"ok", boo(false), "raw", nil, "at", nil), true},
		{"struct missing a field", row, structV("id", num(1)), false},
		{"struct out of order", structS("s", "a", i32S(), "b", i32S()), structV("b", num(1), "a", num(2)), false},
		{"struct with an extra field", structS("s", "a", i32S()), structV("a", num(1), "z", num(2)), false},
		{"required field null", structS("s", "a", i32S()), structV("a", null()), false},
		{"kind not the schema's", sch(pluginv1.Schema_TYPE_INT32), str("1"), false},
		{"list", arrS(i32S()), list(num(1)), false},
		{"map", mapS(strS(), i32S()), mapV(str("k"), num(1)), false},
		{"schemaless", nil, str("x"), false},
	} {
		var b []byte
		if tc.v != nil {
			var err error
			if b, err = proto.Marshal(tc.v); err != nil {
				t.Fatal(err)
			}
		}
		for name, c := range wireConverters(t) {
			answered := checkFromWire(t, tc.name+" ("+name+")", c, tc.s, b)
			if _, json := c.(*jsonConverter); json && tc.plain && !answered {
				t.Errorf("%s (%s): FromWire left a plain value to FromConnect", tc.name, name)
			}
		}
	}
}

// FuzzFromWire feeds FromWire arbitrary schemas and Value messages: it never panics, and
// whatever it writes, FromConnect writes for the decoded value.
func FuzzFromWire(f *testing.F) {
	add := func(s *pluginv1.Schema, v *pluginv1.Value) {
		sb, _ := proto.Marshal(s)
		vb, _ := proto.Marshal(v)
		f.Add(sb, vb)
	}
	add(strS(), str("hello"))
	add(structS("s", "a", opt(i32S()), "b", opt(decimalSchema)), structV("a", num(1), "b", byt(1, 2)))
	add(structS("s", "a", opt(structS("t", "x", sch(pluginv1.Schema_TYPE_FLOAT32)))), structV("a", structV("x", dbl(1e40))))
	add(sch(pluginv1.Schema_TYPE_INT8), num(300))
	convs := wireConverters(f)
	f.Fuzz(func(t *testing.T, schemaBytes, valueBytes []byte) {
		var s *pluginv1.Schema
		if len(schemaBytes) > 0 {
			s = &pluginv1.Schema{}
			if proto.Unmarshal(schemaBytes, s) != nil {
				return
			}
		}
		for name, c := range convs {
			checkFromWire(t, name, c, s, valueBytes)
		}
	})
}

// BenchmarkJSONFromWireChangeEvent writes the change event of
// BenchmarkJSONFromConnectChangeEvent (schemas.enable=false) from its encoding: "wire"
// with FromWire, "decode" by decoding it first as a record the fast path leaves alone is
// (protocol.DecodeValue, then FromConnect; the batch decoder, which allocates per batch
// rather than per record, took about half that decode time).
func BenchmarkJSONFromWireChangeEvent(b *testing.B) {
	c, err := New(JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		b.Fatal(err)
	}
	s, v := changeEvent("p.public.bench_rows", 1000)
	enc, err := proto.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	wc := c.(WireConverter)
	for _, path := range []string{"decode", "wire"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for range 1024 {
					if path == "wire" {
						if _, ok := wc.FromWire("t", s, enc); !ok {
							b.Fatal("FromWire left a change event to FromConnect")
						}
						continue
					}
					dv, err := protocol.DecodeValue(enc)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := c.FromConnect("t", s, dv); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1024), "ns/record")
		})
	}
}
