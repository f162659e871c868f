package convert

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unsafe"
	"weak"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

const envelopeError = `JsonConverter with schemas.enable requires "schema" and "payload" fields and may not ` +
	`contain additional fields. If you are trying to deserialize plain JSON data, set ` +
	`schemas.enable=false in your converter configuration.`

// jsonConverter is Kafka Connect's JsonConverter. Settings: schemas.enable (default true),
// schemas.cache.size (default 1000), decimal.format (BASE64 or NUMERIC, default BASE64),
// replace.null.with.default (default true).
type jsonConverter struct {
	schemas bool
	w       jsonWriter

	mu        sync.Mutex
	cache     map[string]*pluginv1.Schema // schema JSON text → parsed schema
	cacheSize int

	// The JSON of the schemas written last, by schema: a source's records share a few
	// schemas (a batch's records share one *Schema each), which Kafka's JsonConverter
	// also renders once (its fromConnectSchema cache). Weak pointers, so a cached entry
	// keeps neither the schema nor the batch it was decoded from alive.
	writtenMu   sync.Mutex
	written     [8]writtenSchema
	nextWritten int
}

// writtenSchema is a schema's JSON as jsonWriter.appendSchema writes it.
type writtenSchema struct {
	addr uintptr // s's address, to skip other entries without resolving their weak pointer
	s    weak.Pointer[pluginv1.Schema]
	json []byte
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func newJSON(props map[string]string, _ bool) (Converter, error) {
	c := &jsonConverter{cacheSize: 1000}
	var err error
	if c.schemas, err = boolProp(props, "schemas.enable", true); err != nil {
		return nil, err
	}
	if c.w.replaceNull, err = boolProp(props, "replace.null.with.default", true); err != nil {
		return nil, err
	}
	if v, ok := props["schemas.cache.size"]; ok {
		n, ok := kc.ParseInt(v)
		if !ok {
			return nil, kc.CheckConfigValue(kc.TypeInt, "schemas.cache.size", v)
		}
		if n < 0 {
			return nil, fmt.Errorf("invalid value %q for schemas.cache.size: expected a non-negative integer", v)
		}
		c.cacheSize = int(n)
	}
	switch f := strings.ToUpper(strings.TrimSpace(props["decimal.format"])); f {
	case "", "BASE64":
	case "NUMERIC":
		c.w.numericDecimal = true
	default:
		return nil, fmt.Errorf("invalid value %q for decimal.format: expected BASE64 or NUMERIC", props["decimal.format"])
	}
	return c, nil
}

func (c *jsonConverter) FromConnect(_ string, schema *pluginv1.Schema, v *pluginv1.Value) ([]byte, error) {
	if isNull(v) {
		return nil, nil
	}
	if schema != nil && schema.Type == pluginv1.Schema_TYPE_UNSPECIFIED {
		schema = nil
	}
	return c.write(schema, func(buf []byte) ([]byte, error) { return c.w.appendValue(buf, schema, v) })
}

// write returns what payload appends to a buffer, inside the {"schema","payload"}
// envelope of schema when schemas.enable is on.
func (c *jsonConverter) write(schema *pluginv1.Schema, payload func([]byte) ([]byte, error)) ([]byte, error) {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	var err error
	if c.schemas {
		buf = append(buf, `{"schema":`...)
		if buf, err = c.appendSchema(buf, schema); err != nil {
			return nil, c.release(bp, buf, fmt.Errorf("schema: %w", err))
		}
		buf = append(buf, `,"payload":`...)
	}
	if buf, err = payload(buf); err != nil {
		return nil, c.release(bp, buf, err)
	}
	if c.schemas {
		buf = append(buf, '}')
	}
	out := make([]byte, len(buf))
	copy(out, buf)
	return out, c.release(bp, buf, nil)
}

// appendSchema appends s as c.w.appendSchema does, from the cache of written schemas
// when s is one of them. Schemas are read-only once a record holds them.
func (c *jsonConverter) appendSchema(dst []byte, s *pluginv1.Schema) ([]byte, error) {
	if s == nil {
		return c.w.appendSchema(dst, s)
	}
	addr := uintptr(unsafe.Pointer(s))
	c.writtenMu.Lock()
	for i := range c.written {
		if w := &c.written[i]; w.addr == addr && w.s.Value() == s {
			dst = append(dst, w.json...)
			c.writtenMu.Unlock()
			return dst, nil
		}
	}
	c.writtenMu.Unlock()
	start := len(dst)
	dst, err := c.w.appendSchema(dst, s)
	if err != nil {
		return dst, err
	}
	w := writtenSchema{addr: addr, s: weak.Make(s), json: bytes.Clone(dst[start:])}
	c.writtenMu.Lock()
	c.written[c.nextWritten] = w
	c.nextWritten = (c.nextWritten + 1) % len(c.written)
	c.writtenMu.Unlock()
	return dst, nil
}

func (c *jsonConverter) release(bp *[]byte, buf []byte, err error) error {
	if cap(buf) <= 1<<20 {
		*bp = buf[:0]
		bufPool.Put(bp)
	}
	return err
}

func (c *jsonConverter) ToConnect(_ string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	r := &jsonReader{data: data, replaceNull: c.w.replaceNull}
	if !c.schemas {
		v, err := r.schemaless()
		if err == nil {
			err = r.end()
		}
		if err != nil {
			return nil, nil, err
		}
		if isNull(v) {
			v = nil
		}
		return nil, v, nil
	}
	schemaText, payload, err := r.envelope()
	if err != nil {
		return nil, nil, err
	}
	pr := &jsonReader{data: payload, replaceNull: c.w.replaceNull}
	if string(schemaText) == "null" {
		v, err := pr.schemaless()
		if err != nil {
			return nil, nil, fmt.Errorf("payload: %w", err)
		}
		if isNull(v) {
			v = nil
		}
		return nil, v, nil
	}
	schema, err := c.schemaOf(schemaText)
	if err != nil {
		return nil, nil, fmt.Errorf("schema: %w", err)
	}
	v, err := pr.typed(schema)
	if err != nil {
		return nil, nil, fmt.Errorf("payload: %w", err)
	}
	return schema, v, nil
}

// envelope splits {"schema":…,"payload":…} into the two values' text.
func (r *jsonReader) envelope() (schema, payload []byte, err error) {
	if r.peek() != '{' {
		return nil, nil, fmt.Errorf("%s", envelopeError)
	}
	r.pos++
	for r.peek() != '}' {
		k, err := r.strBytes()
		if err != nil {
			return nil, nil, err
		}
		if err := r.expect(':'); err != nil {
			return nil, nil, err
		}
		v, err := r.skip()
		if err != nil {
			return nil, nil, err
		}
		switch {
		case string(k) == "schema" && schema == nil:
			schema = v
		case string(k) == "payload" && payload == nil:
			payload = v
		default:
			return nil, nil, fmt.Errorf("%s", envelopeError)
		}
		if r.peek() == ',' {
			r.pos++
		} else if r.peek() != '}' {
			return nil, nil, r.expect('}')
		}
	}
	r.pos++
	if err := r.end(); err != nil {
		return nil, nil, err
	}
	if schema == nil || payload == nil {
		return nil, nil, fmt.Errorf("%s", envelopeError)
	}
	return schema, payload, nil
}

// schemaOf parses a schema, remembering up to cacheSize of them by their text: a topic's
// records nearly always repeat the same schema.
func (c *jsonConverter) schemaOf(text []byte) (*pluginv1.Schema, error) {
	c.mu.Lock()
	s, ok := c.cache[string(text)]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	r := &jsonReader{data: text}
	s, err := r.schema()
	if err != nil {
		return nil, err
	}
	if c.cacheSize > 0 {
		c.mu.Lock()
		if c.cache == nil || len(c.cache) >= c.cacheSize {
			c.cache = make(map[string]*pluginv1.Schema)
		}
		c.cache[string(text)] = s
		c.mu.Unlock()
	}
	return s, nil
}
