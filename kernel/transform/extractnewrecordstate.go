package transform

import (
	"fmt"
	"strings"
	"sync"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// This file is Debezium's io.debezium.transforms.ExtractNewRecordState (event flattening),
// as Debezium 2.7 has it (AbstractExtractNewRecordState, ExtractNewRecordState, the
// Default and Legacy delete handling strategies), plus the replace.null.with.default key
// Debezium 3.0.5 added (its default is the 2.x behaviour).

// ExtractNewRecordStateClass is the class name Debezium users give in transforms.<alias>.type.
const ExtractNewRecordStateClass = "io.debezium.transforms.ExtractNewRecordState"

// The names Debezium's ExtractNewRecordStateConfigDefinition fixes.
const (
	dbzDeletedField   = "__deleted"
	dbzDefaultPrefix  = "__"
	dbzEnvelopeSuffix = ".Envelope"
	dbzAddPurpose     = "source field insertion"
)

func init() {
	registerForeignTransform(ExtractNewRecordStateClass,
		"Debezium's event flattening: replaces a Debezium change event (a value whose schema name ends in .Envelope) "+
			"by its after state, handles delete events and tombstones as configured, and can copy metadata of the event "+
			"(op, source.*, transaction.*, ts_ms, …) into the value or the headers. Records that are not change events "+
			"pass unchanged.",
		[]keyDef{
			nullable("delete.tombstone.handling.mode", tString, medium,
				"How to handle delete records. Options are: drop - Remove the delete event and tombstone from the stream. "+
					"tombstone - For each delete event, leave only a tombstone in the stream. "+
					"rewrite - Remove tombstone from the record, and add a `__deleted` field with the value `true`. "+
					"rewrite-with-tombstone - Retain tombstone in record and add a `__deleted` field with the value `true`. "+
					"When set, drop.tombstones and delete.handling.mode are ignored."),
			optional("drop.tombstones", tBool, "true", low,
				"Debezium by default generates a tombstone record to enable Kafka compaction after a delete record was "+
					"generated. This record is usually filtered out to avoid duplicates as a delete record is converted to "+
					"a tombstone record, too. Note: This option is scheduled for removal in a future release, use "+
					"\"delete.tombstone.handling.mode\" instead"),
			optional("delete.handling.mode", tString, "drop", medium,
				"How to handle delete records. Options are: none - records are passed, drop - records are removed (the "+
					"default), rewrite - __deleted field is added to records. Note: This option is scheduled for removal "+
					"in a future release, use \"delete.tombstone.handling.mode\" instead"),
			optional("route.by.field", tString, "", low,
				"The column which determines how the events will be routed, the value will replace the topic name."),
			optional("add.fields.prefix", tString, dbzDefaultPrefix, low, "Adds this prefix to each field listed."),
			optional("add.fields", tList, "", low,
				"Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). Example: "+
					"'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. "+
					"Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP. "+
					"Please note that the new field name is case-sensitive."),
			optional("add.headers.prefix", tString, dbzDefaultPrefix, low, "Adds this prefix listed to each header."),
			optional("add.headers", tList, "", low,
				"Adds each field listed to the header, __ (or __<struct>_ if the struct is specified). Example: "+
					"'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. "+
					"Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP. "+
					"Please note that the new field name is case-sensitive."),
			nullable("drop.fields.header.name", tString, low,
				"Specifies the name of a header that contains a list of fields to be removed from the event value."),
			optional("drop.fields.from.key", tBool, "false", low,
				"Specifies whether to apply the drop fields behavior to the event key as well as the value. Default "+
					"behavior is to only remove fields from the event value, not the key."),
			optional("drop.fields.keep.schema.compatible", tBool, "true", low,
				"Controls the output event's schema compatibility when using the drop fields feature. `true`: dropped "+
					"fields are removed if the schema indicates its optional leaving the schemas unchanged, `false`: "+
					"dropped fields are removed from the key/value schemas, regardless of optionality."),
			optional("replace.null.with.default", tBool, "true", low,
				"When the __deleted field is added (rewrite modes), whether fields of the row that are null and have a "+
					"default value are written with their default (true) or as null (false)."),
		}, newExtractNewRecordState)
}

// deleteAction is what becomes of a delete event (after is null, before is not).
type deleteAction int

const (
	deleteDrop      deleteAction = iota // the record is dropped
	deleteToNull                        // the value becomes null (delete.handling.mode=none, mode tombstone)
	deleteToRewrite                     // the value becomes before plus __deleted="true"
)

// dbzFieldRef is Debezium's FieldReference: one entry of add.fields or add.headers.
type dbzFieldRef struct {
	parent string // the envelope field holding it ("source", "transaction", …), "" for the envelope itself
	field  string
	name   string // the field or header name to write, prefix included
}

type extractNewRecordState struct {
	dropTombstones  bool
	deletes         deleteAction
	rewrite         bool // add __deleted to every record that is not dropped
	replaceNull     bool
	routeByField    string
	fields, headers []dbzFieldRef
	dropHeader      string
	dropFromKey     bool
	dropCompatible  bool

	deletedCache schemaCache     // value schema → the same plus __deleted
	addedCache   schemaPairCache // (value schema, envelope schema) → value schema plus add.fields
}

func newExtractNewRecordState(s *settings) Transformation {
	t := &extractNewRecordState{}
	// Both deprecated keys are validated whether or not the new one overrides them, as
	// Debezium validates them.
	dropTombstones := s.boolean("drop.tombstones")
	legacy := dbzEnum(s, "delete.handling.mode", "drop", "rewrite", "none")
	if mode, set := s.str("delete.tombstone.handling.mode"); set && mode != "" {
		switch dbzEnum(s, "delete.tombstone.handling.mode", "drop", "tombstone", "rewrite", "rewrite-with-tombstone") {
		case "drop":
			t.dropTombstones, t.deletes = true, deleteDrop
		case "tombstone":
			t.dropTombstones, t.deletes = true, deleteToNull
		case "rewrite":
			t.dropTombstones, t.deletes, t.rewrite = true, deleteToRewrite, true
		case "rewrite-with-tombstone":
			t.dropTombstones, t.deletes, t.rewrite = false, deleteToRewrite, true
		}
	} else {
		t.dropTombstones = dropTombstones
		switch legacy {
		case "drop":
			t.deletes = deleteDrop
		case "none":
			t.deletes = deleteToNull
		case "rewrite":
			t.deletes, t.rewrite = deleteToRewrite, true
		}
	}
	t.replaceNull = s.boolean("replace.null.with.default")
	t.routeByField, _ = s.str("route.by.field")
	fieldsPrefix, _ := s.str("add.fields.prefix")
	t.fields = parseDbzFieldRefs(s, "add.fields", fieldsPrefix)
	headersPrefix, _ := s.str("add.headers.prefix")
	t.headers = parseDbzFieldRefs(s, "add.headers", headersPrefix)
	t.dropHeader, _ = s.str("drop.fields.header.name")
	t.dropFromKey = s.boolean("drop.fields.from.key")
	t.dropCompatible = s.boolean("drop.fields.keep.schema.compatible")
	return t
}

// dbzEnum reads a key as Debezium's EnumRecommender validates it: trimmed, any case.
func dbzEnum(s *settings, name string, values ...string) string {
	v, ok := s.raw(name)
	if !ok {
		return ""
	}
	for _, x := range values {
		if strings.EqualFold(v, x) {
			return x
		}
	}
	s.invalid(name, v, "Value must be one of "+strings.Join(values, ", "))
	return ""
}

// parseDbzFieldRefs reads add.fields or add.headers: entries field, struct.field,
// field:newName or struct.field:newName. A field without a struct is looked up where
// Debezium looks for it: id, total_order and data_collection_order in transaction; op,
// ts_ms, ts_us and ts_ns in the envelope; updateDescription in itself; anything else in
// source (then in the envelope, for a field another transform added there).
func parseDbzFieldRefs(s *settings, key, prefix string) []dbzFieldRef {
	var refs []dbzFieldRef
	for _, entry := range s.list(key) {
		path, rename, renamed := strings.Cut(entry, ":")
		steps := strings.Split(path, ".")
		switch {
		case entry == "":
			s.fail(key, "an entry is empty; list field names separated by commas, e.g. op,source.ts_ms,table.")
			continue
		case renamed && (rename == "" || strings.Contains(rename, ":")):
			s.fail(key, "%q: write field:newName with exactly one non-empty new name after the colon.", entry)
			continue
		case len(steps) > 2 || steps[0] == "" || len(steps) == 2 && steps[1] == "":
			s.fail(key, "%q: name a field of the change event (op, ts_ms, table, …) or one field of a struct in it "+
				"(source.ts_ms, transaction.id); deeper paths are not supported.", entry)
			continue
		}
		r := dbzFieldRef{field: steps[len(steps)-1]}
		if len(steps) == 2 {
			r.parent = steps[0]
		} else {
			r.parent = dbzParentOf(r.field)
		}
		switch {
		case renamed:
			r.name = prefix + rename
		case len(steps) == 2:
			r.name = prefix + r.parent + "_" + r.field
		default:
			r.name = prefix + r.field
		}
		refs = append(refs, r)
	}
	return refs
}

func dbzParentOf(field string) string {
	switch field {
	case "id", "total_order", "data_collection_order":
		return "transaction"
	case "op", "ts_ms", "ts_us", "ts_ns":
		return ""
	case "updateDescription": // MongoDB's
		return "updateDescription"
	}
	return "source"
}

// parentOf returns the schema of the struct r names in the envelope schema env.
func (r dbzFieldRef) parentSchema(env *schema) (*schema, error) {
	if r.parent == "" {
		return env, nil
	}
	i := fieldIndex(env, r.parent)
	if i < 0 {
		return nil, fmt.Errorf("cannot add %s: the change event has no field %q (schema %q)", r.name, r.parent, env.GetName())
	}
	ps := env.Fields[i].GetSchema()
	if ps.GetType() != sStruct {
		return nil, fmt.Errorf("cannot add %s: field %q of the change event is not a struct but %s", r.name, r.parent, describe(ps))
	}
	return ps, nil
}

// schemaIn returns the schema of the added field or header, optional, or nil when the
// change event has no such field (Debezium then adds nothing).
func (r dbzFieldRef) schemaIn(env *schema) (*schema, error) {
	ps, err := r.parentSchema(env)
	if err != nil {
		return nil, err
	}
	if i := fieldIndex(ps, r.field); i >= 0 {
		return optionalCopy(ps.Fields[i].GetSchema()), nil
	}
	if i := fieldIndex(env, r.field); i >= 0 {
		return optionalCopy(env.Fields[i].GetSchema()), nil
	}
	return nil, nil
}

// valueIn returns the value of the field in the envelope (env, st), as stored: a null
// stays null whatever its default. A null parent struct (no transaction in a snapshot)
// gives null.
func (r dbzFieldRef) valueIn(env *schema, st *pluginv1.Struct) (*value, error) {
	ps, pst := env, st
	if r.parent != "" {
		i := fieldIndex(env, r.parent)
		pv := structGet(st, i, r.parent)
		if isNull(pv) {
			return nil, nil
		}
		k, ok := pv.Kind.(*valueStruct)
		if !ok {
			return nil, errNotStruct(pv, dbzAddPurpose)
		}
		ps, pst = env.Fields[i].GetSchema(), k.StructValue
	}
	if i := fieldIndex(ps, r.field); i >= 0 {
		return structGet(pst, i, r.field), nil
	}
	return structGet(st, fieldIndex(env, r.field), r.field), nil
}

// optionalCopy is SchemaUtil.copySchemaBasics(s).optional(): s's type, name, version, doc
// and parameters, optional, without a default. Unlike upstream, which drops them, the
// fields of a struct and the key and value schemas of a map are kept, so that the value
// stays writable.
func optionalCopy(s *schema) *schema {
	c := copyFull(s)
	c.Fields = s.GetFields()
	c.Optional = true
	return c
}

func (t *extractNewRecordState) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	env := valueSide.schema(r)
	tombstone := isNull(r.Value)
	envelope := env != nil && strings.HasSuffix(env.GetName(), dbzEnvelopeSuffix)
	if !tombstone && !envelope {
		return r, nil // heartbeats, schema changes, transaction metadata, schemaless values
	}

	var envStruct *pluginv1.Struct
	if !tombstone {
		var err error
		if envStruct, err = requireStruct(env, r.Value, extractPurpose); err != nil {
			return nil, err
		}
	}
	if len(t.headers) > 0 {
		hs, err := t.makeHeaders(env, envStruct)
		if err != nil {
			return nil, err
		}
		r.Headers = withHeaders(r.Headers, hs...)
	}
	if tombstone {
		if t.dropTombstones {
			return nil, nil
		}
		return r, nil
	}

	afterIdx, beforeIdx := fieldIndex(env, "after"), fieldIndex(env, "before")
	if afterIdx < 0 {
		return nil, fmt.Errorf("Unknown field: after (not in the %s)", describe(env))
	}
	afterSchema := env.Fields[afterIdx].GetSchema()
	after := withDefault(structGet(envStruct, afterIdx, "after"), afterSchema, true)
	if !isNull(after) {
		return t.applyChange(r, env, envStruct, afterSchema, after)
	}
	if beforeIdx < 0 {
		return nil, fmt.Errorf("Unknown field: before (not in the %s)", describe(env))
	}
	beforeSchema := env.Fields[beforeIdx].GetSchema()
	before := withDefault(structGet(envStruct, beforeIdx, "before"), beforeSchema, true)
	if isNull(before) {
		return nil, nil // a truncate event (neither before nor after): always dropped
	}
	return t.applyDelete(r, env, envStruct, afterSchema, beforeSchema, before)
}

// applyChange flattens a create, update or snapshot read: the value becomes after.
func (t *extractNewRecordState) applyChange(r *pluginv1.Record, env *schema, envStruct *pluginv1.Struct, afterSchema *schema, after *value) (*pluginv1.Record, error) {
	vs, v := afterSchema, after
	if t.rewrite {
		var err error
		if vs, v, err = t.withDeleted(vs, v, "false"); err != nil {
			return nil, err
		}
	}
	r.ValueSchema, r.Value = vs, v
	if t.routeByField != "" {
		st, err := requireStruct(vs, v, "Read record to set topic routing for CREATE / UPDATE")
		if err != nil {
			return nil, err
		}
		if err := t.route(r, vs, st); err != nil {
			return nil, err
		}
	}
	if err := t.addFields(r, env, envStruct); err != nil {
		return nil, err
	}
	return t.dropFields(r)
}

// applyDelete handles a delete event as delete.tombstone.handling.mode (or the deprecated
// delete.handling.mode) says.
func (t *extractNewRecordState) applyDelete(r *pluginv1.Record, env *schema, envStruct *pluginv1.Struct, afterSchema, beforeSchema *schema, before *value) (*pluginv1.Record, error) {
	switch t.deletes {
	case deleteDrop:
		return nil, nil
	case deleteToNull:
		// As Debezium: the schema of after stays, with a null value.
		r.ValueSchema, r.Value = afterSchema, nil
	case deleteToRewrite:
		vs, v, err := t.withDeleted(beforeSchema, before, "true")
		if err != nil {
			return nil, err
		}
		r.ValueSchema, r.Value = vs, v
	}
	if t.routeByField != "" {
		st, err := requireStruct(beforeSchema, before, "Read record to set topic routing for DELETE")
		if err != nil {
			return nil, err
		}
		if err := t.route(r, beforeSchema, st); err != nil {
			return nil, err
		}
	}
	r, err := t.dropFields(r)
	if err != nil || isNull(r.Value) {
		return r, err
	}
	if err := t.addFields(r, env, envStruct); err != nil {
		return nil, err
	}
	return r, nil
}

// withDeleted is InsertField$Value with static.field=__deleted: a copy of the row with an
// optional string field __deleted holding "true" or "false".
func (t *extractNewRecordState) withDeleted(s *schema, v *value, deleted string) (*schema, *value, error) {
	st, err := requireStruct(s, v, insertPurpose)
	if err != nil {
		return nil, nil, err
	}
	ns, err := t.deletedCache.derive(s, func(s *schema) (*schema, error) {
		fields := append(make([]*pluginv1.SchemaField, 0, len(s.Fields)+1), s.Fields...)
		fields, err := appendSchemaField(fields, dbzDeletedField, primitive(sString, true))
		if err != nil {
			return nil, err
		}
		n := copyBasics(s, sStruct) // not optional: SchemaBuilder.struct(), as upstream
		n.Fields = fields
		return n, nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]*pluginv1.Field, 0, len(ns.Fields))
	for i, fd := range s.Fields {
		name := fd.GetName()
		fv := withDefault(structGet(st, i, name), fd.GetSchema(), t.replaceNull)
		out = append(out, keepField(structField(st, i, name), name, fv))
	}
	out = append(out, &pluginv1.Field{Name: dbzDeletedField, Value: stringValue(deleted)})
	return ns, structValue(out), nil
}

// route sets the topic to the string field route.by.field of the row (s, st), unless it is
// null or blank.
func (t *extractNewRecordState) route(r *pluginv1.Record, s *schema, st *pluginv1.Struct) error {
	i := fieldIndex(s, t.routeByField)
	if i < 0 {
		return fmt.Errorf("%s is not a valid field name (route.by.field; the row's fields are those of the %s)", t.routeByField, describe(s))
	}
	fs := s.Fields[i].GetSchema()
	if fs.GetType() != sString {
		return fmt.Errorf("Field '%s' is not of type STRING (route.by.field needs a string column, found %s)", t.routeByField, describe(fs))
	}
	v := withDefault(structGet(st, i, t.routeByField), fs, true)
	k, ok := v.GetKind().(*valueString)
	if isNull(v) || ok && strings.TrimSpace(k.StringValue) == "" {
		return nil
	}
	if !ok {
		return fmt.Errorf("Field '%s' is not of type STRING: its value is a %s", t.routeByField, kindName(v))
	}
	r.Topic = k.StringValue
	return nil
}

// makeHeaders builds the add.headers headers of a change event (env, st), or of a
// tombstone (st nil), which gets only an op header, "d".
func (t *extractNewRecordState) makeHeaders(env *schema, st *pluginv1.Struct) ([]*pluginv1.Header, error) {
	var hs []*pluginv1.Header
	for _, ref := range t.headers {
		if st == nil {
			if ref.field == "op" {
				hs = append(hs, &pluginv1.Header{Key: ref.name, Value: stringValue("d"), Schema: primitive(sString, false)})
			}
			continue
		}
		hsch, err := ref.schemaIn(env)
		if err != nil {
			return nil, err
		}
		if hsch == nil {
			continue
		}
		v, err := ref.valueIn(env, st)
		if err != nil {
			return nil, err
		}
		hs = append(hs, &pluginv1.Header{Key: ref.name, Value: v, Schema: hsch})
	}
	return hs, nil
}

// addFields appends the add.fields fields to the flattened value. As Debezium, it rebuilds
// the value even when there is nothing to add, under a struct schema that is not optional.
func (t *extractNewRecordState) addFields(r *pluginv1.Record, env *schema, envStruct *pluginv1.Struct) error {
	vs := r.ValueSchema
	st, err := requireStruct(vs, r.Value, dbzAddPurpose)
	if err != nil {
		return err
	}
	ns, err := t.addedCache.derive(vs, env, func() (*schema, error) {
		n := copyBasics(vs, sStruct)
		n.Fields = append(make([]*pluginv1.SchemaField, 0, len(vs.Fields)+len(t.fields)), vs.Fields...)
		for _, ref := range t.fields {
			fs, err := ref.schemaIn(env)
			if err != nil {
				return nil, err
			}
			if fs == nil {
				continue
			}
			if n.Fields, err = appendSchemaField(n.Fields, ref.name, fs); err != nil {
				return nil, fmt.Errorf("add.fields: %w", err)
			}
		}
		return n, nil
	})
	if err != nil {
		return err
	}
	out := make([]*pluginv1.Field, 0, len(ns.Fields))
	for i, fd := range vs.Fields {
		name := fd.GetName()
		out = append(out, keepField(structField(st, i, name), name, structGet(st, i, name)))
	}
	for _, ref := range t.fields {
		if fieldIndex(ns, ref.name) < len(vs.Fields) { // absent from this change event
			continue
		}
		v, err := ref.valueIn(env, envStruct)
		if err != nil {
			return err
		}
		out = append(out, &pluginv1.Field{Name: ref.name, Value: fieldVal(v)})
	}
	r.ValueSchema, r.Value = ns, structValue(out)
	return nil
}

// dropFields removes from the value (and, with drop.fields.from.key, the key) the fields
// the header drop.fields.header.name lists: only optional ones while
// drop.fields.keep.schema.compatible is true.
func (t *extractNewRecordState) dropFields(r *pluginv1.Record) (*pluginv1.Record, error) {
	if strings.TrimSpace(t.dropHeader) == "" {
		return r, nil
	}
	var h *pluginv1.Header
	for _, x := range r.Headers {
		if x.GetKey() == t.dropHeader {
			h = x
			break
		}
	}
	if h == nil || isNull(h.GetValue()) {
		return r, nil
	}
	l, ok := h.GetValue().GetKind().(*valueList)
	if !ok {
		return nil, fmt.Errorf("header %s (drop.fields.header.name) must hold a list of field names, found: %s", t.dropHeader, kindName(h.GetValue()))
	}
	names := make([]string, 0, len(l.ListValue.GetValues()))
	for _, e := range l.ListValue.GetValues() {
		k, ok := e.GetKind().(*valueString)
		if !ok {
			return nil, fmt.Errorf("header %s (drop.fields.header.name) must hold a list of field names, found an element: %s", t.dropHeader, kindName(e))
		}
		names = append(names, k.StringValue)
	}
	if len(names) == 0 {
		return r, nil
	}
	if t.dropFromKey && !isNull(r.Key) {
		s, v, err := t.without(keySide.schema(r), r.Key, names)
		if err != nil {
			return nil, err
		}
		r.KeySchema, r.Key = s, v
	}
	s, v, err := t.without(valueSide.schema(r), r.Value, names)
	if err != nil {
		return nil, err
	}
	r.ValueSchema, r.Value = s, v
	return r, nil
}

// without is ReplaceField with exclude: s and v less the named fields (only the optional
// ones under drop.fields.keep.schema.compatible). A null passes unchanged; so does a
// schemaless value while schema compatibility is kept, as no schema says what is optional.
func (t *extractNewRecordState) without(s *schema, v *value, names []string) (*schema, *value, error) {
	drop := func(name string, fs *schema) bool {
		for _, n := range names {
			if n == name {
				return !t.dropCompatible || fs.GetOptional()
			}
		}
		return false
	}
	if isNull(v) {
		return s, v, nil
	}
	if s == nil {
		if t.dropCompatible {
			return s, v, nil
		}
		o, err := requireObject(v, "field replacement")
		if err != nil {
			return nil, nil, err
		}
		b := o.builder()
		for _, n := range names {
			b.remove(n)
		}
		return nil, b.value(), nil
	}
	st, err := requireStruct(s, v, "field replacement")
	if err != nil {
		return nil, nil, err
	}
	var keptSchema []*pluginv1.SchemaField
	var kept []*pluginv1.Field
	for i, fd := range s.Fields {
		name := fd.GetName()
		if drop(name, fd.GetSchema()) {
			continue
		}
		keptSchema = append(keptSchema, fd)
		kept = append(kept, keepField(structField(st, i, name), name, structGet(st, i, name)))
	}
	if len(kept) == len(s.Fields) {
		return s, v, nil
	}
	ns := copyBasics(s, sStruct) // SchemaBuilder.struct(), as ReplaceField upstream
	ns.Fields = keptSchema
	return ns, structValue(kept), nil
}

// schemaPairCache remembers a schema derived from two input schemas, by pointer, as
// Debezium's 64-entry schema cache of ExtractNewRecordState.
type schemaPairCache struct {
	mu sync.Mutex
	m  map[[2]*schema]*schema
}

const schemaPairCacheSize = 64

func (c *schemaPairCache) derive(a, b *schema, build func() (*schema, error)) (*schema, error) {
	key := [2]*schema{a, b}
	c.mu.Lock()
	d := c.m[key]
	c.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= schemaPairCacheSize {
		c.m = make(map[[2]*schema]*schema, schemaPairCacheSize)
	}
	c.m[key] = d
	return d, nil
}
