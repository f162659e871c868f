package data

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/tributary-dev/tributary/plugins/kc"
)

// DecimalFormat says how JSONWriter writes a Decimal.
type DecimalFormat int

const (
	// DecimalBase64 writes the unscaled value's two's-complement bytes in base64, as
	// JsonConverter does by default (decimal.format=BASE64).
	DecimalBase64 DecimalFormat = iota
	// DecimalNumeric writes a JSON number with the decimal's digits (decimal.format=NUMERIC).
	DecimalNumeric
	// DecimalDouble writes the nearest double, as Confluent's Elasticsearch sink does when it
	// preprocesses a value (BigDecimal.doubleValue).
	DecimalDouble
)

// JSONWriter writes a Connect value as Kafka's JsonConverter writes it with
// schemas.enable=false, which is what the sinks that store JSON (Confluent's S3 JsonFormat,
// its Elasticsearch sink) write: structs as objects in field order, Date as days, Time as
// milliseconds of the day, Timestamp as epoch milliseconds, bytes as base64, doubles as
// Java's Double.toString (NaN and the infinities quoted), string-keyed maps as objects and
// other maps as [key, value] pairs. The fields adjust it to a connector that writes
// differently; the zero value is JsonConverter's.
type JSONWriter struct {
	// Decimals says how Decimal values are written.
	Decimals DecimalFormat
	// KeyValueEntries writes map entries as {"key": k, "value": v} objects rather than
	// [k, v] pairs; StringMapsAsEntries writes string-keyed maps as entries too.
	KeyValueEntries, StringMapsAsEntries bool
	// SchemalessAsGo writes a value that has no schema as AppendJSON does (Go's
	// encoding/json) rather than as JsonConverter infers it from the value's type.
	SchemalessAsGo bool
}

// Append appends v, of schema s (nil for a schemaless value), to dst.
func (w JSONWriter) Append(dst []byte, s *Schema, v any) ([]byte, error) {
	if s == nil {
		if w.SchemalessAsGo {
			return AppendJSON(dst, v), nil
		}
		return w.schemaless(dst, v)
	}
	if v == nil {
		switch {
		case s.Default != nil:
			v = s.Default
		case s.Optional:
			return append(dst, "null"...), nil
		default:
			return nil, errors.New("Conversion error: null value for field that is required and has no default value")
		}
	}
	switch s.Name {
	case DecimalName:
		return w.decimal(dst, s, v)
	case DateName, TimeName, TimestampName:
		if t, ok := v.(time.Time); ok {
			return strconv.AppendInt(dst, LogicalInt(s, t), 10), nil
		}
	}
	switch s.Type {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		n, ok := AsInt64(v)
		if !ok {
			return nil, typeMismatch(s, v)
		}
		return strconv.AppendInt(dst, n, 10), nil
	case TypeFloat32, TypeFloat64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, ok := AsInt64(v)
			if !ok {
				return nil, typeMismatch(s, v)
			}
			f = float64(n)
		}
		return appendDouble(dst, f, s.Type == TypeFloat32), nil
	case TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, typeMismatch(s, v)
		}
		return strconv.AppendBool(dst, b), nil
	case TypeString:
		str, ok := v.(string)
		if !ok {
			return nil, typeMismatch(s, v)
		}
		return AppendJSONString(dst, str), nil
	case TypeBytes:
		b, ok := v.([]byte)
		if !ok {
			return nil, typeMismatch(s, v)
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"'), nil
	case TypeArray:
		items, ok := v.([]any)
		if !ok {
			return nil, typeMismatch(s, v)
		}
		dst = append(dst, '[')
		for i, it := range items {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = w.Append(dst, s.Value, it); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case TypeMap:
		return w.mapValue(dst, s, v)
	case TypeStruct:
		st, ok := v.(*Struct)
		if !ok {
			return nil, typeMismatch(s, v)
		}
		dst = append(dst, '{')
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, f.Name)
			dst = append(dst, ':')
			var fv any
			if sf, ok := st.Schema().Field(f.Name); ok {
				fv = st.At(sf.Index)
			}
			var err error
			if dst, err = w.Append(dst, f.Schema, fv); err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		return append(dst, '}'), nil
	}
	return nil, typeMismatch(s, v)
}

// schemaless writes a value without a schema as JsonConverter does: its type decides.
func (w JSONWriter) schemaless(dst []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case float64:
		return appendDouble(dst, x, false), nil
	case float32:
		return appendDouble(dst, float64(x), true), nil
	case Decimal:
		return w.decimal(dst, DecimalSchema(x.Scale), x)
	case time.Time:
		return strconv.AppendInt(dst, x.UnixMilli(), 10), nil
	case *Struct:
		return w.Append(dst, x.Schema(), x)
	case []any:
		dst = append(dst, '[')
		for i, it := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = w.schemaless(dst, it); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = w.schemaless(dst, x[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case Map:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			if dst, err = w.schemaless(dst, e.Key); err != nil {
				return nil, err
			}
			dst = append(dst, ',')
			if dst, err = w.schemaless(dst, e.Value); err != nil {
				return nil, err
			}
			dst = append(dst, ']')
		}
		return append(dst, ']'), nil
	}
	return AppendJSON(dst, v), nil
}

// decimal writes a Decimal as w.Decimals says.
func (w JSONWriter) decimal(dst []byte, s *Schema, v any) ([]byte, error) {
	var d Decimal
	switch x := v.(type) {
	case Decimal:
		d = x
	case []byte:
		scale, err := SchemaScale(s)
		if err != nil {
			return nil, err
		}
		d = Decimal{Unscaled: FromTwosComplement(x), Scale: scale}
	default:
		return nil, typeMismatch(s, v)
	}
	if d.Unscaled == nil {
		d.Unscaled = new(big.Int)
	}
	switch w.Decimals {
	case DecimalNumeric:
		return append(dst, d.String()...), nil
	case DecimalDouble:
		f, err := strconv.ParseFloat(d.String(), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("decimal %s: %v", d.String(), err)
		}
		return appendDouble(dst, f, false), nil
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, kc.ToTwosComplement(d.Unscaled))
	return append(dst, '"'), nil
}

// mapValue writes a map: string-keyed maps as objects (unless StringMapsAsEntries), the
// others as entries, [key, value] pairs or {"key": k, "value": v} objects (KeyValueEntries).
func (w JSONWriter) mapValue(dst []byte, s *Schema, v any) ([]byte, error) {
	var entries []MapEntry
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			entries = append(entries, MapEntry{Key: k, Value: x[k]})
		}
	case Map:
		entries = x
	default:
		return nil, typeMismatch(s, v)
	}
	var err error
	if s.Key != nil && s.Key.Type == TypeString && !w.StringMapsAsEntries {
		dst = append(dst, '{')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, _ := e.Key.(string)
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = w.Append(dst, s.Value, e.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	dst = append(dst, '[')
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		if w.KeyValueEntries {
			dst = append(dst, `{"key":`...)
		} else {
			dst = append(dst, '[')
		}
		if dst, err = w.Append(dst, s.Key, e.Key); err != nil {
			return nil, err
		}
		if w.KeyValueEntries {
			dst = append(dst, `,"value":`...)
		} else {
			dst = append(dst, ',')
		}
		if dst, err = w.Append(dst, s.Value, e.Value); err != nil {
			return nil, err
		}
		if w.KeyValueEntries {
			dst = append(dst, '}')
		} else {
			dst = append(dst, ']')
		}
	}
	return append(dst, ']'), nil
}

// LogicalInt is a Date, Time or Timestamp as Connect stores it: days, milliseconds of the
// day, or epoch milliseconds.
func LogicalInt(s *Schema, t time.Time) int64 {
	if s != nil {
		switch s.Name {
		case DateName:
			return int64(DateDays(t))
		case TimeName:
			return int64(TimeMillis(t))
		}
	}
	return t.UnixMilli()
}

// appendDouble writes a double as Jackson does (Java's Double.toString; NaN and the
// infinities quoted).
func appendDouble(dst []byte, f float64, float32bits bool) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	if float32bits {
		return kc.AppendFloat(dst, float32(f))
	}
	return kc.AppendDouble(dst, f)
}

func typeMismatch(s *Schema, v any) error {
	return fmt.Errorf("Invalid type for %s: %T", s.Type, v)
}
