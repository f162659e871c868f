package data

import "testing"

// TestJSONWriterOptions checks each of JSONWriter's adjustments against the same value:
// JsonConverter's defaults, decimals as numbers and as doubles, map entries as objects,
// and schemaless values the way JsonConverter infers them or as Go writes them.
func TestJSONWriterOptions(t *testing.T) {
	s := StructOf("v",
		NewField("price", DecimalSchema(2)),
		NewField("tags", MapOf(StringSchema, Int32Schema)),
		NewField("ids", MapOf(Int32Schema, StringSchema)),
	)
	v := NewStruct(s).Put("price", NewDecimal(12345, 2)).
		Put("tags", map[string]any{"b": int32(2), "a": int32(1)}).
		Put("ids", Map{{Key: int32(7), Value: "x"}})
	for _, tc := range []struct {
		name string
		w    JSONWriter
		want string
	}{
		{"JsonConverter", JSONWriter{}, `{"price":"MDk=","tags":{"a":1,"b":2},"ids":[[7,"x"]]}`},
		{"numeric decimals", JSONWriter{Decimals: DecimalNumeric}, `{"price":123.45,"tags":{"a":1,"b":2},"ids":[[7,"x"]]}`},
		{"double decimals, key/value entries", JSONWriter{Decimals: DecimalDouble, KeyValueEntries: true},
			`{"price":123.45,"tags":{"a":1,"b":2},"ids":[{"key":7,"value":"x"}]}`},
		{"string maps as entries too", JSONWriter{KeyValueEntries: true, StringMapsAsEntries: true},
			`{"price":"MDk=","tags":[{"key":"a","value":1},{"key":"b","value":2}],"ids":[{"key":7,"value":"x"}]}`},
	} {
		got, err := tc.w.Append(nil, s, v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: Append = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	schemaless := map[string]any{"d": 1.0, "n": NewDecimal(5, 1)}
	if got, _ := (JSONWriter{}).Append(nil, nil, schemaless); string(got) != `{"d":1.0,"n":"BQ=="}` {
		t.Errorf("schemaless as JsonConverter = %s; want doubles as Java writes them, decimals in base64", got)
	}
	if got, _ := (JSONWriter{SchemalessAsGo: true}).Append(nil, nil, map[string]any{"d": 1.0}); string(got) != `{"d":1}` {
		t.Errorf("schemaless as Go = %s; want encoding/json's 1", got)
	}
}
