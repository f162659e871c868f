package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/kc"
	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// ttlHeader is the record header that sets a key's time to live in seconds, overriding
// redis.key.ttl, as Redis Inc's connector reads it.
const ttlHeader = "redis.key.ttl"

// op is the Redis command one record becomes.
type op struct {
	args []any // the command and its arguments, strings and []byte
	key  string
	ttl  int64 // seconds to EXPIRE key after the command; 0 none
	rec  int   // the record's index in its batch
}

// recordError is a record the connector cannot write, whatever Redis's state: a key or
// value of the wrong type for redis.type, or a command Redis refuses for the data (such as
// WRONGTYPE). The kernel's errors.tolerance decides whether it fails the task or goes to
// the dead letter queue.
type recordError struct {
	rec *sdk.SinkRecord
	msg string
}

func (e *recordError) Error() string {
	return fmt.Sprintf("record %s-%d@%d: %s", e.rec.Topic, e.rec.Partition, e.rec.Offset, e.msg)
}

// builder turns sink records into Redis commands as Redis Inc's RedisSinkTask does (or,
// for jcustenborder's class, SET and DEL of the key's bytes).
type builder struct {
	cfg *config
	// spaces caches the key space of each topic (redis.keyspace with ${topic} replaced).
	spaces map[string]string
	warn   func(msg string, args ...any)
	// args backs the commands' arguments of one batch (see [builder.argsOf]); scratch
	// formats keys.
	args    []any
	scratch []byte
}

// reset readies b for a new batch, dropping the last batch's arguments (which refer to
// its records' memory).
func (b *builder) reset() {
	clear(b.args)
	b.args = b.args[:0]
}

// argsOf returns the command a (…) in b's arena: one allocation per batch, not per record.
func (b *builder) argsOf(a ...any) []any {
	n := len(b.args)
	if n+len(a) > cap(b.args) {
		// A new arena; the commands built so far keep the old one.
		b.args = make([]any, 0, max(2*cap(b.args), 4096*3, len(a)))
		n = 0
	}
	b.args = append(b.args, a...)
	return b.args[n : n+len(a) : n+len(a)]
}

func newBuilder(cfg *config, warn func(string, ...any)) *builder {
	return &builder{cfg: cfg, spaces: map[string]string{}, warn: warn}
}

// keyspace returns the key space of topic.
func (b *builder) keyspace(topic string) string {
	if s, ok := b.spaces[topic]; ok {
		return s
	}
	s := strings.ReplaceAll(b.cfg.keyspace, topicToken, topic)
	b.spaces[strings.Clone(topic)] = strings.Clone(s) // record strings share the batch's memory
	return s
}

// build returns the command of records[i]; ok is false for a record that writes nothing
// (a tombstone on a stream or time series, as upstream ignores them).
func (b *builder) build(r *sdk.SinkRecord, i int) (op, bool, error) {
	c := b.cfg
	bad := func(format string, args ...any) (op, bool, error) {
		return op{}, false, &recordError{rec: r, msg: fmt.Sprintf(format, args...)}
	}
	switch c.kind {
	case kindString, kindHash, kindJSON, kindDel:
		key, err := b.recordKey(r)
		if err != nil {
			return bad("%v", err)
		}
		if r.Value == nil || c.kind == kindDel {
			return op{args: b.argsOf("DEL", key), key: key, rec: i}, true, nil
		}
		var args []any
		switch c.kind {
		case kindString:
			v, ok := rawBytes(r.Value)
			if !ok {
				if c.kv {
					return bad("the value must be a string or bytes, not %s (this connector sets the key's bytes to the value's bytes): use the StringConverter or ByteArrayConverter as value.converter, or an SMT that makes it one", typeName(r.Value))
				}
				return bad("redis.type=STRING needs a string or bytes value, not %s: use the StringConverter or ByteArrayConverter as value.converter, or redis.type=HASH/JSON for structured values", typeName(r.Value))
			}
			args = b.argsOf("SET", key, v)
		case kindHash:
			fields, err := fieldArgs(r.Value)
			if err != nil {
				return bad("redis.type=HASH: %v", err)
			}
			if len(fields) == 0 {
				return bad("redis.type=HASH: the value has no non-null field, and a hash needs at least one")
			}
			args = append([]any{"HSET", key}, fields...)
		case kindJSON:
			args = []any{"JSON.SET", key, "$", jsonBytes(r.Value)}
		}
		return op{args: args, key: key, ttl: b.ttl(r), rec: i}, true, nil

	case kindList, kindSet, kindZSet:
		key := b.keyspace(r.Topic)
		member, ok := rawBytes(r.Key)
		if !ok {
			return bad("redis.type=%s adds the record key as a member: it must be a string or bytes, not %s (use the StringConverter or ByteArrayConverter as key.converter)", c.kind, typeName(r.Key))
		}
		var args []any
		switch {
		case c.kind == kindList && r.Value == nil:
			args = b.argsOf("LREM", key, "0", member)
		case c.kind == kindList:
			push := "RPUSH"
			if c.lpush {
				push = "LPUSH"
			}
			args = b.argsOf(push, key, member)
		case c.kind == kindSet && r.Value == nil:
			args = b.argsOf("SREM", key, member)
		case c.kind == kindSet:
			args = b.argsOf("SADD", key, member)
		case r.Value == nil:
			args = b.argsOf("ZREM", key, member)
		default:
			score, ok := number(r.Value)
			if !ok {
				return bad("redis.type=ZSET takes the score from the value: it must be a number, not %s", typeName(r.Value))
			}
			args = b.argsOf("ZADD", key, score, member)
		}
		t := int64(0)
		if r.Value != nil {
			t = b.ttl(r)
		}
		return op{args: args, key: key, ttl: t, rec: i}, true, nil

	case kindStream:
		if r.Value == nil {
			return op{}, false, nil
		}
		key := b.keyspace(r.Topic)
		fields, err := fieldArgs(r.Value)
		if err != nil {
			return bad("redis.type=STREAM: %v", err)
		}
		if len(fields) == 0 {
			return bad("redis.type=STREAM: the value has no non-null field, and a stream entry needs at least one")
		}
		return op{args: append([]any{"XADD", key, "*"}, fields...), key: key, ttl: b.ttl(r), rec: i}, true, nil

	case kindTimeSeries:
		if r.Value == nil {
			return op{}, false, nil
		}
		key := b.keyspace(r.Topic)
		ts, ok := data.AsInt64(r.Key)
		if !ok {
			return bad("redis.type=TIMESERIES takes the sample time in milliseconds from the record key: it must be an integer, not %s", typeName(r.Key))
		}
		v, ok := number(r.Value)
		if !ok {
			return bad("redis.type=TIMESERIES takes the sample from the value: it must be a number, not %s", typeName(r.Value))
		}
		return op{args: []any{"TS.ADD", key, strconv.FormatInt(ts, 10), v}, key: key, ttl: b.ttl(r), rec: i}, true, nil
	}
	return bad("unknown kind %d", c.kind)
}

// recordKey is the Redis key of a STRING, HASH or JSON record: the key space, the
// separator and the record key as text; with an empty key space, the key's bytes alone.
func (b *builder) recordKey(r *sdk.SinkRecord) (string, error) {
	if r.Key == nil {
		if b.cfg.kv {
			return "", fmt.Errorf("the record key is null, and the key is the Redis key: give the records keys (or drop keyless ones with a Filter SMT)")
		}
		return "", fmt.Errorf("the record key is null, and redis.type=%s writes one Redis key per record key: give the records keys (or drop keyless ones with a Filter SMT)", b.cfg.kind)
	}
	if b.cfg.keyspace == "" {
		k, ok := rawBytes(r.Key)
		if !ok {
			what := "with an empty redis.keyspace the record key is the Redis key"
			if b.cfg.kv {
				what = "the record key is the Redis key"
			}
			return "", fmt.Errorf("%s: it must be a string or bytes, not %s (use the StringConverter or ByteArrayConverter as key.converter)", what, typeName(r.Key))
		}
		var key string
		switch x := k.(type) {
		case string:
			key = x
		case []byte:
			key = string(x)
		}
		if key == "" {
			return "", fmt.Errorf("the record key is empty, which is no Redis key")
		}
		return key, nil
	}
	space := b.keyspace(r.Topic)
	if k, ok := r.Key.(string); ok {
		return space + b.cfg.separator + k, nil
	}
	var sb strings.Builder
	sb.Grow(len(space) + len(b.cfg.separator) + 20)
	sb.WriteString(space)
	sb.WriteString(b.cfg.separator)
	sb.Write(appendText(b.scratch[:0], r.Key))
	return sb.String(), nil
}

// ttl is the time to live of the record's key: its redis.key.ttl header, else the
// config's; 0 none.
func (b *builder) ttl(r *sdk.SinkRecord) int64 {
	for _, h := range r.Headers {
		if h.Key != ttlHeader {
			continue
		}
		var s string
		switch v := h.Value.(type) {
		case string:
			s = v
		case []byte:
			s = string(v)
		default:
			if n, ok := data.AsInt64(v); ok {
				s = strconv.FormatInt(n, 10)
			}
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			if n > 0 {
				return n
			}
			break
		}
		b.warn("ignoring a redis.key.ttl header that is not a number of seconds", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset)
	}
	return max(b.cfg.ttl, 0)
}

// rawBytes returns a string or bytes value as bytes (strings without a copy).
func rawBytes(v any) (any, bool) {
	switch v.(type) {
	case string, []byte:
		return v, true // the interface as it is: no new allocation
	}
	return nil, false
}

// number returns a numeric value as Redis reads a score or a sample: Java's
// Double.toString of it, or the integer.
func number(v any) (string, bool) {
	switch x := v.(type) {
	case float64:
		return kc.FormatDouble(x), true
	case float32:
		return kc.FormatFloat(x), true
	case data.Decimal:
		return x.String(), true
	}
	if n, ok := data.AsInt64(v); ok {
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// fieldArgs returns a struct's or a map's fields as HSET/XADD field-value arguments,
// in field order (maps: sorted by key). Null fields are left out: Redis has no null.
func fieldArgs(v any) ([]any, error) {
	switch x := v.(type) {
	case *data.Struct:
		fs := x.Schema().Fields
		out := make([]any, 0, 2*len(fs))
		for i, f := range fs {
			fv := x.At(i)
			if fv == nil {
				continue
			}
			out = append(out, f.Name, fieldText(fv))
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k, fv := range x {
			if fv != nil {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		out := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			out = append(out, k, fieldText(x[k]))
		}
		return out, nil
	case data.Map:
		out := make([]any, 0, 2*len(x))
		for _, e := range x {
			if e.Value == nil {
				continue
			}
			out = append(out, string(appendText(nil, e.Key)), fieldText(e.Value))
		}
		return out, nil
	}
	return nil, fmt.Errorf("the value becomes the fields: it must be a struct or a map (JsonConverter, Avro, …), not %s", typeName(v))
}

// fieldText is a field's value as text: strings and bytes as they are, numbers and
// booleans as Java prints them, anything nested as JSON.
func fieldText(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return x
	}
	return string(appendText(nil, v))
}

// appendText appends a scalar as Java's String.valueOf prints it (Double.toString for
// floating point), times as RFC 3339, nested values as JSON.
func appendText(dst []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(dst, x...)
	case []byte:
		return append(dst, x...)
	case bool:
		return strconv.AppendBool(dst, x)
	case float64:
		return kc.AppendDouble(dst, x)
	case float32:
		return kc.AppendFloat(dst, x)
	case data.Decimal:
		return append(dst, x.String()...)
	case time.Time:
		return x.UTC().AppendFormat(dst, time.RFC3339Nano)
	}
	if n, ok := data.AsInt64(v); ok {
		return strconv.AppendInt(dst, n, 10)
	}
	return data.AppendJSON(dst, v)
}

// jsonBytes is a JSON.SET value: strings and bytes as they are (already JSON, as the
// StringConverter or ByteArrayConverter read them), anything else as JSON.
func jsonBytes(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return x
	}
	return data.AppendJSON(nil, v)
}

// typeName names a value's type for messages, in Connect's terms.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []byte:
		return "bytes"
	case bool:
		return "a boolean"
	case float32, float64:
		return "a floating-point number"
	case *data.Struct:
		return "a struct"
	case map[string]any, data.Map:
		return "a map"
	case []any:
		return "an array"
	case data.Decimal:
		return "a decimal"
	case time.Time:
		return "a time"
	}
	if _, ok := data.AsInt64(v); ok {
		return "an integer"
	}
	return fmt.Sprintf("%T", v)
}
