package transform

import (
	"fmt"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("SetSchemaMetadata",
		"Set the schema name, version or both on the record's key or value schema.",
		[]keyDef{
			nullable("schema.name", tString, high, "Schema name to set."),
			nullable("schema.version", tInt, high, "Schema version to set."),
			replaceNullKey,
		}, newSetSchemaMetadata)
}

type setSchemaMetadata struct {
	sd      side
	name    *string
	version *int32
	cache   schemaCache
}

func newSetSchemaMetadata(sd side, s *settings) Transformation {
	m := &setSchemaMetadata{sd: sd}
	if n, ok := s.str("schema.name"); ok {
		m.name = &n
	}
	if v, ok := s.integer("schema.version"); ok {
		m.version = &v
	}
	if _, given := s.props["schema.version"]; m.name == nil && m.version == nil && !given {
		s.fail("type", "Neither schema name nor version configured; set schema.name, schema.version or both.")
	}
	s.boolean("replace.null.with.default")
	return m
}

func (m *setSchemaMetadata) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := m.sd.schema(r), m.sd.value(r)
	if s == nil {
		if isNull(v) {
			return r, nil
		}
		return nil, fmt.Errorf("Schema required for [updating schema metadata]")
	}
	ns, _ := m.cache.derive(s, func(s *schema) (*schema, error) {
		n := &schema{Type: s.Type, Optional: s.Optional, Name: s.Name, Version: s.Version, Doc: s.Doc,
			Parameters: s.Parameters, DefaultValue: s.DefaultValue, Fields: s.Fields,
			KeySchema: s.KeySchema, ValueSchema: s.ValueSchema}
		if m.name != nil {
			n.Name = *m.name
		}
		if m.version != nil {
			n.Version = *m.version
		}
		return n, nil
	})
	// A Struct value holds no reference to its schema here, so it is carried as it is.
	return m.sd.set(r, ns, v), nil
}
