package transform

import (
	"fmt"
	"strings"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerKeyValue("ExtractField",
		"Extract the specified field from a Struct when schema present, or a Map in the case of schemaless data. "+
			"Any null values are passed through unmodified.",
		[]keyDef{
			required("field", tString, medium, "Field name to extract."),
			replaceNullKey,
			fieldSyntaxKey,
		}, newExtractField)
}

const extractPurpose = "field extraction"

// fieldSyntaxKey is KIP-821's field.syntax.version: V1 names a top-level field, V2 a
// dotted path with backticks around names that contain dots.
var fieldSyntaxKey = optional("field.syntax.version", tString, "V1", high,
	"Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to "+
		"access the elements at the root level of the struct or map. If set to `V2`, the syntax will support "+
		"accessing nested elements. To access nested elements, dotted notation is used. If dots are already "+
		"included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. "+
		"to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be "+
		"used to access its elements: \"`foo.bar`.baz\".")

type extractField struct {
	sd          side
	path        string
	steps       []string
	replaceNull bool
}

func newExtractField(sd side, s *settings) Transformation {
	e := &extractField{sd: sd}
	e.path, _ = s.str("field")
	e.steps = fieldPath(s, "field", e.path)
	e.replaceNull = s.boolean("replace.null.with.default")
	return e
}

// fieldPath reads field.syntax.version and splits path accordingly.
func fieldPath(s *settings, key, path string) []string {
	version, _ := s.str("field.syntax.version")
	switch strings.ToUpper(version) {
	case "V1":
		return []string{path}
	case "V2":
		steps, err := splitFieldPath(path)
		if err != nil {
			s.invalid(key, path, err.Error())
		}
		return steps
	}
	s.invalid("field.syntax.version", version, "Unrecognized field syntax version; expected V1 or V2")
	return []string{path}
}

// splitFieldPath is SingleFieldPath's V2 syntax: steps separated by dots; a step wrapped in
// backticks may contain dots, and a backtick inside it is escaped with a backslash.
func splitFieldPath(path string) ([]string, error) {
	var steps []string
	i := 0
	for i < len(path) {
		if path[i] != '`' {
			j := strings.IndexByte(path[i:], '.')
			if j < 0 {
				steps = append(steps, path[i:])
				i = len(path)
				break
			}
			steps = append(steps, path[i:i+j])
			i += j + 1
			continue
		}
		backtickAt := i
		i++
		start := i
		var field strings.Builder
		for {
			j := strings.IndexByte(path[i:], '`')
			if j < 0 {
				return nil, incompleteBacktick(path, backtickAt)
			}
			i += j
			escaped := path[i-1] == '\\'
			if i >= len(path)-1 { // the closing backtick ends the path
				if escaped {
					return nil, incompleteBacktick(path, backtickAt)
				}
				field.WriteString(path[start:i])
				steps = append(steps, field.String())
				i++
				break
			}
			if path[i+1] != '.' { // not followed by a dot: part of the name
				i++
				continue
			}
			if escaped {
				field.WriteString(path[start : i-1])
				field.WriteByte('`')
				i++
				start = i
				continue
			}
			field.WriteString(path[start:i])
			steps = append(steps, field.String())
			i += 2
			break
		}
	}
	if strings.HasSuffix(path, ".") {
		steps = append(steps, "")
	}
	if len(steps) == 0 {
		steps = []string{""}
	}
	return steps, nil
}

func incompleteBacktick(path string, at int) error {
	return fmt.Errorf("Incomplete backtick pair in path: [%s], consider adding a backslash before backtick at position %d to escape it", path, at)
}

func (e *extractField) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	s, v := e.sd.schema(r), e.sd.value(r)
	if s == nil {
		if isNull(v) {
			return e.sd.set(r, nil, nil), nil
		}
		o, err := requireObject(v, extractPurpose)
		if err != nil {
			return nil, err
		}
		var cur *value
		for i, step := range e.steps {
			cur, _ = o.get(step)
			if i == len(e.steps)-1 || isNull(cur) {
				break
			}
			var ok bool
			if o, ok = asObject(cur); !ok {
				return nil, errNotMap(cur, "nested field access")
			}
		}
		return e.sd.set(r, nil, cur), nil
	}

	// With a schema: the field must exist in it, whatever the value.
	cs := s
	for _, step := range e.steps {
		if cs.GetType() != sStruct {
			return nil, fmt.Errorf("Unknown field: %s", e.path)
		}
		i := fieldIndex(cs, step)
		if i < 0 {
			return nil, fmt.Errorf("Unknown field: %s", e.path)
		}
		cs = cs.Fields[i].GetSchema()
	}
	if isNull(v) {
		return e.sd.set(r, cs, nil), nil
	}
	st, err := requireStruct(s, v, extractPurpose)
	if err != nil {
		return nil, err
	}
	ps := s
	var cur *value
	for n, step := range e.steps {
		i := fieldIndex(ps, step)
		fs := ps.Fields[i].GetSchema()
		cur = withDefault(structGet(st, i, step), fs, e.replaceNull)
		if n == len(e.steps)-1 {
			break
		}
		if isNull(cur) {
			break
		}
		k, ok := cur.Kind.(*valueStruct)
		if !ok {
			return nil, errNotStruct(cur, "nested field access")
		}
		st, ps = k.StructValue, fs
	}
	return e.sd.set(r, cs, cur), nil
}
