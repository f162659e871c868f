package transform

import (
	"fmt"
	"strings"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	const optionality = "Suffix with ! to make this a required field, or ? to keep it optional (the default)."
	registerKeyValue("InsertField",
		"Insert field(s) using attributes from the record metadata or a configured static value.",
		[]keyDef{
			nullable("topic.field", tString, medium, "Field name for Kafka topic. "+optionality),
			nullable("partition.field", tString, medium, "Field name for Kafka partition. "+optionality),
			nullable("offset.field", tString, medium, "Field name for Kafka offset - only applicable to sink connectors. "+optionality),
			nullable("timestamp.field", tString, medium, "Field name for record timestamp. "+optionality),
			nullable("static.field", tString, medium, "Field name for static data field. "+optionality),
			nullable("static.value", tString, medium, "Static field value, if field name configured."),
			replaceNullKey,
		}, newInsertField)
}

const insertPurpose = "field insertion"

// insertion is an InsertionSpec: a field name, optional unless suffixed with '!', and the
// schema of the field it adds.
type insertion struct {
	name   string
	schema *schema
}

func parseInsertion(s *settings, key string, fieldSchema *schema) *insertion {
	v, ok := s.str(key)
	if !ok {
		return nil
	}
	in := &insertion{name: v, schema: fieldSchema}
	fieldSchema.Optional = true
	if n, found := strings.CutSuffix(v, "?"); found {
		in.name = n
	} else if n, found := strings.CutSuffix(v, "!"); found {
		in.name, fieldSchema.Optional = n, false
	}
	return in
}

type insertField struct {
	sd                                          side
	topic, partition, offset, timestamp, static *insertion
	staticValue                                 *value
	cache                                       schemaCache
}

func newInsertField(sd side, s *settings) Transformation {
	f := &insertField{sd: sd,
		topic:     parseInsertion(s, "topic.field", primitive(sString, true)),
		partition: parseInsertion(s, "partition.field", primitive(sInt32, true)),
		offset:    parseInsertion(s, "offset.field", primitive(sInt64, true)),
		timestamp: parseInsertion(s, "timestamp.field", &schema{Type: sInt64, Name: convert.TimestampName, Version: 1}),
		static:    parseInsertion(s, "static.field", primitive(sString, true)),
	}
	sv, hasValue := s.str("static.value")
	f.staticValue = stringValue(sv)
	s.boolean("replace.null.with.default")
	if f.topic == nil && f.partition == nil && f.offset == nil && f.timestamp == nil && f.static == nil {
		s.fail("type", "No field insertion configured; set at least one of topic.field, partition.field, "+
			"offset.field, timestamp.field or static.field.")
	}
	if f.static != nil && !hasValue {
		s.fail("static.value", "No value specified for static field: %s", f.static.name)
	}
	return f
}

// inserted is one field to add to a record: its name, schema and value (nil for null).
type inserted struct {
	name   string
	schema *schema
	value  *value
}

func (f *insertField) fields(r *pluginv1.Record) ([]inserted, error) {
	out := make([]inserted, 0, 5)
	if f.topic != nil {
		out = append(out, inserted{f.topic.name, f.topic.schema, stringValue(r.Topic)})
	}
	if f.partition != nil {
		var p *value // a partition the producer is to choose is null, as upstream's
		if r.Partition >= 0 {
			p = intValue(int64(r.Partition))
		}
		out = append(out, inserted{f.partition.name, f.partition.schema, p})
	}
	if f.offset != nil {
		if len(r.SourcePartition) > 0 || len(r.SourceOffset) > 0 {
			return nil, fmt.Errorf("Only SinkRecord supported for [%s], found: a source record (offset.field %q needs a record consumed from Kafka)",
				insertPurpose, f.offset.name)
		}
		out = append(out, inserted{f.offset.name, f.offset.schema, intValue(r.KafkaOffset)})
	}
	if f.timestamp != nil {
		var ts *value // timestamp_ms 0 means none
		if r.TimestampMs != 0 {
			ts = intValue(r.TimestampMs)
		}
		out = append(out, inserted{f.timestamp.name, f.timestamp.schema, ts})
	}
	if f.static != nil {
		out = append(out, inserted{f.static.name, f.static.schema, f.staticValue})
	}
	return out, nil
}

func (f *insertField) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := f.sd.schema(r), f.sd.value(r)
	if isNull(v) {
		return r, nil
	}
	add, err := f.fields(r)
	if err != nil {
		return nil, err
	}
	if s == nil {
		o, err := requireObject(v, insertPurpose)
		if err != nil {
			return nil, err
		}
		b := o.builder()
		for _, a := range add {
			if a.value != nil { // upstream skips a missing partition or timestamp
				b.put(a.name, a.value)
			}
		}
		return f.sd.set(r, nil, b.value()), nil
	}

	st, err := requireStruct(s, v, insertPurpose)
	if err != nil {
		return nil, err
	}
	ns, err := f.cache.derive(s, func(s *schema) (*schema, error) {
		fields := append(make([]*pluginv1.SchemaField, 0, len(s.Fields)+len(add)), s.Fields...)
		var err error
		for _, a := range add {
			if fields, err = appendSchemaField(fields, a.name, a.schema); err != nil {
				return nil, err
			}
		}
		return structLike(s, fields), nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*pluginv1.Field, 0, len(ns.Fields))
	for i, fd := range s.Fields {
		out = append(out, keepField(structField(st, i, fd.GetName()), fd.GetName(), structGet(st, i, fd.GetName())))
	}
	for _, a := range add {
		if err := checkRequired(a.name, a.schema, a.value); err != nil {
			return nil, err
		}
		out = append(out, &pluginv1.Field{Name: a.name, Value: a.value})
	}
	return f.sd.set(r, ns, structValue(out)), nil
}
