package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// partitioner names the directory a record's file goes to, as storage-common's
// DefaultPartitioner, FieldPartitioner and TimeBasedPartitioner (with Daily and Hourly)
// encode a partition.
type partitioner struct {
	cfg *config
	buf []byte
	// last is DefaultPartitioner's encoding of lastPartition: a writer sees one Kafka
	// partition, so it is made once.
	last          string
	lastPartition int32
}

// encode returns the record's encoded partition: partition=<p>, <field>=<value>[/…], or
// the path.format of its time bucket. now is the wall clock in ms, for Wallclock.
func (p *partitioner) encode(r *sdk.SinkRecord, now int64) (string, error) {
	switch p.cfg.partitioner {
	case pField:
		return p.fieldPartition(r)
	case pTime:
		ts, err := extractTime(p.cfg, r, now)
		if err != nil {
			return "", err
		}
		b := bucketStart(ts, p.cfg.durationMs, p.cfg.location)
		p.buf = p.cfg.pathFormat.appendFormat(p.buf[:0], b)
		return string(p.buf), nil
	}
	if p.last == "" || p.lastPartition != r.Partition {
		p.last, p.lastPartition = "partition="+strconv.Itoa(int(r.Partition)), r.Partition
	}
	return p.last, nil
}

// fieldPartition is FieldPartitioner.encodePartition: the value must be a struct; each
// field becomes name=value (an integer, string or boolean), joined by directory.delim.
func (p *partitioner) fieldPartition(r *sdk.SinkRecord) (string, error) {
	st, ok := r.Value.(*data.Struct)
	if !ok {
		return "", fmt.Errorf("Error encoding partition: FieldPartitioner needs a struct value (with a schema), not %s", describe(r.Value))
	}
	p.buf = p.buf[:0]
	for i, name := range p.cfg.fields {
		if i > 0 {
			p.buf = append(p.buf, p.cfg.dirDelim...)
		}
		f, v, ok := nestedField(st, name)
		if !ok {
			return "", fmt.Errorf("Field '%s' is not present in the schema.", name)
		}
		if v == nil {
			p.buf = append(p.buf, name+"=null"...)
			continue
		}
		p.buf = append(p.buf, name...)
		p.buf = append(p.buf, '=')
		switch f.Type {
		case data.TypeInt8, data.TypeInt16, data.TypeInt32, data.TypeInt64:
			n, _ := data.AsInt64(v)
			p.buf = strconv.AppendInt(p.buf, n, 10)
		case data.TypeString:
			s, _ := v.(string)
			p.buf = append(p.buf, s...)
		case data.TypeBoolean:
			b, _ := v.(bool)
			p.buf = strconv.AppendBool(p.buf, b)
		default:
			return "", fmt.Errorf("Error encoding partition: type %s of field '%s' is not supported as a partition key", f.Type, name)
		}
	}
	return string(p.buf), nil
}

// nestedField returns the schema and value of a dotted field path in st.
func nestedField(st *data.Struct, path string) (*data.Schema, any, bool) {
	var v any = st
	var s *data.Schema
	for _, name := range strings.Split(path, ".") {
		cur, ok := v.(*data.Struct)
		if !ok {
			return nil, nil, false
		}
		f, ok := cur.Schema().Field(name)
		if !ok {
			return nil, nil, false
		}
		s, v = f.Schema, cur.At(f.Index)
	}
	return s, v, true
}

// nestedMapValue returns a dotted field path's value in a schemaless map.
func nestedMapValue(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, name := range strings.Split(path, ".") {
		cur, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = cur[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

var numericTimestamp = regexp.MustCompile(`^-?[0-9]{1,19}$`)

// extractTime is the timestamp.extractor's time of a record, in epoch ms: the wall
// clock now, the record's Kafka timestamp, or a field of its value (an integer, a
// Timestamp, or a string of digits or ISO-8601).
func extractTime(cfg *config, r *sdk.SinkRecord, now int64) (int64, error) {
	switch cfg.extractor {
	case extractorRecord:
		if r.Timestamp.IsZero() {
			return 0, fmt.Errorf("Unable to determine timestamp using timestamp.extractor Record for record %s: it has no timestamp", where(r))
		}
		return r.Timestamp.UnixMilli(), nil
	case extractorField:
		return fieldTime(cfg.tsField, r)
	}
	return now, nil
}

func fieldTime(field string, r *sdk.SinkRecord) (int64, error) {
	fail := func(why string) (int64, error) {
		return 0, fmt.Errorf("Error extracting timestamp from record field: %s (%s) of record %s", field, why, where(r))
	}
	var v any
	switch x := r.Value.(type) {
	case *data.Struct:
		s, fv, ok := nestedField(x, field)
		if !ok {
			return fail("no such field")
		}
		if s.Name == data.TimestampName {
			if t, ok := fv.(time.Time); ok {
				return t.UnixMilli(), nil
			}
		}
		switch s.Type {
		case data.TypeInt32, data.TypeInt64, data.TypeString:
		default:
			return fail("unsupported type " + s.Type.String())
		}
		v = fv
	case map[string]any:
		fv, ok := nestedMapValue(x, field)
		if !ok {
			return fail("no such field")
		}
		v = fv
	default:
		return 0, fmt.Errorf("Error encoding partition: the value of record %s is not a struct or map", where(r))
	}
	switch x := v.(type) {
	case string:
		if numericTimestamp.MatchString(x) {
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n, nil
			}
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UnixMilli(), nil
			}
		}
		return fail(fmt.Sprintf("%q is not a number of milliseconds or an ISO-8601 time", x))
	case time.Time:
		return x.UnixMilli(), nil
	case float64:
		return int64(x), nil
	case nil:
		return fail("null")
	}
	if n, ok := data.AsInt64(v); ok {
		return n, nil
	}
	return fail(fmt.Sprintf("unsupported value %s", describe(v)))
}

// where names a record as topic-partition@offset.
func where(r *sdk.SinkRecord) string {
	return r.Topic + "-" + strconv.Itoa(int(r.Partition)) + "@" + strconv.FormatInt(r.Offset, 10)
}

// describe names the kind of a value for errors.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []byte:
		return "bytes"
	case map[string]any, data.Map:
		return "a map"
	case []any:
		return "an array"
	case *data.Struct:
		return "a struct"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("a %T", v)
}
