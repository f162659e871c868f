package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// Debezium's semantic type names.
const (
	dbzDate           = "io.debezium.time.Date"
	dbzTime           = "io.debezium.time.Time"
	dbzMicroTime      = "io.debezium.time.MicroTime"
	dbzTimestamp      = "io.debezium.time.Timestamp"
	dbzMicroTimestamp = "io.debezium.time.MicroTimestamp"
	dbzZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	dbzUUID           = "io.debezium.data.Uuid"
	dbzJSON           = "io.debezium.data.Json"
	dbzEnum           = "io.debezium.data.Enum"
	dbzVarDecimal     = "io.debezium.data.VariableScaleDecimal"
	dbzEnumAllowed    = "allowed"
	connectPrecision  = "connect.decimal.precision"
)

// unavailable is Debezium's placeholder for an unchanged TOASTed value that logical
// decoding does not send (unavailable.value.placeholder's default).
const unavailable = "__debezium_unavailable_value"

// PostgreSQL type OIDs (pg_type.oid) the decoder knows.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// pgType is what the decoder needs of a column's type: its OID and name, for an enum its
// labels, for an array its element type.
type pgType struct {
	OID    uint32
	Name   string
	Labels []string // enum labels, in order
	Elem   *pgType  // array element type
}

// column is one captured column and how its text values become Connect values.
type column struct {
	Name     string
	Type     *pgType
	TypMod   int32
	Optional bool
	schema   *data.Schema
	conv     func(string) (any, error)
}

// typeOptions are the config keys that change the type mapping.
type typeOptions struct {
	decimal     string // precise, double, string
	timeConnect bool
}

// bind chooses the column's Connect schema and converter, or says the type is not
// supported, naming the column and the type.
func (c *column) bind(o typeOptions, table string) error {
	s, conv, err := mapType(c.Type, c.TypMod, o)
	if err != nil {
		return fmt.Errorf("column %s.%s: %w", table, c.Name, err)
	}
	if c.Optional {
		s = data.Optional(s)
	}
	c.schema, c.conv = s, conv
	return nil
}

// mapType returns the schema and text converter of a PostgreSQL type, as Debezium maps it.
func mapType(t *pgType, typmod int32, o typeOptions) (*data.Schema, func(string) (any, error), error) {
	if t.Elem != nil {
		es, econv, err := mapType(t.Elem, typmod, o)
		if err != nil {
			return nil, nil, fmt.Errorf("array of %w", err)
		}
		return data.ArrayOf(data.Optional(es)), func(s string) (any, error) { return parseArray(s, econv) }, nil
	}
	if len(t.Labels) > 0 {
		return data.StringSchema.WithName(dbzEnum).WithVersion(1).WithParameter(dbzEnumAllowed, strings.Join(t.Labels, ",")),
			func(s string) (any, error) { return s, nil }, nil
	}
	switch t.OID {
	case oidBool:
		return data.BooleanSchema, func(s string) (any, error) {
			switch s {
			case "t":
				return true, nil
			case "f":
				return false, nil
			}
			return nil, fmt.Errorf("boolean %q", s)
		}, nil
	case oidInt2:
		return data.Int16Schema, func(s string) (any, error) { n, err := strconv.ParseInt(s, 10, 16); return int16(n), err }, nil
	case oidInt4:
		return data.Int32Schema, func(s string) (any, error) { n, err := strconv.ParseInt(s, 10, 32); return int32(n), err }, nil
	case oidInt8, oidOID:
		return data.Int64Schema, func(s string) (any, error) { return strconv.ParseInt(s, 10, 64) }, nil
	case oidFloat4:
		return data.Float32Schema, func(s string) (any, error) { f, err := strconv.ParseFloat(s, 32); return float32(f), err }, nil
	case oidFloat8:
		return data.Float64Schema, func(s string) (any, error) { return strconv.ParseFloat(s, 64) }, nil
	case oidText, oidVarchar, oidBpchar, oidName, oidChar:
		return data.StringSchema, func(s string) (any, error) { return s, nil }, nil
	case oidBytea:
		return data.BytesSchema, parseBytea, nil
	case oidUUID:
		return data.StringSchema.WithName(dbzUUID).WithVersion(1), func(s string) (any, error) { return s, nil }, nil
	case oidJSON, oidJSONB:
		return data.StringSchema.WithName(dbzJSON).WithVersion(1), func(s string) (any, error) { return s, nil }, nil
	case oidNumeric:
		return mapNumeric(typmod, o.decimal)
	case oidDate:
		s := data.Int32Schema.WithName(dbzDate).WithVersion(1)
		if o.timeConnect {
			s = data.DateSchema
		}
		return s, func(v string) (any, error) {
			d, err := time.Parse("2006-01-02", v)
			if err != nil {
				return nil, err
			}
			return data.DateDays(d), nil
		}, nil
	case oidTime:
		// time(p): p ≤ 3 is milliseconds (io.debezium.time.Time, INT32) under adaptive,
		// otherwise microseconds (MicroTime, INT64); connect mode is Connect's Time (ms).
		p := timePrecision(typmod)
		switch {
		case o.timeConnect:
			return data.TimeSchema, func(v string) (any, error) { us, err := parseTimeOfDay(v); return int32(us / 1000), err }, nil
		case p <= 3:
			return data.Int32Schema.WithName(dbzTime).WithVersion(1), func(v string) (any, error) { us, err := parseTimeOfDay(v); return int32(us / 1000), err }, nil
		}
		return data.Int64Schema.WithName(dbzMicroTime).WithVersion(1), func(v string) (any, error) { return parseTimeOfDay(v) }, nil
	case oidTimestamp:
		p := timePrecision(typmod)
		switch {
		case o.timeConnect:
			return data.TimestampSchema, func(v string) (any, error) { us, err := parseTimestamp(v, false); return floorDiv(us, 1000), err }, nil
		case p <= 3:
			return data.Int64Schema.WithName(dbzTimestamp).WithVersion(1), func(v string) (any, error) { us, err := parseTimestamp(v, false); return floorDiv(us, 1000), err }, nil
		}
		return data.Int64Schema.WithName(dbzMicroTimestamp).WithVersion(1), func(v string) (any, error) { return parseTimestamp(v, false) }, nil
	case oidTimestamptz:
		return data.StringSchema.WithName(dbzZonedTimestamp).WithVersion(1), func(v string) (any, error) {
			us, err := parseTimestamp(v, true)
			if err != nil {
				return nil, err
			}
			return zonedString(us), nil
		}, nil
	}
	return nil, nil, fmt.Errorf("type %s (oid %d) is not supported; exclude the column with %s or the table with %s", t.Name, t.OID, keyColumnExclude, keyTableExclude)
}

// mapNumeric maps numeric(p,s); an unconstrained numeric is Debezium's
// VariableScaleDecimal under precise.
func mapNumeric(typmod int32, mode string) (*data.Schema, func(string) (any, error), error) {
	switch mode {
	case "double":
		return data.Float64Schema, func(s string) (any, error) { return strconv.ParseFloat(s, 64) }, nil
	case "string":
		return data.StringSchema, func(s string) (any, error) { return s, nil }, nil
	}
	if typmod < 4 {
		vs := data.StructOf(dbzVarDecimal,
			data.NewField("scale", data.Int32Schema),
			data.NewField("value", data.BytesSchema)).WithVersion(1).WithDoc("Variable scaled decimal")
		return vs, func(s string) (any, error) {
			d, err := parseNumeric(s)
			if err != nil {
				return nil, err
			}
			return data.NewStruct(vs).Put("scale", d.Scale).Put("value", data.AppendTwosComplement(nil, d.Unscaled)), nil
		}, nil
	}
	precision, scale := (typmod-4)>>16&0xffff, (typmod-4)&0xffff
	s := data.DecimalSchema(scale).WithParameter(connectPrecision, strconv.Itoa(int(precision)))
	return s, func(v string) (any, error) {
		d, err := parseNumeric(v)
		if err != nil {
			return nil, err
		}
		return d.Rescale(scale)
	}, nil
}

func parseNumeric(s string) (data.Decimal, error) {
	switch s {
	case "NaN", "Infinity", "-Infinity":
		return data.Decimal{}, fmt.Errorf("numeric %s has no Decimal form; set %s=double or string to carry it", s, keyDecimalMode)
	}
	return data.ParseDecimal(s)
}

// timePrecision returns the fractional-second digits of a time or timestamp typmod (6
// when unconstrained).
func timePrecision(typmod int32) int32 {
	if typmod < 0 {
		return 6
	}
	return typmod
}

func parseBytea(s string) (any, error) {
	if !strings.HasPrefix(s, `\x`) {
		return nil, fmt.Errorf("bytea %q is not in hex output format (set bytea_output=hex)", s)
	}
	return hex.DecodeString(s[2:])
}

// parseTimeOfDay parses "15:04:05[.ffffff]" as microseconds since midnight ("24:00:00" is
// a day's worth, as PostgreSQL allows).
func parseTimeOfDay(s string) (int64, error) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, fmt.Errorf("time %q", s)
	}
	h, err1 := strconv.Atoi(s[0:2])
	m, err2 := strconv.Atoi(s[3:5])
	sec, err3 := strconv.Atoi(s[6:8])
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, fmt.Errorf("time %q", s)
	}
	us := (int64(h)*3600 + int64(m)*60 + int64(sec)) * 1e6
	if len(s) > 8 {
		if s[8] != '.' {
			return 0, fmt.Errorf("time %q", s)
		}
		frac := s[9:]
		if len(frac) > 6 || len(frac) == 0 {
			return 0, fmt.Errorf("time %q", s)
		}
		f, err := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
		if err != nil {
			return 0, fmt.Errorf("time %q", s)
		}
		us += int64(f)
	}
	return us, nil
}

// parseTimestamp parses PostgreSQL's ISO output "2006-01-02 15:04:05[.ffffff][+hh[:mm]]"
// (with " BC" for years before 1) as microseconds since the epoch; a zone is required when
// zoned. infinity and -infinity are refused: Debezium maps them to far-off instants that
// no consumer expects.
func parseTimestamp(s string, zoned bool) (int64, error) {
	bc := strings.HasSuffix(s, " BC")
	if bc {
		return 0, fmt.Errorf("timestamp %q before year 1 is not supported", s)
	}
	if len(s) < 19 || s[10] != ' ' {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	d, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	rest := s[11:]
	offset := 0
	if zoned {
		i := strings.LastIndexAny(rest, "+-")
		if i < 8 {
			return 0, fmt.Errorf("timestamptz %q has no zone", s)
		}
		sign := 1
		if rest[i] == '-' {
			sign = -1
		}
		mult := [3]int{3600, 60, 1}
		z, more := rest[i+1:], true
		for j := 0; more; j++ { // hh[:mm[:ss]]
			if j > 2 {
				return 0, fmt.Errorf("timestamptz %q", s)
			}
			var p string
			p, z, more = strings.Cut(z, ":")
			n, err := strconv.Atoi(p)
			if err != nil {
				return 0, fmt.Errorf("timestamptz %q", s)
			}
			offset += n * mult[j]
		}
		offset *= sign
		rest = rest[:i]
	}
	tod, err := parseTimeOfDay(rest)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	return d.Unix()*1e6 + tod - int64(offset)*1e6, nil
}

// zonedString formats microseconds since the epoch as Debezium's ZonedTimestamp: ISO-8601
// in UTC with "Z", the fraction trimmed of trailing zeros.
func zonedString(us int64) string {
	t := time.UnixMicro(us).UTC()
	return t.Format("2006-01-02T15:04:05.999999Z07:00")
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// parseArray parses a one-dimensional array literal "{a,"b c",NULL}" and converts each
// element with conv.
func parseArray(s string, conv func(string) (any, error)) (any, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("array %q (only one-dimensional arrays without bounds are supported)", s)
	}
	body := s[1 : len(s)-1]
	out := []any{}
	if body == "" {
		return out, nil
	}
	for i := 0; i <= len(body); {
		var item strings.Builder
		quoted := false
		if i < len(body) && body[i] == '{' {
			return nil, fmt.Errorf("array %q: multi-dimensional arrays are not supported", s)
		}
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				item.WriteByte(body[i])
			}
			i++ // closing quote
		} else {
			for ; i < len(body) && body[i] != ','; i++ {
				item.WriteByte(body[i])
			}
		}
		v := item.String()
		if !quoted && v == "NULL" {
			out = append(out, nil)
		} else {
			x, err := conv(v)
			if err != nil {
				return nil, fmt.Errorf("array element: %w", err)
			}
			out = append(out, x)
		}
		if i >= len(body) {
			break
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("array %q", s)
		}
		i++
	}
	return out, nil
}
