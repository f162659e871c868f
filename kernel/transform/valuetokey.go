package transform

import (
	"fmt"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerTransform("ValueToKey",
		"Replace the record key with a new key formed from a subset of fields in the record value.",
		[]keyDef{
			required("fields", tList, high, "Field names on the record value to extract as the record key."),
			replaceNullKey,
		}, func(s *settings) Transformation {
			v := &valueToKey{fields: s.nonEmptyList("fields")}
			v.replaceNull = s.boolean("replace.null.with.default")
			return v
		})
}

const valueToKeyPurpose = "copying fields from value to key"

type valueToKey struct {
	fields      []string
	replaceNull bool
	cache       schemaCache
}

func (k *valueToKey) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := valueSide.schema(r), r.Value
	if isNull(v) {
		return r, nil
	}
	if s == nil {
		o, err := requireObject(v, valueToKeyPurpose)
		if err != nil {
			return nil, err
		}
		values := make([]*value, len(k.fields))
		for i, f := range k.fields {
			values[i], _ = o.get(f)
		}
		r.KeySchema, r.Key = nil, newMap(k.fields, values)
		return r, nil
	}
	st, err := requireStruct(s, v, valueToKeyPurpose)
	if err != nil {
		return nil, err
	}
	ks, err := k.cache.derive(s, func(s *schema) (*schema, error) {
		fields := make([]*pluginv1.SchemaField, 0, len(k.fields))
		for _, f := range k.fields {
			j := fieldIndex(s, f)
			if j < 0 {
				return nil, fmt.Errorf("Field does not exist: %s", f)
			}
			var err error
			if fields, err = appendSchemaField(fields, f, s.Fields[j].GetSchema()); err != nil {
				return nil, err
			}
		}
		return &schema{Type: sStruct, Fields: fields}, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*pluginv1.Field, len(ks.Fields))
	for i, fd := range ks.Fields {
		j := fieldIndex(s, fd.GetName())
		out[i] = keepField(structField(st, j, fd.GetName()), fd.GetName(),
			withDefault(structGet(st, j, fd.GetName()), fd.GetSchema(), k.replaceNull))
	}
	r.KeySchema, r.Key = ks, structValue(out)
	return r, nil
}
