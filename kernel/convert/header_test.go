package convert

import (
	"strings"
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func TestSimpleHeaderConverterWritesValuesText(t *testing.T) {
	h, err := NewHeader(SimpleHeaderConverterClass, nil)
	if err != nil {
		t.Fatal(err)
	}
	f32 := sch(pluginv1.Schema_TYPE_FLOAT32)
	ts := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64, Name: TimestampName}
	date := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: DateName}
	tm := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: TimeName}
	dec := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Name: DecimalName, Parameters: map[string]string{"scale": "2"}}
	for _, tt := range []struct {
		name   string
		schema *pluginv1.Schema
		v      *pluginv1.Value
		want   string // "<nil>" for a null header value
	}{
		{"null", nil, nil, "<nil>"},
		{"no kind is null", strS(), null(), "<nil>"},
		{"string as is", strS(), str(`he said "hi"`), `he said "hi"`},
		{"empty string", strS(), str(""), ""},
		{"int", i32S(), num(-42), "-42"},
		{"boolean", nil, boo(true), "true"},
		{"double", nil, dbl(1.5), "1.5"},
		{"whole double keeps .0", nil, dbl(3), "3.0"},
		{"float32 as Java's Float", f32, dbl(float64(float32(0.1))), "0.1"},
		{"large double in E notation", nil, dbl(1e10), "1.0E10"},
		{"bytes in base64", nil, byt(1, 2, 3), "AQID"},
		{"decimal", dec, byt(0x30, 0x39), "123.45"},
		{"timestamp", ts, num(1700000000123), "2023-11-14T22:13:20.123Z"},
		{"date", date, num(19675), "2023-11-14"},
		{"time", tm, num(3723004), "01:02:03.004Z"},
		{"array", arrS(strS()), list(str("a"), str(`q"\`), null()), `["a","q\"\\",null]`},
		{"array of ints", nil, list(num(1), num(2)), "[1,2]"},
		{"map", mapS(strS(), i64S()), mapV(str("a"), num(1), str("b"), num(2)), `{"a":1,"b":2}`},
		{"struct", structS("s", "id", i32S(), "name", strS(), "tags", arrS(strS())),
			structV("id", num(7), "name", str("x"), "tags", list(str("t"))), `{"id":7,"name":"x","tags":["t"]}`},
		{"struct with a null field", nil, structV("a", null()), `{"a":null}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.FromConnectHeader("topic", "h", tt.schema, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if s := string(got); (got == nil && tt.want != "<nil>") || (got != nil && s != tt.want) {
				t.Errorf("FromConnectHeader = %q (nil %v); want %q", s, got == nil, tt.want)
			}
		})
	}
}

func TestSimpleHeaderConverterInfersTypes(t *testing.T) {
	h, _ := NewHeader("simple", nil)
	f32 := sch(pluginv1.Schema_TYPE_FLOAT32)
	f64 := sch(pluginv1.Schema_TYPE_FLOAT64)
	i8, i16, i32, i64 := sch(pluginv1.Schema_TYPE_INT8), sch(pluginv1.Schema_TYPE_INT16), i32S(), i64S()
	boolS := sch(pluginv1.Schema_TYPE_BOOLEAN)
	for _, tt := range []struct {
		in     string
		schema *pluginv1.Schema
		v      *pluginv1.Value
	}{
		{"", strS(), str("")},
		{"   ", strS(), str("   ")},
		{"hello world", strS(), str("hello world")},
		{"null", nil, nil},
		{"true", boolS, boo(true)},
		{" false ", boolS, boo(false)},
		{"42", i8, num(42)},
		{"-129", i16, num(-129)},
		{"40000", i32, num(40000)},
		{"5000000000", i64, num(5000000000)},
		{"1.0", i8, num(1)},
		{"1e3", i16, num(1000)},
		{"1.5", f32, dbl(1.5)},
		{"0.1", f32, dbl(float64(float32(0.1)))},
		{"1e300", f64, dbl(1e300)},
		{"12345678901234567890", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Name: DecimalName, Version: 1,
			Parameters: map[string]string{"scale": "0"}}, byt(0x00, 0xab, 0x54, 0xa9, 0x8c, 0xeb, 0x1f, 0x0a, 0xd2)},
		{"1.2.3", strS(), str("1.2.3")},
		{".5", strS(), str(".5")},
		{"0x10", strS(), str("0x10")},
		{"2023-11-14T22:13:20.123Z", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64, Name: TimestampName, Version: 1}, num(1700000000123)},
		{"2023-11-14", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: DateName, Version: 1}, num(19675)},
		{"01:02:03.004Z", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT32, Name: TimeName, Version: 1}, num(3723004)},
		{"[1,2,300]", arrS(i16), list(num(1), num(2), num(300))},
		{`["a", "b\"c"]`, arrS(strS()), list(str("a"), str(`b"c`))},
		{`[1,"a"]`, nil, list(num(1), str("a"))},
		{"[1,null]", arrS(opt(i8)), list(num(1), null())},
		{"[]", nil, list()},
		{`{"a":1,"b":2}`, mapS(strS(), i8), mapV(str("a"), num(1), str("b"), num(2))},
		{`{"t":2023-11-14T22:13:20.123Z}`, mapS(strS(), &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64, Name: TimestampName, Version: 1}),
			mapV(str("t"), num(1700000000123))},
		{"[a,b]", strS(), str("[a,b]")},
		{"[1,2", strS(), str("[1,2")},
		{"{not a map}", strS(), str("{not a map}")},
		{"[1] trailing", strS(), str("[1] trailing")},
	} {
		t.Run(tt.in, func(t *testing.T) {
			s, v, err := h.ToConnectHeader("topic", "h", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.schema, s); d != "" && !(tt.schema == nil && s == nil) {
				t.Errorf("schema:%s", d)
			}
			if d := diff(tt.v, v); d != "" && !(tt.v == nil && v == nil) {
				t.Errorf("value:%s", d)
			}
		})
	}
	if s, v, err := h.ToConnectHeader("t", "h", nil); s != nil || v != nil || err != nil {
		t.Errorf("a null header value = %v, %v, %v; want all nil", s, v, err)
	}
	if s, v, _ := h.ToConnectHeader("t", "h", []byte{0xff, 0xfe}); s.GetType() != pluginv1.Schema_TYPE_BYTES || string(v.GetBytesValue()) != "\xff\xfe" {
		t.Errorf("bytes that are not UTF-8 = %v, %v; want them as bytes", s, v)
	}
}

func TestSimpleHeaderConverterRoundTrips(t *testing.T) {
	h, _ := NewHeader(SimpleHeaderConverterClass, nil)
	for _, v := range []*pluginv1.Value{str("plain text"), num(7), num(-1 << 40), boo(false), dbl(2.5),
		list(str("x"), str("y")), mapV(str("k"), num(3))} {
		b, err := h.FromConnectHeader("t", "h", nil, v)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := h.ToConnectHeader("t", "h", b)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(v, got); d != "" {
			t.Errorf("%q did not round-trip:%s", b, d)
		}
	}
}

func TestConfigureHeader(t *testing.T) {
	for _, tt := range []struct {
		name          string
		cfg, defaults map[string]string
		in            *pluginv1.Value
		want          string
		wantErr       string
	}{
		{"default is SimpleHeaderConverter", nil, nil, list(num(1)), "[1]", ""},
		{"worker default", nil, map[string]string{"header.converter": "json", "header.converter.schemas.enable": "false"},
			list(num(1)), "[1]", ""},
		{"connector's JsonConverter with its own settings", map[string]string{"header.converter": JSONConverterClass},
			map[string]string{"header.converter.schemas.enable": "false"}, str("a"), `{"schema":null,"payload":"a"}`, ""},
		{"StringConverter alias", map[string]string{"header.converter": "string"}, nil, list(str("a")), "[a]", ""},
		{"ByteArrayConverter", map[string]string{"header.converter": ByteArrayConverterClass}, nil, byt('r', 'a', 'w'), "raw", ""},
		{"unknown", map[string]string{"header.converter": "com.example.Nope"}, nil, nil, "",
			`header.converter: unknown header converter class "com.example.Nope"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ConfigureHeader(tt.cfg, tt.defaults)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error %v; want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.FromConnectHeader("t", "h", nil, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("FromConnectHeader = %q; want %q", got, tt.want)
			}
		})
	}
}

func FuzzSimpleHeaderConverter(f *testing.F) {
	for _, s := range []string{"", "1", "1.5", "[1,2]", `{"a":[1,{"b":null}]}`, "2023-11-14", "true", `["\"`} {
		f.Add([]byte(s))
	}
	h, _ := NewHeader(SimpleHeaderConverterClass, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, v, err := h.ToConnectHeader("t", "h", data)
		if err != nil {
			t.Fatalf("ToConnectHeader(%q): %v", data, err)
		}
		if _, err := h.FromConnectHeader("t", "h", s, v); err != nil {
			t.Fatalf("FromConnectHeader of what %q parsed to: %v", data, err)
		}
	})
}
