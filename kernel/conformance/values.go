package conformance

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// recordValues checks that each record survives an encode/decode round trip unchanged
// and that its key and value agree with their schemas.
func (r *run) recordValues(recs []*pluginv1.Record) {
	if len(recs) == 0 {
		r.add("source.record.schema", Skip, "no records polled")
		return
	}
	for i, rec := range recs {
		b, err := proto.Marshal(rec)
		back := new(pluginv1.Record)
		if err == nil {
			err = proto.Unmarshal(b, back)
		}
		if err == nil && !proto.Equal(rec, back) {
			err = fmt.Errorf("differs after an encode/decode round trip")
		}
		if err == nil {
			err = conforms(rec.GetKeySchema(), rec.GetKey(), "key")
		}
		if err == nil {
			err = conforms(rec.GetValueSchema(), rec.GetValue(), "value")
		}
		if err != nil {
			r.add("source.record.schema", Fail, "record %d: %v", i, err)
			return
		}
	}
	r.add("source.record.schema", Pass, "%d records round-trip and match their schemas", len(recs))
}

// intBits are the widths of the integer schema types.
var intBits = map[pluginv1.Schema_Type]uint{pluginv1.Schema_TYPE_INT8: 8, pluginv1.Schema_TYPE_INT16: 16,
	pluginv1.Schema_TYPE_INT32: 32, pluginv1.Schema_TYPE_INT64: 64}

// conforms reports whether v is a value of schema s, as Kafka Connect's
// ConnectSchema.validateValue decides it. A nil schema (schemaless data) takes any value.
func conforms(s *pluginv1.Schema, v *pluginv1.Value, at string) error {
	if s == nil || (v.GetKind() == nil && (s.GetOptional() || s.GetDefaultValue() != nil)) {
		return nil
	}
	t, ok := s.GetType(), false
	switch k := v.GetKind().(type) {
	case nil:
		return fmt.Errorf("%s is null but its %s schema is not optional", at, t)
	case *pluginv1.Value_IntValue:
		bits := intBits[t]
		ok = bits == 64 || (bits > 0 && k.IntValue >= -1<<(bits-1) && k.IntValue < 1<<(bits-1))
	case *pluginv1.Value_DoubleValue:
		ok = t == pluginv1.Schema_TYPE_FLOAT32 || t == pluginv1.Schema_TYPE_FLOAT64
	case *pluginv1.Value_BoolValue:
		ok = t == pluginv1.Schema_TYPE_BOOLEAN
	case *pluginv1.Value_StringValue:
		ok = t == pluginv1.Schema_TYPE_STRING
	case *pluginv1.Value_BytesValue:
		ok = t == pluginv1.Schema_TYPE_BYTES
	case *pluginv1.Value_ListValue:
		if ok = t == pluginv1.Schema_TYPE_ARRAY; ok {
			for i, e := range k.ListValue.GetValues() {
				if err := conforms(s.GetValueSchema(), e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	case *pluginv1.Value_MapValue:
		if ok = t == pluginv1.Schema_TYPE_MAP; ok {
			for i, e := range k.MapValue.GetEntries() {
				if err := errors.Join(conforms(s.GetKeySchema(), e.GetKey(), fmt.Sprintf("%s key %d", at, i)),
					conforms(s.GetValueSchema(), e.GetValue(), fmt.Sprintf("%s value %d", at, i))); err != nil {
					return err
				}
			}
		}
	case *pluginv1.Value_StructValue:
		if t == pluginv1.Schema_TYPE_STRUCT {
			return structConforms(s, k.StructValue, at)
		}
	}
	if !ok {
		return fmt.Errorf("%s is %T, not a value of its %s schema", at, v.GetKind(), t)
	}
	return nil
}

func structConforms(s *pluginv1.Schema, st *pluginv1.Struct, at string) error {
	fields := map[string]*pluginv1.Value{}
	for _, f := range st.GetFields() {
		fields[f.GetName()] = f.GetValue()
	}
	for _, f := range s.GetFields() {
		if err := conforms(f.GetSchema(), fields[f.GetName()], at+"."+f.GetName()); err != nil {
			return err
		}
		delete(fields, f.GetName())
	}
	for name := range fields {
		return fmt.Errorf("%s has field %q its schema does not declare", at, name)
	}
	return nil
}
