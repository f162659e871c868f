package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// op is one bulk action, as Confluent's DataConverter.convertRecord builds it.
type op struct {
	kind     string // index, create, update, delete
	index    string
	id       string // "" lets Elasticsearch choose (data streams without an id)
	external bool   // version_type external with version
	version  int64
	doc      []byte // the document JSON; nil for delete
	// rec locates the record in the batch, for errors and offsets.
	rec int
}

// dataError is a record that cannot become a bulk action, as Connect's DataException.
type dataError struct{ msg string }

func (e *dataError) Error() string { return e.msg }

func dataErrorf(format string, args ...any) error { return &dataError{fmt.Sprintf(format, args...)} }

// recordString names a record as Confluent's logs do.
func recordString(r *sdk.SinkRecord) string {
	return fmt.Sprintf("record from topic=%s partition=%d offset=%d", r.Topic, r.Partition, r.Offset)
}

// converter turns sink records into bulk actions. It is the connector's DataConverter.
type converter struct {
	cfg *config
	// indexOf caches the index or data stream of each topic.
	indexOf map[string]string
}

func newConverter(cfg *config) *converter { return &converter{cfg: cfg, indexOf: map[string]string{}} }

// resource returns the index (or data stream) records of topic go to: the topic lowercased
// as Confluent's convertTopicToIndexName does, or <type>-<dataset>-<topic>.
func (c *converter) resource(topic string) string {
	if name, ok := c.indexOf[topic]; ok {
		return name
	}
	var name string
	if c.cfg.isDataStream() {
		name = strings.ToLower(fmt.Sprintf("%s-%s-%s", c.cfg.dataStreamType, c.cfg.dataStreamDataset, topic))
	} else {
		name = strings.ToLower(topic)
		if len(name) > 255 {
			name = name[:255]
		}
		if strings.HasPrefix(name, "-") || strings.HasPrefix(name, "_") {
			name = name[1:]
		}
		if name == "." || name == ".." {
			name = strings.ReplaceAll(name, ".", "dot")
		}
	}
	// The record's strings share the batch's memory: the cache keeps copies.
	name = strings.Clone(name)
	c.indexOf[strings.Clone(topic)] = name
	return name
}

// convert returns the action of record i, or ok=false when the record is skipped (a
// null value with behavior.on.null.values=ignore, or delete without a key). A
// *dataError says why the record cannot be written.
func (c *converter) convert(r *sdk.SinkRecord, i int) (o op, ok bool, err error) {
	cfg := c.cfg
	o = op{index: c.resource(r.Topic), rec: i}
	if r.Value == nil {
		switch cfg.nullValues {
		case nullIgnore:
			return o, false, nil
		case nullDelete:
			if r.Key == nil {
				return o, false, nil // nothing to delete: the key is the id
			}
		default:
			return o, false, dataErrorf("%s has a null value (to ignore future records like this change the configuration property '%s' from '%s' to '%s')",
				recordString(r), keyNullValues, "FAIL", "IGNORE")
		}
	}
	ignoreKey := cfg.ignoreKey(r.Topic)
	if ignoreKey {
		o.id = r.Topic + "+" + strconv.Itoa(int(r.Partition)) + "+" + strconv.FormatInt(r.Offset, 10)
	} else if o.id, err = keyID(r.KeySchema, r.Key); err != nil {
		return o, false, dataErrorf("%s: %v", recordString(r), err)
	}
	if r.Value == nil {
		o.kind = "delete"
		// With upsert the documents carry Elasticsearch's own versions, so an external
		// version on the delete would make a replayed delete (after a restart re-puts
		// upsert, delete) conflict with the version the replayed upsert left, and the
		// deleted document would stay. Confluent versions it anyway; we do not.
		if !cfg.isDataStream() && !ignoreKey && cfg.writeMethod != writeUpsert {
			o.external, o.version = true, r.Offset
		}
		return o, true, nil
	}
	doc, err := c.payload(r)
	if err != nil {
		return o, false, dataErrorf("%s: %v", recordString(r), err)
	}
	if cfg.isDataStream() {
		if doc, err = c.addTimestamp(doc, r); err != nil {
			return o, false, dataErrorf("%s: %v", recordString(r), err)
		}
	}
	o.doc = doc
	switch {
	case cfg.writeMethod == writeUpsert:
		o.kind = "update"
	case cfg.isDataStream():
		o.kind = "create"
	default:
		o.kind = "index"
		if !ignoreKey {
			o.external, o.version = true, r.Offset
		}
	}
	return o, true, nil
}

// keyID is the document id of a key, as Confluent's convertKey: integers and strings
// as their text; anything else refused.
func keyID(s *data.Schema, key any) (string, error) {
	if key == nil {
		return "", errors.New("Key is used as document id and can not be null.")
	}
	var t data.Type
	if s != nil {
		t = s.Type
	} else {
		switch key.(type) {
		case string:
			t = data.TypeString
		case int8, int16, int32, int64, int:
			t = data.TypeInt64
		case bool:
			t = data.TypeBoolean
		case float32, float64:
			t = data.TypeFloat64
		case []byte:
			t = data.TypeBytes
		case *data.Struct:
			t = data.TypeStruct
		case []any:
			t = data.TypeArray
		default:
			t = data.TypeMap
		}
	}
	var id string
	switch t {
	case data.TypeString:
		sv, ok := key.(string)
		if !ok {
			return "", fmt.Errorf("the key %T does not match its STRING schema", key)
		}
		id = sv
	case data.TypeInt8, data.TypeInt16, data.TypeInt32, data.TypeInt64:
		n, ok := data.AsInt64(key)
		if !ok {
			if tm, isTime := key.(time.Time); isTime { // a Date, Time or Timestamp key
				n, ok = data.LogicalInt(s, tm), true
			}
		}
		if !ok {
			return "", fmt.Errorf("the key %T does not match its %s schema", key, t)
		}
		id = strconv.FormatInt(n, 10)
	default:
		return "", fmt.Errorf("%s is not supported as the document id.", t)
	}
	if id == "" {
		return "", errors.New("Key is used as document id and can not be empty.")
	}
	return id, nil
}

// payload is the record's value as the document JSON: as Kafka's JsonConverter with
// schemas.enable=false writes it, after Confluent's preProcessSchema/preProcessValue when
// the schema is not ignored.
func (c *converter) payload(r *sdk.SinkRecord) ([]byte, error) {
	return jsonWriterFor(!c.cfg.ignoreSchema(r.Topic), c.cfg.compactMap).Append(nil, r.ValueSchema, r.Value)
}

// addTimestamp sets @timestamp on a data stream's document, as Confluent's
// maybeAddTimestamp: from the first of data.stream.timestamp.field present, else the
// record's Kafka timestamp in epoch milliseconds.
func (c *converter) addTimestamp(doc []byte, r *sdk.SinkRecord) ([]byte, error) {
	if len(doc) == 0 || doc[0] != '{' {
		return nil, errors.New("Top level payload contains data of Json type other than object. Required Json object.")
	}
	var ts []byte
	if len(c.cfg.dataStreamTSFields) > 0 {
		for _, f := range c.cfg.dataStreamTSFields {
			if v, ok := topLevelField(r, f); ok {
				ts = data.AppendJSONString(nil, v)
				break
			}
		}
		if ts == nil {
			return doc, nil // as Confluent: Elasticsearch then refuses it without @timestamp
		}
	} else {
		ts = strconv.AppendInt(nil, r.Timestamp.UnixMilli(), 10)
		if r.Timestamp.IsZero() {
			ts = []byte("null")
		}
	}
	out := make([]byte, 0, len(doc)+len(ts)+16)
	out = append(out, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"@timestamp":`...)
	out = append(out, ts...)
	return append(out, '}'), nil
}

// topLevelField returns a top-level field of the record's value as text, as Jackson's
// asText.
func topLevelField(r *sdk.SinkRecord, name string) (string, bool) {
	var v any
	switch x := r.Value.(type) {
	case *data.Struct:
		if _, ok := x.Schema().Field(name); !ok {
			return "", false
		}
		v = x.Get(name)
	case map[string]any:
		var ok bool
		if v, ok = x[name]; !ok {
			return "", false
		}
	default:
		return "", false
	}
	if s, ok := v.(string); ok {
		return s, true
	}
	return string(data.AppendJSON(nil, v)), true
}

// jsonWriterFor is how the sink writes a value: schemaless values as Go's encoding/json;
// with schema.ignore=false as Confluent's preProcessValue leaves it (decimals as doubles,
// maps as {"key","value"} entries unless compact.map.entries keeps string-keyed maps as
// objects), otherwise as JsonConverter writes it.
func jsonWriterFor(preprocess, compactMap bool) data.JSONWriter {
	w := data.JSONWriter{SchemalessAsGo: true}
	if preprocess {
		w.Decimals = data.DecimalDouble
		w.KeyValueEntries = true
		w.StringMapsAsEntries = !compactMap
	}
	return w
}
