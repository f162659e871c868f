package transform

import (
	"fmt"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("Flatten",
		"Flatten a nested data structure, generating names for each field by concatenating the field names at each "+
			"level with a configurable delimiter character. Applies to Struct when schema present, or a Map "+
			"in the case of schemaless data. Array fields and their contents are not modified. The default delimiter is '.'.",
		[]keyDef{
			optional("delimiter", tString, ".", medium,
				"Delimiter to insert between field names from the input record when generating field names for the output record"),
		}, newFlatten)
}

const flattenPurpose = "flattening"

type flatten struct {
	sd        side
	delimiter string
	cache     schemaCache
}

func newFlatten(sd side, s *settings) Transformation {
	d, _ := s.str("delimiter")
	return &flatten{sd: sd, delimiter: d}
}

func (f *flatten) name(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + f.delimiter + field
}

func (f *flatten) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := f.sd.schema(r), f.sd.value(r)
	if isNull(v) {
		return r, nil
	}
	if s == nil {
		o, err := requireObject(v, flattenPurpose)
		if err != nil {
			return nil, err
		}
		b := o.emptyLike(16)
		if err := f.flattenObject(o, "", b); err != nil {
			return nil, err
		}
		return f.sd.set(r, nil, b.value()), nil
	}
	st, err := requireStruct(s, v, flattenPurpose)
	if err != nil {
		return nil, err
	}
	ns, err := f.cache.derive(s, f.flatSchema)
	if err != nil {
		return nil, err
	}
	fields := make([]*pluginv1.Field, 0, len(ns.Fields))
	fields, err = f.flattenStruct(s, st, "", fields)
	if err != nil {
		return nil, err
	}
	return f.sd.set(r, ns, structValue(fields)), nil
}

func (f *flatten) flattenObject(o object, prefix string, out *objBuilder) error {
	each := func(name string, v *value) error {
		full := f.name(prefix, name)
		switch v.GetKind().(type) {
		case nil:
			out.put(full, nil)
		case *valueMap, *valueStruct:
			nested, _ := asObject(v)
			return f.flattenObject(nested, full, out)
		default:
			out.put(full, v)
		}
		return nil
	}
	if o.st != nil {
		for _, fl := range o.st.Fields {
			if err := each(fl.GetName(), fl.GetValue()); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range o.m.GetEntries() {
		k, ok := e.GetKey().GetKind().(*valueString)
		if !ok {
			return fmt.Errorf("Flatten transformation does not support map keys of type %s for record without schemas (under field %q)",
				kindName(e.GetKey()), prefix)
		}
		if err := each(k.StringValue, e.GetValue()); err != nil {
			return err
		}
	}
	return nil
}

func (f *flatten) flatSchema(s *schema) (*schema, error) {
	var defaultStruct *pluginv1.Struct
	if d, ok := s.GetDefaultValue().GetKind().(*valueStruct); ok {
		defaultStruct = d.StructValue
	}
	fields, err := f.flatFields(s, "", nil, s.GetOptional(), defaultStruct)
	if err != nil {
		return nil, err
	}
	return structLike(s, fields), nil
}

// flatFields appends the flattened fields of struct schema s. optional is set when s or
// any ancestor is optional; parentDefault is the default an ancestor gives s.
func (f *flatten) flatFields(s *schema, prefix string, out []*pluginv1.SchemaField, optional bool, parentDefault *pluginv1.Struct) ([]*pluginv1.SchemaField, error) {
	if s.GetType() != sStruct {
		return nil, fmt.Errorf("Only Struct objects supported for [%s], found: %s", flattenPurpose, describe(s))
	}
	for i, fd := range s.GetFields() {
		full := f.name(prefix, fd.GetName())
		fs := fd.GetSchema()
		fieldOptional := optional || fs.GetOptional()
		def := fs.GetDefaultValue()
		if isNull(def) && parentDefault != nil {
			def = structGet(parentDefault, i, fd.GetName())
		}
		var err error
		switch fs.GetType() {
		case sInt8, sInt16, sInt32, sInt64, sFloat32, sFloat64, sBoolean, sString, sBytes, sArray, sMap:
			c := copyFull(fs)
			c.Optional = fieldOptional
			if !isNull(def) {
				c.DefaultValue = def
			}
			out, err = appendSchemaField(out, full, c)
		case sStruct:
			var nested *pluginv1.Struct
			if d, ok := def.GetKind().(*valueStruct); ok {
				nested = d.StructValue
			}
			out, err = f.flatFields(fs, full, out, fieldOptional, nested)
		default:
			err = fmt.Errorf("Flatten transformation does not support %s for record with schemas (for field %s).", typeName(fs.GetType()), full)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// flattenStruct appends the flattened values of st (nil for a null struct: its fields are
// null) in the order flatFields lists them.
func (f *flatten) flattenStruct(s *schema, st *pluginv1.Struct, prefix string, out []*pluginv1.Field) ([]*pluginv1.Field, error) {
	for i, fd := range s.GetFields() {
		full := f.name(prefix, fd.GetName())
		var v *value
		if st != nil {
			v = structGet(st, i, fd.GetName())
		}
		if fd.GetSchema().GetType() != sStruct {
			out = append(out, &pluginv1.Field{Name: full, Value: v})
			continue
		}
		var nested *pluginv1.Struct
		if !isNull(v) {
			k, ok := v.Kind.(*valueStruct)
			if !ok {
				return nil, fmt.Errorf("field %s: %w", full, errNotStruct(v, flattenPurpose))
			}
			nested = k.StructValue
			if nested == nil {
				nested = &pluginv1.Struct{}
			}
		}
		var err error
		if out, err = f.flattenStruct(fd.GetSchema(), nested, full, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}
