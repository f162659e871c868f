package convert

import (
	"math"
	"strings"
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// diff describes how got differs from want, or returns "" when they are equal.
func diff(want, got proto.Message) string {
	if proto.Equal(want, got) {
		return ""
	}
	return "\n want: " + prototext.Format(want) + "\n  got: " + prototext.Format(got)
}

// ---- helpers to build Connect data tersely ----

func sch(t pluginv1.Schema_Type) *pluginv1.Schema { return &pluginv1.Schema{Type: t} }
func opt(s *pluginv1.Schema) *pluginv1.Schema {
	s = proto.CloneOf(s)
	s.Optional = true
	return s
}
func strS() *pluginv1.Schema { return sch(pluginv1.Schema_TYPE_STRING) }
func i32S() *pluginv1.Schema { return sch(pluginv1.Schema_TYPE_INT32) }
func i64S() *pluginv1.Schema { return sch(pluginv1.Schema_TYPE_INT64) }
func arrS(items *pluginv1.Schema) *pluginv1.Schema {
	return &pluginv1.Schema{Type: pluginv1.Schema_TYPE_ARRAY, ValueSchema: items}
}
func mapS(k, v *pluginv1.Schema) *pluginv1.Schema {
	return &pluginv1.Schema{Type: pluginv1.Schema_TYPE_MAP, KeySchema: k, ValueSchema: v}
}
func structS(name string, fields ...any) *pluginv1.Schema {
	s := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: name}
	for i := 0; i < len(fields); i += 2 {
		s.Fields = append(s.Fields, &pluginv1.SchemaField{Name: fields[i].(string), Schema: fields[i+1].(*pluginv1.Schema)})
	}
	return s
}

func str(s string) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
}
func num(n int64) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: n}}
}
func dbl(f float64) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_DoubleValue{DoubleValue: f}}
}
func boo(b bool) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_BoolValue{BoolValue: b}}
}
func byt(b ...byte) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: b}}
}
func null() *pluginv1.Value { return &pluginv1.Value{} }
func list(vs ...*pluginv1.Value) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: &pluginv1.List{Values: vs}}}
}
func mapV(kv ...*pluginv1.Value) *pluginv1.Value {
	m := &pluginv1.Map{}
	for i := 0; i < len(kv); i += 2 {
		m.Entries = append(m.Entries, &pluginv1.MapEntry{Key: kv[i], Value: kv[i+1]})
	}
	return &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}
}
func structV(fields ...any) *pluginv1.Value {
	st := &pluginv1.Struct{}
	for i := 0; i < len(fields); i += 2 {
		v, _ := fields[i+1].(*pluginv1.Value)
		st.Fields = append(st.Fields, &pluginv1.Field{Name: fields[i].(string), Value: v})
	}
	return &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: st}}
}

func mustNew(t *testing.T, class string, props map[string]string) Converter {
	t.Helper()
	c, err := New(class, props, false)
	if err != nil {
		t.Fatalf("New(%q, %v): %v", class, props, err)
	}
	return c
}

var (
	userSchema = func() *pluginv1.Schema {
		s := structS("com.example.User",
			"id", i32S(),
			"name", opt(strS()),
			"tags", arrS(strS()))
		s.Version = 1
		return s
	}()
	decimalSchema = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Name: DecimalName, Version: 1,
		Parameters: map[string]string{"scale": "2"}}
	timestampSchema = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64, Name: TimestampName, Version: 1}
)

func TestJSONFromConnectWithSchemas(t *testing.T) {
	c := mustNew(t, JSONConverterClass, nil)
	withDefault := opt(i32S())
	withDefault.DefaultValue = num(7)
	tests := []struct {
		name   string
		schema *pluginv1.Schema
		value  *pluginv1.Value
		want   string
	}{
		{"string", strS(), str("hello"), `{"schema":{"type":"string","optional":false},"payload":"hello"}`},
		{"int32", i32S(), num(42), `{"schema":{"type":"int32","optional":false},"payload":42}`},
		{"optional int64", opt(i64S()), num(-7), `{"schema":{"type":"int64","optional":true},"payload":-7}`},
		{"int8", sch(pluginv1.Schema_TYPE_INT8), num(-128), `{"schema":{"type":"int8","optional":false},"payload":-128}`},
		{"int16", sch(pluginv1.Schema_TYPE_INT16), num(300), `{"schema":{"type":"int16","optional":false},"payload":300}`},
		{"boolean", sch(pluginv1.Schema_TYPE_BOOLEAN), boo(true), `{"schema":{"type":"boolean","optional":false},"payload":true}`},
		{"double integral", sch(pluginv1.Schema_TYPE_FLOAT64), dbl(1), `{"schema":{"type":"double","optional":false},"payload":1.0}`},
		{"double large", sch(pluginv1.Schema_TYPE_FLOAT64), dbl(1e7), `{"schema":{"type":"double","optional":false},"payload":1.0E7}`},
		{"float", sch(pluginv1.Schema_TYPE_FLOAT32), dbl(float64(float32(3.14))), `{"schema":{"type":"float","optional":false},"payload":3.14}`},
		{"bytes", sch(pluginv1.Schema_TYPE_BYTES), byt('h', 'i', '!'), `{"schema":{"type":"bytes","optional":false},"payload":"aGkh"}`},
		{"string escapes", strS(), str("a\"b\\c\n\x01é</"), `{"schema":{"type":"string","optional":false},"payload":"a\"b\\c\n\u0001é</"}`},
		{"struct", userSchema, structV("id", num(1), "name", null(), "tags", list(str("a"), str("b"))),
			`{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},` +
				`{"type":"string","optional":true,"field":"name"},` +
				`{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"}],` +
				`"optional":false,"name":"com.example.User","version":1},` +
				`"payload":{"id":1,"name":null,"tags":["a","b"]}}`},
		{"struct field missing and out of order", structS("s", "a", opt(strS()), "b", i32S()), structV("b", num(2)),
			`{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"a"},{"type":"int32","optional":false,"field":"b"}],"optional":false,"name":"s"},"payload":{"a":null,"b":2}}`},
		{"decimal", decimalSchema, byt(0x30, 0x39),
			`{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"MDk="}`},
		{"timestamp", timestampSchema, num(1700000000123),
			`{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":1700000000123}`},
		{"map string keys", mapS(strS(), i32S()), mapV(str("x"), num(1), str("y"), num(2)),
			`{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"x":1,"y":2}}`},
		{"map int keys", mapS(i32S(), strS()), mapV(num(1), str("a")),
			`{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"a"]]}`},
		{"null field takes default", structS("d", "n", withDefault), structV("n", null()),
			`{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"default":7,"field":"n"}],"optional":false,"name":"d"},"payload":{"n":7}}`},
		{"doc and parameters sorted", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING, Doc: "d", Parameters: map[string]string{"b": "2", "a": "1"}}, str("x"),
			`{"schema":{"type":"string","optional":false,"doc":"d","parameters":{"a":"1","b":"2"}},"payload":"x"}`},
		{"schemaless", nil, mapV(str("a"), num(1), str("b"), list(boo(false), null())),
			`{"schema":null,"payload":{"a":1,"b":[false,null]}}`},
		{"schemaless non-string keys", nil, mapV(num(1), str("a")), `{"schema":null,"payload":[[1,"a"]]}`},
		{"unspecified schema type is schemaless", &pluginv1.Schema{}, str("x"), `{"schema":null,"payload":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FromConnect("t", tt.schema, tt.value)
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("FromConnect:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestJSONFromConnectPlain(t *testing.T) {
	c := mustNew(t, "json", map[string]string{"schemas.enable": "false"})
	tests := []struct {
		name   string
		schema *pluginv1.Schema
		value  *pluginv1.Value
		want   string
	}{
		{"string", strS(), str("hello"), `"hello"`},
		{"struct", userSchema, structV("id", num(1), "name", str("ann"), "tags", list()), `{"id":1,"name":"ann","tags":[]}`},
		{"schemaless struct", nil, structV("a", num(1), "b", dbl(0.5)), `{"a":1,"b":0.5}`},
		{"double", nil, dbl(-2.5e-4), `-2.5E-4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.FromConnect("t", tt.schema, tt.value)
			if err != nil {
				t.Fatalf("FromConnect: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("FromConnect:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFromConnectNullIsKafkaNull(t *testing.T) {
	for _, class := range []string{"string", "json", "bytearray"} {
		c := mustNew(t, class, nil)
		for _, v := range []*pluginv1.Value{nil, {}} {
			got, err := c.FromConnect("t", nil, v)
			if err != nil || got != nil {
				t.Errorf("%s: FromConnect(null) = %q, %v; want nil bytes, no error", class, got, err)
			}
		}
	}
}

func TestJSONFromConnectErrors(t *testing.T) {
	c := mustNew(t, "json", nil)
	tests := []struct {
		name   string
		schema *pluginv1.Schema
		value  *pluginv1.Value
		want   string
	}{
		{"required null field", structS("s", "a", strS()), structV("a", null()), `field "a": conversion error: null value for field that is required`},
		{"type mismatch", i32S(), str("x"), "invalid type for int32: string"},
		{"int8 range", sch(pluginv1.Schema_TYPE_INT8), num(200), "out of range for int8"},
		{"array without items", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_ARRAY}, list(), "no item schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.FromConnect("t", tt.schema, tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromConnect error = %v; want one containing %q", err, tt.want)
			}
		})
	}
}

func TestJSONToConnectWithSchemas(t *testing.T) {
	c := mustNew(t, "json", nil)
	withDefault := opt(i32S())
	withDefault.DefaultValue = num(7)
	tests := []struct {
		name       string
		in         string
		wantSchema *pluginv1.Schema
		wantValue  *pluginv1.Value
	}{
		{"string", `{"schema":{"type":"string","optional":false},"payload":"hello"}`, strS(), str("hello")},
		{"optional defaults to false", `{"schema":{"type":"boolean"},"payload":true}`, sch(pluginv1.Schema_TYPE_BOOLEAN), boo(true)},
		{"payload first, whitespace", " { \"payload\" : 5 ,\n\"schema\":{\"optional\":true,\"type\":\"int64\"} } ", opt(i64S()), num(5)},
		{"struct", `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},` +
			`{"type":"string","optional":true,"field":"name"},` +
			`{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"}],` +
			`"optional":false,"name":"com.example.User","version":1},` +
			`"payload":{"tags":["a","b"],"id":1,"extra":{"x":[1]}}}`,
			userSchema, structV("id", num(1), "name", nil, "tags", list(str("a"), str("b")))},
		{"decimal base64", `{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"MDk="}`,
			decimalSchema, byt(0x30, 0x39)},
		{"decimal numeric", `{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":-1.28}`,
			decimalSchema, byt(0x80)},
		{"map int keys", `{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":true},"optional":false},"payload":[[1,"a"],[2,null]]}`,
			mapS(i32S(), opt(strS())), mapV(num(1), str("a"), num(2), null())},
		{"default for missing field", `{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"default":7,"field":"n"}],"optional":false,"name":"d"},"payload":{}}`,
			structS("d", "n", withDefault), structV("n", num(7))},
		{"float from integer text", `{"schema":{"type":"double","optional":false},"payload":3}`, sch(pluginv1.Schema_TYPE_FLOAT64), dbl(3)},
		{"escaped string", `{"schema":{"type":"string","optional":false},"payload":"a\"\\\/\n\u00e9\ud83d\ude00"}`, strS(), str("a\"\\/\né😀")},
		{"schemaless payload", `{"schema":null,"payload":{"a":[1,2.5,"x",true,null]}}`, nil,
			mapV(str("a"), list(num(1), dbl(2.5), str("x"), boo(true), null()))},
		{"null payload optional", `{"schema":{"type":"string","optional":true},"payload":null}`, opt(strS()), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := c.ToConnect("t", []byte(tt.in))
			if err != nil {
				t.Fatalf("ToConnect: %v", err)
			}
			if d := diff(tt.wantSchema, s); d != "" {
				t.Errorf("schema %s", d)
			}
			if d := diff(tt.wantValue, v); d != "" {
				t.Errorf("value %s", d)
			}
		})
	}
}

func TestJSONToConnectErrors(t *testing.T) {
	with := mustNew(t, "json", nil)
	tests := []struct{ name, in, want string }{
		{"no envelope", `{"a":1}`, `requires "schema" and "payload"`},
		{"extra field", `{"schema":null,"payload":1,"x":2}`, `requires "schema" and "payload"`},
		{"not an object", `[1]`, `requires "schema" and "payload"`},
		{"required null", `{"schema":{"type":"string"},"payload":null}`, "invalid null value for required string field"},
		{"type mismatch", `{"schema":{"type":"int32"},"payload":"x"}`, "expected a number for int32"},
		{"fraction in int", `{"schema":{"type":"int64"},"payload":1.5}`, "1.5 is not a valid int64"},
		{"unknown type", `{"schema":{"type":"uuid"},"payload":"x"}`, `unknown schema type "uuid"`},
		{"truncated", `{"schema":null,"payload":{"a":`, "invalid JSON"},
		{"trailing garbage", `{"schema":null,"payload":1} x`, "unexpected data after"},
		{"bad base64", `{"schema":{"type":"bytes"},"payload":"!!"}`, "invalid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := with.ToConnect("t", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ToConnect(%s) error = %v; want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestJSONToConnectPlain(t *testing.T) {
	c := mustNew(t, "json", map[string]string{"schemas.enable": "false"})
	s, v, err := c.ToConnect("t", []byte(`{"b":1,"a":[true,null,-0.5],"big":12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	want := mapV(str("b"), num(1), str("a"), list(boo(true), null(), dbl(-0.5)), str("big"), dbl(12345678901234567890))
	if s != nil {
		t.Errorf("schema = %v; want nil", s)
	}
	if d := diff(want, v); d != "" {
		t.Errorf("value %s", d)
	}
	for _, in := range [][]byte{nil, {}, []byte("null")} {
		s, v, err := c.ToConnect("t", in)
		if s != nil || v != nil || err != nil {
			t.Errorf("ToConnect(%q) = %v, %v, %v; want all nil", in, s, v, err)
		}
	}
	s, v, err = c.ToConnect("t", []byte(`{"schema":null,"payload":1}`))
	if err != nil {
		t.Fatalf("an envelope is plain JSON when schemas are disabled: %v", err)
	}
	if s != nil {
		t.Errorf("an envelope with schemas disabled: schema = %v; want nil", s)
	}
	if d := diff(mapV(str("schema"), null(), str("payload"), num(1)), v); d != "" {
		t.Errorf("an envelope with schemas disabled is read whole, as a map: value %s", d)
	}
}

// TestJSONRoundTrip checks that what FromConnect writes, ToConnect reads back unchanged.
func TestJSONRoundTrip(t *testing.T) {
	nested := structS("outer",
		"m", mapS(strS(), arrS(opt(sch(pluginv1.Schema_TYPE_FLOAT64)))),
		"d", decimalSchema,
		"inner", opt(structS("inner", "b", sch(pluginv1.Schema_TYPE_BYTES))),
		"f", sch(pluginv1.Schema_TYPE_FLOAT32))
	value := structV(
		"m", mapV(str("k"), list(dbl(1.5), null(), dbl(math.Inf(1)))),
		"d", byt(0x80),
		"inner", structV("b", byt(0, 1, 2)),
		"f", dbl(float64(float32(0.1))))
	for _, props := range []map[string]string{nil, {"decimal.format": "NUMERIC"}} {
		c := mustNew(t, "json", props)
		data, err := c.FromConnect("t", nested, value)
		if err != nil {
			t.Fatal(err)
		}
		s, v, err := c.ToConnect("t", data)
		if err != nil {
			t.Fatalf("ToConnect(%s): %v", data, err)
		}
		if d := diff(nested, s); d != "" {
			t.Errorf("%v: schema %s", props, d)
		}
		if d := diff(value, v); d != "" {
			t.Errorf("%v: value of %s %s", props, data, d)
		}
	}
}

func TestJavaDouble(t *testing.T) {
	tests := []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {100, 64, "100.0"}, {0.001, 64, "0.001"}, {0.5, 64, "0.5"},
		{9999999, 64, "9999999.0"}, {1e7, 64, "1.0E7"}, {123456789, 64, "1.23456789E8"},
		{1.5e-4, 64, "1.5E-4"}, {-2.5e-10, 64, "-2.5E-10"}, {1e100, 64, "1.0E100"},
		{0, 64, "0.0"}, {math.Copysign(0, -1), 64, "-0.0"}, {math.NaN(), 64, "NaN"},
		{math.Inf(-1), 64, "-Infinity"}, {float64(float32(0.1)), 32, "0.1"}, {float64(float32(3e10)), 32, "3.0E10"},
	}
	for _, tt := range tests {
		if got := string(appendJavaDouble(nil, tt.f, tt.bits)); got != tt.want {
			t.Errorf("appendJavaDouble(%v, %d) = %s; want %s", tt.f, tt.bits, got, tt.want)
		}
	}
}

func TestStringConverter(t *testing.T) {
	c := mustNew(t, StringConverterClass, map[string]string{"converter.encoding": "UTF-8"})
	tests := []struct {
		value *pluginv1.Value
		want  string
	}{
		{str("héllo"), "héllo"},
		{num(-42), "-42"},
		{dbl(1), "1.0"},
		{boo(false), "false"},
		{byt('r', 'a', 'w'), "raw"},
		{structV("a", num(1), "b", null(), "c", str("x")), "Struct{a=1,c=x}"},
		{list(num(1), str("a")), "[1, a]"},
		{mapV(str("k"), num(2)), "{k=2}"},
	}
	for _, tt := range tests {
		got, err := c.FromConnect("t", nil, tt.value)
		if err != nil || string(got) != tt.want {
			t.Errorf("FromConnect(%v) = %q, %v; want %q", tt.value, got, err, tt.want)
		}
	}
	s, v, err := c.ToConnect("t", []byte("ok\xff"))
	if err != nil || !proto.Equal(s, optionalString) || v.GetStringValue() != "ok\uFFFD" {
		t.Errorf("ToConnect(invalid UTF-8) = %v, %v, %v; want the optional string schema and \"ok\\uFFFD\"", s, v, err)
	}
	s, v, err = c.ToConnect("t", nil)
	if err != nil || !proto.Equal(s, optionalString) || v != nil {
		t.Errorf("ToConnect(nil) = %v, %v, %v; want the optional string schema and a nil value", s, v, err)
	}
	if _, err := New("string", map[string]string{"converter.encoding": "UTF-16"}, false); err == nil {
		t.Error("UTF-16 encoding accepted; want an error")
	}
}

func TestByteArrayConverter(t *testing.T) {
	c := mustNew(t, ByteArrayConverterClass, nil)
	got, err := c.FromConnect("t", sch(pluginv1.Schema_TYPE_BYTES), byt(1, 2, 3))
	if err != nil || string(got) != "\x01\x02\x03" {
		t.Errorf("FromConnect(bytes) = %x, %v", got, err)
	}
	if got, err := c.FromConnect("t", nil, &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{}}); err != nil || got == nil || len(got) != 0 {
		t.Errorf("FromConnect(empty bytes) = %#v, %v; want empty, non-nil", got, err)
	}
	if _, err := c.FromConnect("t", nil, str("x")); err == nil || !strings.Contains(err.Error(), "not compatible with objects of type string") {
		t.Errorf("FromConnect(string) error = %v", err)
	}
	if _, err := c.FromConnect("t", strS(), byt(1)); err == nil {
		t.Error("FromConnect with a string schema: no error")
	}
	s, v, err := c.ToConnect("t", []byte{9})
	if err != nil || !proto.Equal(s, optionalBytes) || string(v.GetBytesValue()) != "\x09" {
		t.Errorf("ToConnect = %v, %v, %v", s, v, err)
	}
}

func TestNewUnknownClass(t *testing.T) {
	_, err := New("com.example.AvroConverter", nil, false)
	if err == nil {
		t.Fatal("no error for an unknown class")
	}
	for _, want := range []string{`"com.example.AvroConverter"`, StringConverterClass, JSONConverterClass, ByteArrayConverterClass, "bytearray"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := New("json", map[string]string{"schemas.enable": "maybe"}, false); err == nil {
		t.Error("schemas.enable=maybe accepted")
	}
}

func TestConfigure(t *testing.T) {
	worker := map[string]string{
		"key.converter":                  StringConverterClass,
		"value.converter":                JSONConverterClass,
		"value.converter.schemas.enable": "false",
	}
	probe := func(c Converter) string {
		b, err := c.FromConnect("t", strS(), str("x"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name         string
		cfg          map[string]string
		defaults     map[string]string
		wantK, wantV string
	}{
		{"worker defaults", map[string]string{}, worker, "x", `"x"`},
		{"connector overrides a worker setting", map[string]string{"value.converter.schemas.enable": "true"}, worker,
			"x", `{"schema":{"type":"string","optional":false},"payload":"x"}`},
		{"connector class ignores worker settings", map[string]string{"value.converter": "json"}, worker,
			"x", `{"schema":{"type":"string","optional":false},"payload":"x"}`},
		{"connector class and settings", map[string]string{"key.converter": "json", "key.converter.schemas.enable": "false"}, worker,
			`"x"`, `"x"`},
		{"nothing configured", nil, nil,
			`{"schema":{"type":"string","optional":false},"payload":"x"}`, `{"schema":{"type":"string","optional":false},"payload":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, v, err := Configure(tt.cfg, tt.defaults)
			if err != nil {
				t.Fatal(err)
			}
			if got := probe(k); got != tt.wantK {
				t.Errorf("key converter wrote %s; want %s", got, tt.wantK)
			}
			if got := probe(v); got != tt.wantV {
				t.Errorf("value converter wrote %s; want %s", got, tt.wantV)
			}
		})
	}
	if _, _, err := Configure(map[string]string{"value.converter": "nope"}, nil); err == nil || !strings.Contains(err.Error(), "value.converter") {
		t.Errorf("Configure with an unknown class: error %v; want one naming value.converter", err)
	}
}

func FuzzJSONToConnect(f *testing.F) {
	for _, s := range []string{
		`{"schema":{"type":"string","optional":false},"payload":"hello"}`,
		`{"schema":{"type":"struct","fields":[{"type":"int32","optional":true,"field":"a"}]},"payload":{"a":1}}`,
		`{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"bytes"}},"payload":[[1,"AA=="]]}`,
		`{"schema":null,"payload":[1,2.5e3,"\u00e9",{"x":null}]}`,
		`{"a":[true,false,null]}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, schemas bool) {
		c, _ := New("json", map[string]string{"schemas.enable": map[bool]string{true: "true", false: "false"}[schemas]}, false)
		s, v, err := c.ToConnect("t", data)
		if err != nil || v == nil {
			return
		}
		// Whatever was read must write and read back to the same data.
		out, err := c.FromConnect("t", s, v)
		if err != nil {
			t.Fatalf("FromConnect of what ToConnect read from %q: %v", data, err)
		}
		s2, v2, err := c.ToConnect("t", out)
		if err != nil {
			t.Fatalf("ToConnect(%s) (written from %q): %v", out, data, err)
		}
		if s == nil {
			// Without a schema a number beyond a double (1E700) reads as an
			// infinity, which Jackson writes as the string "Infinity"; upstream
			// reads that back as a string too. That change, and no other, is allowed.
			v = jacksonNonFinite(v)
		}
		if !proto.Equal(s, s2) || !proto.Equal(v, v2) {
			t.Fatalf("round trip of %q through %s changed the data", data, out)
		}
	})
}

// jacksonNonFinite returns v with each NaN or infinite double replaced by the
// string Jackson writes for it, as a schemaless write and read back gives.
func jacksonNonFinite(v *pluginv1.Value) *pluginv1.Value {
	if v == nil {
		return nil
	}
	switch k := v.Kind.(type) {
	case *pluginv1.Value_DoubleValue:
		f := k.DoubleValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: string(appendJavaDouble(nil, f, 64))}}
		}
	case *pluginv1.Value_ListValue:
		l := &pluginv1.List{}
		for _, e := range k.ListValue.GetValues() {
			l.Values = append(l.Values, jacksonNonFinite(e))
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: l}}
	case *pluginv1.Value_MapValue:
		m := &pluginv1.Map{}
		for _, e := range k.MapValue.GetEntries() {
			m.Entries = append(m.Entries, &pluginv1.MapEntry{Key: jacksonNonFinite(e.Key), Value: jacksonNonFinite(e.Value)})
		}
		return &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: m}}
	}
	return v
}
