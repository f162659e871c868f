package data

import (
	"fmt"
	"math"
	"time"
)

// Validate checks that v is a valid value of schema s, as Kafka Connect's
// ConnectSchema.validateValue: the Go type fits the schema type (see [Schema]), required
// values are present, structs carry this schema's fields. A nil schema accepts any value.
// The error names the field path, e.g. "after.id: expected INT32, got string".
func Validate(s *Schema, v any) error { return validate("", s, v) }

func validate(at string, s *Schema, v any) error {
	if s == nil {
		return nil
	}
	if v == nil {
		if s.Optional || s.Default != nil {
			return nil
		}
		return fail(at, "a value is required (the schema is not optional)")
	}
	switch s.Name {
	case DecimalName:
		if _, ok := v.(Decimal); !ok {
			return mismatch(at, "Decimal", v)
		}
		if _, err := SchemaScale(s); err != nil {
			return fail(at, err.Error())
		}
		return nil
	case DateName, TimeName, TimestampName:
		if _, ok := v.(time.Time); ok {
			return nil
		}
	}
	switch s.Type {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		n, ok := asInt64(v)
		if !ok {
			return mismatch(at, s.Type.String(), v)
		}
		lo, hi := intRange(s.Type)
		if n < lo || n > hi {
			return fail(at, fmt.Sprintf("%d is out of range for %s", n, s.Type))
		}
	case TypeFloat32, TypeFloat64:
		switch v.(type) {
		case float64, float32:
		default:
			return mismatch(at, s.Type.String(), v)
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return mismatch(at, "BOOLEAN", v)
		}
	case TypeString:
		if _, ok := v.(string); !ok {
			return mismatch(at, "STRING", v)
		}
	case TypeBytes:
		if _, ok := v.([]byte); !ok {
			return mismatch(at, "BYTES", v)
		}
	case TypeArray:
		items, ok := v.([]any)
		if !ok {
			return mismatch(at, "ARRAY ([]any)", v)
		}
		for i, item := range items {
			if err := validate(path(at, fmt.Sprintf("[%d]", i)), s.Value, item); err != nil {
				return err
			}
		}
	case TypeMap:
		switch m := v.(type) {
		case map[string]any:
			if s.Key != nil && s.Key.Type != TypeString {
				return fail(at, "a map[string]any needs a STRING key schema; use data.Map")
			}
			for k, item := range m {
				if err := validate(path(at, k), s.Value, item); err != nil {
					return err
				}
			}
		case Map:
			for i, e := range m {
				if err := validate(path(at, fmt.Sprintf("[%d].key", i)), s.Key, e.Key); err != nil {
					return err
				}
				if err := validate(path(at, fmt.Sprintf("[%d]", i)), s.Value, e.Value); err != nil {
					return err
				}
			}
		default:
			return mismatch(at, "MAP (map[string]any or data.Map)", v)
		}
	case TypeStruct:
		st, ok := v.(*Struct)
		if !ok {
			return mismatch(at, "STRUCT (*data.Struct)", v)
		}
		if st.schema != s && !sameStruct(st.schema, s) {
			return fail(at, fmt.Sprintf("struct has schema %s, not the field's schema %s", st.name(), (&Struct{schema: s}).name()))
		}
		for i, f := range s.Fields {
			if err := validate(path(at, f.Name), f.Schema, st.values[i]); err != nil {
				return err
			}
		}
	default:
		return fail(at, fmt.Sprintf("schema has no valid type (%v)", s.Type))
	}
	return nil
}

// sameStruct reports whether two struct schemas have the same name and field names.
func sameStruct(a, b *Schema) bool {
	if a.Name != b.Name || len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name {
			return false
		}
	}
	return true
}

func intRange(t Type) (lo, hi int64) {
	switch t {
	case TypeInt8:
		return math.MinInt8, math.MaxInt8
	case TypeInt16:
		return math.MinInt16, math.MaxInt16
	case TypeInt32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func mismatch(at, want string, v any) error {
	return fail(at, fmt.Sprintf("expected %s, got %T", want, v))
}

func fail(at, msg string) error {
	if at == "" {
		return fmt.Errorf("data: %s", msg)
	}
	return fmt.Errorf("data: %s: %s", at, msg)
}
