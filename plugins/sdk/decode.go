package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// decoder turns the protocol's records into SinkRecords. Records of a batch share
// their *pluginv1.Schema when equal (package protocol's decoder), so each is converted
// once per batch.
type decoder struct {
	schemas map[*pluginv1.Schema]*data.Schema
}

func (d *decoder) sinkRecords(recs []*pluginv1.Record) ([]SinkRecord, error) {
	clear(d.schemas)
	out := make([]SinkRecord, len(recs))
	for i, r := range recs {
		s := &out[i]
		s.Topic, s.Partition, s.Offset = r.GetTopic(), r.GetPartition(), r.GetKafkaOffset()
		if ms := r.GetTimestampMs(); ms != 0 {
			s.Timestamp = time.UnixMilli(ms).UTC()
		}
		var err error
		s.KeySchema = d.schema(r.GetKeySchema())
		if s.Key, err = valueOf(r.GetKey(), s.KeySchema); err != nil {
			return nil, fmt.Errorf("record %s-%d@%d: key: %w", s.Topic, s.Partition, s.Offset, err)
		}
		s.ValueSchema = d.schema(r.GetValueSchema())
		if s.Value, err = valueOf(r.GetValue(), s.ValueSchema); err != nil {
			return nil, fmt.Errorf("record %s-%d@%d: value: %w", s.Topic, s.Partition, s.Offset, err)
		}
		if hs := r.GetHeaders(); len(hs) > 0 {
			s.Headers = make([]Header, len(hs))
			for j, h := range hs {
				s.Headers[j].Key = h.GetKey()
				s.Headers[j].Schema = d.schema(h.GetSchema())
				if s.Headers[j].Value, err = valueOf(h.GetValue(), s.Headers[j].Schema); err != nil {
					return nil, fmt.Errorf("record %s-%d@%d: header %s: %w", s.Topic, s.Partition, s.Offset, h.GetKey(), err)
				}
			}
		}
	}
	return out, nil
}

func (d *decoder) schema(s *pluginv1.Schema) *data.Schema {
	if s == nil {
		return nil
	}
	if c, ok := d.schemas[s]; ok {
		return c
	}
	c := schemaOf(s)
	if d.schemas == nil {
		d.schemas = map[*pluginv1.Schema]*data.Schema{}
	}
	d.schemas[s] = c
	return c
}

// schemaOf converts a protocol schema; data.Type's values are the protocol's numbers.
func schemaOf(s *pluginv1.Schema) *data.Schema {
	if s == nil {
		return nil
	}
	out := &data.Schema{
		Type:     data.Type(s.GetType()),
		Optional: s.GetOptional(),
		Name:     s.GetName(),
		Version:  s.GetVersion(),
		Doc:      s.GetDoc(),
		Key:      schemaOf(s.GetKeySchema()),
		Value:    schemaOf(s.GetValueSchema()),
	}
	if p := s.GetParameters(); len(p) > 0 {
		out.Parameters = maps.Clone(p)
	}
	if fs := s.GetFields(); len(fs) > 0 {
		out.Fields = make([]data.Field, len(fs))
		for i, f := range fs {
			out.Fields[i] = data.Field{Name: f.GetName(), Index: i, Schema: schemaOf(f.GetSchema())}
		}
	}
	if dv := s.GetDefaultValue(); dv != nil && dv.Kind != nil {
		noDefault := *out
		out.Default, _ = valueOf(dv, &noDefault)
	}
	return out
}

// valueOf converts a protocol value to the Go value its schema calls for (see
// data.Schema); without a schema, to the Go type of its kind (structs become
// map[string]any).
func valueOf(v *pluginv1.Value, s *data.Schema) (any, error) {
	if v == nil || v.Kind == nil {
		return nil, nil
	}
	if s == nil {
		return untypedOf(v)
	}
	switch s.Name {
	case data.DecimalName:
		scale, err := data.SchemaScale(s)
		if err != nil {
			return nil, err
		}
		b, ok := v.Kind.(*pluginv1.Value_BytesValue)
		if !ok {
			return nil, kindMismatch(s, v)
		}
		return data.Decimal{Unscaled: data.FromTwosComplement(b.BytesValue), Scale: scale}, nil
	case data.DateName, data.TimeName, data.TimestampName:
		n, ok := v.Kind.(*pluginv1.Value_IntValue)
		if !ok {
			return nil, kindMismatch(s, v)
		}
		switch s.Name {
		case data.DateName:
			return data.DateOf(int32(n.IntValue)), nil
		case data.TimeName:
			return data.TimeOf(int32(n.IntValue)), nil
		}
		return time.UnixMilli(n.IntValue).UTC(), nil
	}
	switch k := v.Kind.(type) {
	case *pluginv1.Value_IntValue:
		switch s.Type {
		case data.TypeInt8:
			return int8(k.IntValue), nil
		case data.TypeInt16:
			return int16(k.IntValue), nil
		case data.TypeInt32:
			return int32(k.IntValue), nil
		case data.TypeInt64:
			return k.IntValue, nil
		}
	case *pluginv1.Value_DoubleValue:
		switch s.Type {
		case data.TypeFloat32:
			return float32(k.DoubleValue), nil
		case data.TypeFloat64:
			return k.DoubleValue, nil
		}
	case *pluginv1.Value_BoolValue:
		if s.Type == data.TypeBoolean {
			return k.BoolValue, nil
		}
	case *pluginv1.Value_StringValue:
		if s.Type == data.TypeString {
			return k.StringValue, nil
		}
	case *pluginv1.Value_BytesValue:
		if s.Type == data.TypeBytes {
			return k.BytesValue, nil
		}
	case *pluginv1.Value_ListValue:
		if s.Type == data.TypeArray {
			items := make([]any, len(k.ListValue.GetValues()))
			for i, item := range k.ListValue.GetValues() {
				var err error
				if items[i], err = valueOf(item, s.Value); err != nil {
					return nil, fmt.Errorf("[%d]: %w", i, err)
				}
			}
			return items, nil
		}
	case *pluginv1.Value_MapValue:
		if s.Type == data.TypeMap {
			return mapOf(k.MapValue, s.Key, s.Value)
		}
	case *pluginv1.Value_StructValue:
		if s.Type == data.TypeStruct {
			st := data.NewStruct(s)
			for _, f := range k.StructValue.GetFields() {
				sf, ok := s.Field(f.GetName())
				if !ok {
					return nil, fmt.Errorf("struct %s has no field %q", s.Name, f.GetName())
				}
				fv, err := valueOf(f.GetValue(), sf.Schema)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f.GetName(), err)
				}
				st.PutAt(sf.Index, fv)
			}
			return st, nil
		}
	}
	return nil, kindMismatch(s, v)
}

func kindMismatch(s *data.Schema, v *pluginv1.Value) error {
	return fmt.Errorf("a %T value does not fit its %s schema %s", v.Kind, s.Type, s.Name)
}

func mapOf(m *pluginv1.Map, ks, vs *data.Schema) (any, error) {
	entries := m.GetEntries()
	stringKeys := ks == nil || ks.Type == data.TypeString
	if ks == nil {
		for _, e := range entries {
			if _, ok := e.GetKey().GetKind().(*pluginv1.Value_StringValue); !ok {
				stringKeys = false
				break
			}
		}
	}
	if stringKeys {
		out := make(map[string]any, len(entries))
		for _, e := range entries {
			v, err := valueOf(e.GetValue(), vs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.GetKey().GetStringValue(), err)
			}
			out[e.GetKey().GetStringValue()] = v
		}
		return out, nil
	}
	out := make(data.Map, len(entries))
	for i, e := range entries {
		k, err := valueOf(e.GetKey(), ks)
		if err != nil {
			return nil, fmt.Errorf("[%d].key: %w", i, err)
		}
		v, err := valueOf(e.GetValue(), vs)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = data.MapEntry{Key: k, Value: v}
	}
	return out, nil
}

func untypedOf(v *pluginv1.Value) (any, error) {
	switch k := v.Kind.(type) {
	case *pluginv1.Value_BoolValue:
		return k.BoolValue, nil
	case *pluginv1.Value_IntValue:
		return k.IntValue, nil
	case *pluginv1.Value_DoubleValue:
		return k.DoubleValue, nil
	case *pluginv1.Value_StringValue:
		return k.StringValue, nil
	case *pluginv1.Value_BytesValue:
		return k.BytesValue, nil
	case *pluginv1.Value_ListValue:
		items := make([]any, len(k.ListValue.GetValues()))
		for i, item := range k.ListValue.GetValues() {
			items[i], _ = untypedOf(item)
		}
		return items, nil
	case *pluginv1.Value_MapValue:
		return mapOf(k.MapValue, nil, nil)
	case *pluginv1.Value_StructValue:
		out := make(map[string]any, len(k.StructValue.GetFields()))
		for _, f := range k.StructValue.GetFields() {
			out[f.GetName()], _ = untypedOf(f.GetValue())
		}
		return out, nil
	}
	return nil, nil
}

// committedOffsets decodes the positions the kernel sends (JSON objects), skipping
// partitions in a form this SDK does not read (another tool's).
func committedOffsets(in []*pluginv1.SourceOffset) ([]CommittedOffset, error) {
	out := make([]CommittedOffset, 0, len(in))
	for _, o := range in {
		p, err := parseSourceMap(o.GetPartition())
		if err != nil {
			continue
		}
		off, err := parseSourceMap(o.GetOffset())
		if err != nil {
			return nil, fmt.Errorf("committed offset of source partition %s: %w", o.GetPartition(), err)
		}
		out = append(out, CommittedOffset{Partition: p, Offset: OffsetOf(off)})
	}
	return out, nil
}

// parseSourceMap decodes source partition or offset bytes. Numbers come back as
// json.Number, so 64-bit positions survive.
func parseSourceMap(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode %q: %w", b, err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode %q: not a JSON object", b)
	}
	return m, nil
}

// sameSourceMap reports whether two partitions hold the same content (as their JSON).
func sameSourceMap(a, b map[string]any) bool {
	ea, err1 := appendSourceMap(nil, a)
	eb, err2 := appendSourceMap(nil, b)
	return err1 == nil && err2 == nil && bytes.Equal(ea, eb)
}
