package sdk

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// SourceRecord is one record a source task produces, as Kafka Connect's SourceRecord.
type SourceRecord struct {
	// SourcePartition names the part of the outside system the record comes from (a file,
	// a table, a shard), e.g. {"filename": "/var/log/app.log"}. Records of one partition
	// should share one Partition map: the SDK encodes a shared map once per batch.
	SourcePartition Partition
	// SourceOffset is the record's position in its source partition, e.g.
	// sdk.IntOffset("position", 4096); the task gets the last committed one when it
	// opens (TaskContext.Offset).
	SourceOffset Offset
	// Topic is the Kafka topic to write to.
	Topic string
	// KafkaPartition is the Kafka partition to write to; nil lets the producer's
	// partitioner choose (by key).
	KafkaPartition *int32
	Key            any
	KeySchema      *data.Schema
	Value          any
	ValueSchema    *data.Schema
	// Timestamp is the record's time; the zero time means none (the producer's clock).
	Timestamp time.Time
	Headers   []Header
}

// SinkRecord is one record a sink task receives, consumed from Kafka, as Kafka
// Connect's SinkRecord. Its key, value and headers are as the connector's converters
// read them.
type SinkRecord struct {
	Topic       string
	Partition   int32
	Offset      int64
	Key         any
	KeySchema   *data.Schema
	Value       any
	ValueSchema *data.Schema
	// Timestamp is the record's Kafka timestamp; zero when it has none.
	Timestamp time.Time
	Headers   []Header
}

// Header is one record header: a key and a value with an optional schema.
type Header struct {
	Key    string
	Value  any
	Schema *data.Schema
}

// TopicPartition is a Kafka topic partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// PartitionOf returns a pointer to p, for [SourceRecord.KafkaPartition].
func PartitionOf(p int32) *int32 { return &p }

// Partition is a source partition: Kafka Connect's sourcePartition map. Values are
// strings, numbers, booleans or nil (what JSON holds).
type Partition map[string]any

// Offset is a source offset: Kafka Connect's sourceOffset map, with typed getters. Make
// one with [IntOffset] or [StringOffset] (one key, no allocation: the common case of a
// position, a sequence number, a log position) or [OffsetOf] (any number of keys). The
// zero Offset is none.
type Offset struct {
	key  string
	num  int64
	str  string
	kind offsetKind
	m    map[string]any
}

type offsetKind uint8

const (
	offsetNone offsetKind = iota
	offsetInt
	offsetString
	offsetMap
)

// IntOffset returns the offset {key: v}.
func IntOffset(key string, v int64) Offset { return Offset{key: key, num: v, kind: offsetInt} }

// StringOffset returns the offset {key: v}.
func StringOffset(key, v string) Offset { return Offset{key: key, str: v, kind: offsetString} }

// OffsetOf returns the offset m, whose values are strings, numbers, booleans or nil
// (what JSON holds). m is used as it is: do not change it afterwards.
func OffsetOf(m map[string]any) Offset { return Offset{m: m, kind: offsetMap} }

// IsZero reports whether o is no offset.
func (o Offset) IsZero() bool { return o.kind == offsetNone || (o.kind == offsetMap && o.m == nil) }

// Get returns the value at key.
func (o Offset) Get(key string) (any, bool) {
	switch o.kind {
	case offsetInt:
		return o.num, key == o.key
	case offsetString:
		return o.str, key == o.key
	case offsetMap:
		v, ok := o.m[key]
		return v, ok
	}
	return nil, false
}

// Map returns o as a map (a new one for the one-key forms).
func (o Offset) Map() map[string]any {
	switch o.kind {
	case offsetInt:
		return map[string]any{o.key: o.num}
	case offsetString:
		return map[string]any{o.key: o.str}
	}
	return o.m
}

// String returns the string at key.
func (o Offset) String(key string) (string, bool) {
	if o.kind == offsetString {
		return o.str, key == o.key
	}
	return getString(o.m, key)
}

// Int returns the integer at key (false when it is absent or not an integer).
func (o Offset) Int(key string) (int64, bool) {
	if o.kind == offsetInt {
		return o.num, key == o.key
	}
	return getInt(o.m, key)
}

// Float returns the number at key.
func (o Offset) Float(key string) (float64, bool) {
	if o.kind == offsetInt && key == o.key {
		return float64(o.num), true
	}
	switch v := o.m[key].(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case float32:
		return float64(v), true
	}
	if n, ok := data.AsInt64(o.m[key]); ok {
		return float64(n), true
	}
	return 0, false
}

// Bool returns the boolean at key.
func (o Offset) Bool(key string) (bool, bool) { v, ok := o.m[key].(bool); return v, ok }

// MarshalJSON writes o as the JSON object it is stored as.
func (o Offset) MarshalJSON() ([]byte, error) { return o.appendJSON(nil) }

func (o Offset) appendJSON(b []byte) ([]byte, error) {
	switch o.kind {
	case offsetInt:
		b = append(b, '{')
		b = appendMarshaled(b, o.key)
		b = append(b, ':')
		b = strconv.AppendInt(b, o.num, 10)
		return append(b, '}'), nil
	case offsetString:
		b = append(b, '{')
		b = appendMarshaled(b, o.key)
		b = append(b, ':')
		b = appendMarshaled(b, o.str)
		return append(b, '}'), nil
	}
	return appendSourceMap(b, o.m)
}

// String returns the string at key.
func (p Partition) String(key string) (string, bool) { return getString(p, key) }

// Int returns the integer at key.
func (p Partition) Int(key string) (int64, bool) { return getInt(p, key) }

func getString(m map[string]any, key string) (string, bool) {
	v, ok := m[key].(string)
	return v, ok
}

func getInt(m map[string]any, key string) (int64, bool) {
	switch v := m[key].(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		return n, err == nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
		return 0, false
	}
	return data.AsInt64(m[key])
}

// CommittedOffset is a source partition's position the kernel has durably committed.
type CommittedOffset struct {
	Partition Partition
	Offset    Offset
}
