package main

import (
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// field is one result column mapped to a Connect field: its schema and the conversion
// of the driver's value to the Connect value.
type field struct {
	name   string
	schema *data.Schema
	conv   func(any) (any, error)
	// instant converts a timestamp column's driver value to the instant it stands for
	// (the offsets of the timestamp modes); nil for other columns.
	instant func(any) (time.Time, bool)
}

// resultColumn is what the driver tells of a result column, and the catalog of its
// nullability.
type resultColumn struct {
	name           string
	typeName       string
	precision      int64
	scale          int64
	hasDecimalSize bool
	nullable       bool
}

// describeResult reads the columns of a result; nullable says, by column name, which
// are nullable (nil: ask the driver, and take nullable when it does not know).
func describeResult(cts []*sql.ColumnType, nullable map[string]bool) []resultColumn {
	out := make([]resultColumn, len(cts))
	for i, ct := range cts {
		rc := resultColumn{name: ct.Name(), typeName: strings.ToUpper(ct.DatabaseTypeName()), nullable: true}
		rc.precision, rc.scale, rc.hasDecimalSize = ct.DecimalSize()
		if n, ok := nullable[rc.name]; ok {
			rc.nullable = n
		} else if n, ok := ct.Nullable(); ok && nullable == nil {
			rc.nullable = n
		}
		out[i] = rc
	}
	return out
}

// mapColumn maps one result column to a field, as Confluent's dialects map JDBC types:
// integers by size (unsigned ones one size up), REAL/FLOAT/DOUBLE to floats,
// NUMERIC/DECIMAL by numeric.mapping, character and JSON/UUID types to strings,
// BYTEA/BLOB/BINARY to bytes, DATE/TIME/TIMESTAMP to Connect's logical types; every
// nullable column is optional. An unmappable type is an error naming table, column and
// type.
func mapColumn(k dbKind, table string, rc resultColumn, numeric string, tz *time.Location) (field, error) {
	f := field{name: rc.name}
	t := rc.typeName
	unsigned := false
	if rest, ok := strings.CutPrefix(t, "UNSIGNED "); ok {
		t, unsigned = rest, true
	}
	var s *data.Schema
	switch t {
	case "BOOL", "BOOLEAN":
		s, f.conv = data.BooleanSchema, toBool
	case "BIT":
		s, f.conv = data.BooleanSchema, toBool
	case "TINYINT":
		s, f.conv = data.Int8Schema, toInt(8)
		if unsigned {
			s, f.conv = data.Int16Schema, toInt(16)
		}
	case "INT2", "SMALLINT":
		s, f.conv = data.Int16Schema, toInt(16)
		if unsigned {
			s, f.conv = data.Int32Schema, toInt(32)
		}
	case "INT4", "INT", "INTEGER", "MEDIUMINT", "YEAR":
		s, f.conv = data.Int32Schema, toInt(32)
		if unsigned {
			s, f.conv = data.Int64Schema, toInt(64)
		}
	case "INT8", "BIGINT", "OID":
		s, f.conv = data.Int64Schema, toInt(64)
	case "FLOAT4", "REAL":
		s, f.conv = data.Float32Schema, toFloat(32)
	case "FLOAT":
		if k == mysqlDB {
			s, f.conv = data.Float32Schema, toFloat(32)
		} else {
			s, f.conv = data.Float64Schema, toFloat(64)
		}
	case "FLOAT8", "DOUBLE", "DOUBLE PRECISION":
		s, f.conv = data.Float64Schema, toFloat(64)
	case "NUMERIC", "DECIMAL":
		var err error
		if s, f.conv, err = numericField(rc, numeric); err != nil {
			return f, fmt.Errorf("table %s column %s (%s): %w", table, rc.name, rc.typeName, err)
		}
	case "TEXT", "VARCHAR", "BPCHAR", "CHAR", "NAME", "UUID", "JSON", "JSONB", "XML", "ENUM", "SET",
		"CITEXT", "INET", "CIDR", "MACADDR", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "NVARCHAR", "NCHAR":
		s, f.conv = data.StringSchema, toString
	case "BYTEA", "BLOB", "BINARY", "VARBINARY", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "GEOMETRY":
		s, f.conv = data.BytesSchema, toBytes
	case "DATE":
		s, f.conv = data.DateSchema, toDate
	case "TIME":
		s, f.conv = data.TimeSchema, toTime
	case "TIMESTAMP", "DATETIME":
		// PostgreSQL's timestamp and MySQL's DATETIME hold wall clocks of db.timezone;
		// MySQL's TIMESTAMP (read in a +00:00 session) and timestamptz hold instants.
		wall := (k == postgres && t == "TIMESTAMP") || (k == mysqlDB && t == "DATETIME")
		s = data.TimestampSchema
		f.instant = func(v any) (time.Time, bool) {
			tm, ok := v.(time.Time)
			if !ok {
				return time.Time{}, false
			}
			if wall {
				return fromWall(tm, tz), true
			}
			return tm, true
		}
		inst := f.instant
		f.conv = func(v any) (any, error) {
			if tm, ok := inst(v); ok {
				return tm, nil
			}
			return nil, fmt.Errorf("timestamp value is %T", v)
		}
	case "TIMESTAMPTZ":
		s = data.TimestampSchema
		f.instant = func(v any) (time.Time, bool) { tm, ok := v.(time.Time); return tm, ok }
		f.conv = func(v any) (any, error) {
			if tm, ok := v.(time.Time); ok {
				return tm, nil
			}
			return nil, fmt.Errorf("timestamp value is %T", v)
		}
	default:
		return f, fmt.Errorf("table %s column %s: type %s has no Connect mapping; leave the column out with a query, or cast it (e.g. to text) in a view", table, rc.name, typeOrUnknown(rc.typeName))
	}
	if rc.nullable {
		s = data.Optional(s)
	}
	f.schema = s
	return f, nil
}

func typeOrUnknown(t string) string {
	if t == "" {
		return "(a type the driver does not name: an enum, domain or extension type)"
	}
	return t
}

// numericField maps NUMERIC(p,s) by numeric.mapping, as Confluent does: none is a
// Decimal of scale s; precision_only makes p < 19 with s = 0 an integer of the smallest
// type holding p digits; best_fit does that too and makes p < 19 with s > 0 a FLOAT64
// (best_fit_eager_double: any s > 0).
func numericField(rc resultColumn, mapping string) (*data.Schema, func(any) (any, error), error) {
	p, sc := rc.precision, rc.scale
	unconstrained := !rc.hasDecimalSize || p <= 0 || p > 1000
	if unconstrained {
		if mapping == "best_fit" || mapping == "best_fit_eager_double" {
			return data.Float64Schema, toFloat(64), nil
		}
		return nil, nil, fmt.Errorf("a NUMERIC without precision and scale has no fixed Decimal scale: declare NUMERIC(p,s), or set %s=best_fit (FLOAT64)", keyNumericMapping)
	}
	intOf := func() (*data.Schema, func(any) (any, error)) {
		switch {
		case p > 9:
			return data.Int64Schema, toInt(64)
		case p > 4:
			return data.Int32Schema, toInt(32)
		case p > 2:
			return data.Int16Schema, toInt(16)
		}
		return data.Int8Schema, toInt(8)
	}
	switch mapping {
	case "precision_only":
		if p < 19 && sc == 0 {
			s, c := intOf()
			return s, c, nil
		}
	case "best_fit":
		if p < 19 {
			if sc <= 0 {
				s, c := intOf()
				return s, c, nil
			}
			return data.Float64Schema, toFloat(64), nil
		}
	case "best_fit_eager_double":
		if sc > 0 {
			return data.Float64Schema, toFloat(64), nil
		}
		if p < 19 {
			s, c := intOf()
			return s, c, nil
		}
	}
	scale := int32(sc)
	return data.DecimalSchema(scale), func(v any) (any, error) { return toDecimal(v, scale) }, nil
}

func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

func toInt(bits int) func(any) (any, error) {
	return func(v any) (any, error) {
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case int32:
			n = int64(x)
		case int16:
			n = int64(x)
		case int8:
			n = int64(x)
		case int:
			n = int64(x)
		case uint64:
			if x > math.MaxInt64 {
				return nil, fmt.Errorf("%d does not fit INT64", x)
			}
			n = int64(x)
		case uint32:
			n = int64(x)
		case time.Time: // MySQL YEAR read as a date
			n = int64(x.Year())
		default:
			s, ok := text(v)
			if !ok {
				return nil, fmt.Errorf("integer value is %T", v)
			}
			var err error
			if n, err = strconv.ParseInt(s, 10, 64); err != nil {
				return nil, fmt.Errorf("integer value %q: %w", s, err)
			}
		}
		switch bits {
		case 8:
			if n < math.MinInt8 || n > math.MaxInt8 {
				return nil, fmt.Errorf("%d does not fit INT8", n)
			}
			return int8(n), nil
		case 16:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return nil, fmt.Errorf("%d does not fit INT16", n)
			}
			return int16(n), nil
		case 32:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, fmt.Errorf("%d does not fit INT32", n)
			}
			return int32(n), nil
		}
		return n, nil
	}
}

func toFloat(bits int) func(any) (any, error) {
	return func(v any) (any, error) {
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			if bits == 32 {
				return x, nil
			}
			f = float64(x)
		case int64:
			f = float64(x)
		default:
			s, ok := text(v)
			if !ok {
				return nil, fmt.Errorf("floating-point value is %T", v)
			}
			var err error
			if f, err = strconv.ParseFloat(s, 64); err != nil {
				return nil, fmt.Errorf("floating-point value %q: %w", s, err)
			}
		}
		if bits == 32 {
			return float32(f), nil
		}
		return f, nil
	}
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case []byte:
		if len(x) == 1 && x[0] <= 1 { // BIT(1)
			return x[0] == 1, nil
		}
	}
	s, ok := text(v)
	if ok {
		switch strings.ToLower(s) {
		case "1", "t", "true":
			return true, nil
		case "0", "f", "false":
			return false, nil
		}
	}
	return nil, fmt.Errorf("boolean value is %T %v", v, v)
}

func toString(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	return fmt.Sprint(v), nil
}

func toBytes(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return append([]byte(nil), x...), nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("bytes value is %T", v)
}

func toDecimal(v any, scale int32) (any, error) {
	var d data.Decimal
	switch x := v.(type) {
	case int64:
		d = data.Decimal{Unscaled: big.NewInt(x)}
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		var err error
		if d, err = data.ParseDecimal(s); err != nil {
			return nil, err
		}
	default:
		s, ok := text(v)
		if !ok {
			return nil, fmt.Errorf("decimal value is %T", v)
		}
		var err error
		if d, err = data.ParseDecimal(s); err != nil {
			return nil, err
		}
	}
	return d.Rescale(scale)
}

func toDate(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	s, ok := text(v)
	if !ok {
		return nil, fmt.Errorf("date value is %T", v)
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, fmt.Errorf("date value %q: %w", s, err)
	}
	return t, nil
}

func toTime(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return time.Date(1970, 1, 1, x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC), nil
	}
	s, ok := text(v)
	if !ok {
		return nil, fmt.Errorf("time value is %T", v)
	}
	t, err := time.Parse("15:04:05.999999999", s)
	if err != nil {
		return nil, fmt.Errorf("time value %q (a TIME outside 00:00-24:00 has no Connect Time): %w", s, err)
	}
	return time.Date(1970, 1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
}

// plainParam converts a Connect value of a primitive type to a statement parameter.
func plainParam(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}
