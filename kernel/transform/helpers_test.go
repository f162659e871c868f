package transform

import (
	"maps"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ---- values ----

func vs(s string) *pluginv1.Value  { return stringValue(s) }
func vi(i int64) *pluginv1.Value   { return intValue(i) }
func vf(f float64) *pluginv1.Value { return doubleValue(f) }
func vb(b bool) *pluginv1.Value    { return boolValue(b) }
func vbytes(b ...byte) *pluginv1.Value {
	if b == nil {
		b = []byte{}
	}
	return bytesValue(b)
}
func vnull() *pluginv1.Value { return &pluginv1.Value{} }

func fld(name string, v *pluginv1.Value) *pluginv1.Field {
	return &pluginv1.Field{Name: name, Value: v}
}

func vstruct(fields ...*pluginv1.Field) *pluginv1.Value { return structValue(fields) }

// vmap builds a map with string keys from name, value pairs.
func vmap(kv ...any) *pluginv1.Value {
	var entries []*pluginv1.MapEntry
	for i := 0; i < len(kv); i += 2 {
		v, _ := kv[i+1].(*pluginv1.Value)
		entries = append(entries, &pluginv1.MapEntry{Key: vs(kv[i].(string)), Value: element(v)})
	}
	return mapValue(entries)
}

func vlist(items ...*pluginv1.Value) *pluginv1.Value {
	return &pluginv1.Value{Kind: &pluginv1.Value_ListValue{ListValue: &pluginv1.List{Values: items}}}
}

// ---- schemas ----

func sch(t pluginv1.Schema_Type) *pluginv1.Schema { return &pluginv1.Schema{Type: t} }
func optSch(t pluginv1.Schema_Type) *pluginv1.Schema {
	return &pluginv1.Schema{Type: t, Optional: true}
}
func sfield(name string, s *pluginv1.Schema) *pluginv1.SchemaField {
	return &pluginv1.SchemaField{Name: name, Schema: s}
}
func structSch(name string, fields ...*pluginv1.SchemaField) *pluginv1.Schema {
	return &pluginv1.Schema{Type: sStruct, Name: name, Fields: fields}
}
func tsSch() *pluginv1.Schema {
	return &pluginv1.Schema{Type: sInt64, Name: convert.TimestampName, Version: 1}
}
func dateSch() *pluginv1.Schema {
	return &pluginv1.Schema{Type: sInt32, Name: convert.DateName, Version: 1}
}
func timeSch() *pluginv1.Schema {
	return &pluginv1.Schema{Type: sInt32, Name: convert.TimeName, Version: 1}
}
func decSch(scale string) *pluginv1.Schema {
	return &pluginv1.Schema{Type: sBytes, Name: convert.DecimalName, Version: 1,
		Parameters: map[string]string{"scale": scale}}
}

// ---- records ----

// vrec is a record on topic "orders" with the given value schema and value.
func vrec(s *pluginv1.Schema, v *pluginv1.Value) *pluginv1.Record {
	return &pluginv1.Record{Topic: "orders", Partition: 3, ValueSchema: s, Value: v, TimestampMs: 1700000000000, KafkaOffset: 42}
}

// krec is a record on topic "orders" with the given key schema and key.
func krec(s *pluginv1.Schema, v *pluginv1.Value) *pluginv1.Record {
	return &pluginv1.Record{Topic: "orders", Partition: 3, KeySchema: s, Key: v, TimestampMs: 1700000000000, KafkaOffset: 42}
}

// with returns a copy of r changed by f.
func with(r *pluginv1.Record, f func(r *pluginv1.Record)) *pluginv1.Record {
	c := proto.Clone(r).(*pluginv1.Record)
	f(c)
	return c
}

// ---- running ----

// single builds a one-transform chain of class with the given settings.
func single(t *testing.T, class string, props map[string]string) *Chain {
	t.Helper()
	cfg := map[string]string{"transforms": "t", "transforms.t.type": class}
	for k, v := range props {
		cfg["transforms.t."+k] = v
	}
	c, err := NewChain(cfg)
	if err != nil {
		t.Fatalf("NewChain(%v): %v", cfg, err)
	}
	return c
}

type tcase struct {
	name    string
	class   string
	props   map[string]string
	in      *pluginv1.Record
	want    *pluginv1.Record // nil with no wantErr: the record is dropped
	wantErr string           // a substring of the error
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := single(t, tc.class, tc.props)
			before := proto.Clone(tc.in)
			got, err := c.Apply(tc.in)
			if !proto.Equal(before, tc.in) {
				t.Errorf("Apply modified its input:\nbefore %v\nafter  %v", show(before), show(tc.in))
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Apply error = %v, want one containing %q (result %v)", err, tc.wantErr, show(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: unexpected error %v", err)
			}
			if !proto.Equal(got, tc.want) {
				t.Errorf("Apply =\n%v\nwant\n%v", show(got), show(tc.want))
			}
		})
	}
}

func show(m proto.Message) string {
	if m == nil || !m.ProtoReflect().IsValid() {
		return "<nil>"
	}
	return prototext.MarshalOptions{Multiline: false}.Format(m)
}

func props(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func merge(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}
