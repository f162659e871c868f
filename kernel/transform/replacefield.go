package transform

import (
	"strings"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("ReplaceField", "Filter or rename fields.",
		[]keyDef{
			optional("exclude", tList, "", medium, "Fields to exclude. This takes precedence over the fields to include."),
			optional("include", tList, "", medium, "Fields to include. If specified, only these fields will be used."),
			optional("renames", tList, "", medium, "Field rename mappings, e.g. foo:bar,abc:xyz."),
			replaceNullKey,
			nullable("blacklist", tList, low, "Deprecated. Use exclude instead."),
			nullable("whitelist", tList, low, "Deprecated. Use include instead."),
		}, newReplaceField)
}

const replacePurpose = "field replacement"

type replaceField struct {
	sd              side
	exclude         map[string]bool
	include         map[string]bool
	renames         map[string]string
	reverse         map[string]string
	cache           schemaCache
	hasNonStringKey bool
}

func newReplaceField(sd side, s *settings) Transformation {
	f := &replaceField{sd: sd, exclude: map[string]bool{}, include: map[string]bool{},
		renames: map[string]string{}, reverse: map[string]string{}}
	// The deprecated names apply only when the new ones are not given, as upstream's
	// translateDeprecatedConfigs.
	listOf := func(key, deprecated string) []string {
		if _, ok := s.props[key]; !ok {
			if _, ok := s.props[deprecated]; ok {
				return s.list(deprecated)
			}
		}
		return s.list(key)
	}
	for _, x := range listOf("exclude", "blacklist") {
		f.exclude[x] = true
	}
	for _, x := range listOf("include", "whitelist") {
		f.include[x] = true
	}
	renames := s.list("renames")
	for _, m := range renames {
		parts := strings.Split(m, ":")
		for len(parts) > 0 && parts[len(parts)-1] == "" { // as Java's String.split
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 2 {
			s.invalid("renames", strings.Join(renames, ","), "Invalid rename mapping: "+m)
			continue
		}
		f.renames[parts[0]] = parts[1]
		f.reverse[parts[1]] = parts[0]
	}
	s.boolean("replace.null.with.default")
	return f
}

func (f *replaceField) keep(name string) bool {
	return !f.exclude[name] && (len(f.include) == 0 || f.include[name])
}

func (f *replaceField) renamed(name string) string {
	if n, ok := f.renames[name]; ok {
		return n
	}
	return name
}

func (f *replaceField) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := f.sd.schema(r), f.sd.value(r)
	if isNull(v) {
		return r, nil
	}
	if s == nil {
		o, err := requireObject(v, replacePurpose)
		if err != nil {
			return nil, err
		}
		src := o.builder()
		out := o.emptyLike(len(src.entries))
		for _, e := range src.entries {
			switch {
			case e.key != nil: // a key that is not a string: no field name to filter on
				if len(f.include) == 0 {
					out.add(e)
				}
			case f.keep(e.name):
				e.name = f.renamed(e.name)
				out.add(e)
			}
		}
		return f.sd.set(r, nil, out.value()), nil
	}

	st, err := requireStruct(s, v, replacePurpose)
	if err != nil {
		return nil, err
	}
	ns, err := f.cache.derive(s, func(s *schema) (*schema, error) {
		var fields []*pluginv1.SchemaField
		var err error
		for _, fd := range s.Fields {
			if !f.keep(fd.GetName()) {
				continue
			}
			if n := f.renamed(fd.GetName()); n != fd.GetName() {
				fields, err = appendSchemaField(fields, n, fd.GetSchema())
			} else {
				fields, err = appendSchemaField(fields, n, nil)
				if err == nil {
					fields[len(fields)-1] = fd
				}
			}
			if err != nil {
				return nil, err
			}
		}
		return structLike(s, fields), nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*pluginv1.Field, len(ns.Fields))
	for i, fd := range ns.Fields {
		orig := fd.GetName()
		if o, ok := f.reverse[orig]; ok {
			orig = o
		}
		j := fieldIndex(s, orig)
		out[i] = keepField(structField(st, j, orig), fd.GetName(), structGet(st, j, orig))
	}
	return f.sd.set(r, ns, structValue(out)), nil
}
