package transform

import (
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("HoistField",
		"Wrap data using the specified field name in a Struct when schema present, or a Map in the case of schemaless data.",
		[]keyDef{required("field", tString, medium,
			"Field name for the single field that will be created in the resulting Struct or Map.")},
		func(sd side, s *settings) Transformation {
			f, _ := s.str("field")
			return &hoistField{sd: sd, field: f}
		})
}

type hoistField struct {
	sd    side
	field string
	cache schemaCache
}

func (h *hoistField) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := h.sd.schema(r), h.sd.value(r)
	if s == nil {
		return h.sd.set(r, nil, newMap([]string{h.field}, []*value{fieldVal(v)})), nil
	}
	if err := checkRequired(h.field, s, v); err != nil {
		return nil, err
	}
	ns, _ := h.cache.derive(s, func(s *schema) (*schema, error) {
		return &schema{Type: sStruct, Fields: []*pluginv1.SchemaField{{Name: h.field, Schema: s}}}, nil
	})
	return h.sd.set(r, ns, structValue([]*pluginv1.Field{{Name: h.field, Value: fieldVal(v)}})), nil
}
