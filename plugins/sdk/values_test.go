package sdk

import (
	"encoding/json"
	"math"
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func TestAppendJSON(t *testing.T) {
	mapOf := func(entries ...*pluginv1.MapEntry) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_MapValue{MapValue: &pluginv1.Map{Entries: entries}}}
	}
	for _, tc := range []struct {
		name string
		v    *pluginv1.Value
		json string
		text string
	}{
		{"nil", nil, `null`, `null`},
		{"null", NullValue(), `null`, `null`},
		{"bool", BoolValue(true), `true`, `true`},
		{"int", Int64Value(-9007199254740993), `-9007199254740993`, `-9007199254740993`},
		{"double", DoubleValue(1.5), `1.5`, `1.5`},
		{"nan", DoubleValue(math.NaN()), `"NaN"`, `"NaN"`},
		{"string", StringValue("a \"q\"\n\t\\ é\x01\u2028"), `"a \"q\"\n\t\\ é\u0001\u2028"`, "a \"q\"\n\t\\ é\x01\u2028"},
		{"invalid utf8", StringValue("a\xffb"), `"a\ufffdb"`, "a\xffb"},
		{"bytes", BytesValue([]byte{0, 1, 0xff}), `"AAH/"`, "\x00\x01\xff"},
		{"struct", StructValue(Field("z", Int64Value(1)), Field("a", ListValue(StringValue("x"), NullValue()))), `{"z":1,"a":["x",null]}`, `{"z":1,"a":["x",null]}`},
		{"string map", mapOf(&pluginv1.MapEntry{Key: StringValue("k"), Value: BoolValue(false)}), `{"k":false}`, `{"k":false}`},
		{"int map", mapOf(&pluginv1.MapEntry{Key: Int64Value(1), Value: StringValue("v")}), `[[1,"v"]]`, `[[1,"v"]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendJSON(nil, tc.v)); got != tc.json {
				t.Errorf("AppendJSON = %s, want %s", got, tc.json)
			}
			if !json.Valid(AppendJSON(nil, tc.v)) {
				t.Errorf("AppendJSON output is not valid JSON")
			}
			if got := string(AppendText(nil, tc.v)); got != tc.text {
				t.Errorf("AppendText = %q, want %q", got, tc.text)
			}
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\x00\x7f", "é\u2028\u2029", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendJSON(nil, StringValue(s))
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q round-tripped to %q, encoding/json gives %q", s, back, wantBack)
		}
	})
}

func TestSourceMaps(t *testing.T) {
	b, err := SourceMap(map[string]any{"position": int64(1) << 60, "filename": "/tmp/a"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"filename":"/tmp/a","position":1152921504606846976}` {
		t.Fatalf("SourceMap = %s", b)
	}
	offsets := []*pluginv1.SourceOffset{
		{Partition: []byte(`not json`), Offset: []byte(`{}`)},
		{Partition: []byte(`{"filename":"/tmp/b"}`), Offset: []byte(`{"position":1}`)},
		{Partition: []byte(` { "filename" : "/tmp/a" } `), Offset: []byte(`{"position":1152921504606846977}`)},
	}
	off, ok, err := FindOffset(offsets, map[string]any{"filename": "/tmp/a"})
	if err != nil || !ok {
		t.Fatalf("FindOffset = %v, %v, %v", off, ok, err)
	}
	if n, err := off["position"].(json.Number).Int64(); err != nil || n != 1152921504606846977 {
		t.Fatalf("position = %v (%v), want 1152921504606846977", off["position"], err)
	}
	if _, ok, _ := FindOffset(offsets, map[string]any{"filename": "/tmp/c"}); ok {
		t.Fatal("found an offset for a partition that has none")
	}
}
