package convert

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// FuzzJSONFromConnect feeds the JSON converter's write side arbitrary Connect schemas and
// values, as a plugin's records bring them (decoded from protobuf bytes the fuzzer
// writes): it may refuse a value its schema does not allow, never panic, and what it
// writes its read side must read.
func FuzzJSONFromConnect(f *testing.F) {
	add := func(s *pluginv1.Schema, v *pluginv1.Value) {
		sb, _ := proto.Marshal(s)
		vb, _ := proto.Marshal(v)
		f.Add(sb, vb, true)
		f.Add(sb, vb, false)
	}
	add(sch(pluginv1.Schema_TYPE_STRING), str("hello"))
	add(structS("s", "a", opt(sch(pluginv1.Schema_TYPE_INT32)), "b", arrS(sch(pluginv1.Schema_TYPE_FLOAT64))),
		structV("a", num(1), "b", list(dbl(1.5), dbl(-0.0))))
	add(mapS(sch(pluginv1.Schema_TYPE_INT8), sch(pluginv1.Schema_TYPE_BYTES)), mapV(num(1), byt(0, 1)))
	add(decimalSchema, byt(0x80))
	add(nil, mapV(str("k"), list(boo(true), null())))
	add(sch(pluginv1.Schema_TYPE_INT8), num(300)) // out of range for its schema
	add(sch(pluginv1.Schema_TYPE_STRUCT), str("not a struct"))
	f.Fuzz(func(t *testing.T, schemaBytes, valueBytes []byte, schemas bool) {
		var s *pluginv1.Schema
		if len(schemaBytes) > 0 {
			s = &pluginv1.Schema{}
			if proto.Unmarshal(schemaBytes, s) != nil {
				return
			}
		}
		v := &pluginv1.Value{}
		if proto.Unmarshal(valueBytes, v) != nil {
			return
		}
		c, err := New("json", map[string]string{"schemas.enable": map[bool]string{true: "true", false: "false"}[schemas]}, false)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.FromConnect("t", s, v)
		if err != nil || out == nil {
			return
		}
		if _, _, err := c.ToConnect("t", out); err != nil {
			t.Fatalf("ToConnect cannot read what FromConnect wrote for schema %v value %v:\n%s\n%v", s, v, out, err)
		}
	})
}
