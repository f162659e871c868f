package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Converter turns one record key or value between Kafka bytes and Connect data. A
// Converter is safe for concurrent use. The Schema values ToConnect returns may be shared
// between calls and must not be modified.
type Converter interface {
	// FromConnect serializes v, described by schema (nil when schemaless), for topic. A nil
	// Value, or one with no kind set, is a Kafka null: FromConnect returns nil bytes. The
	// bytes may share memory with v (a string or bytes value as is): read them only.
	FromConnect(topic string, schema *pluginv1.Schema, v *pluginv1.Value) ([]byte, error)
	// ToConnect parses data read from topic. A Kafka null (nil data) yields a nil Value.
	ToConnect(topic string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error)
}

// The Kafka Connect class names of the converters this package implements.
const (
	StringConverterClass    = "org.apache.kafka.connect.storage.StringConverter"
	JSONConverterClass      = "org.apache.kafka.connect.json.JsonConverter"
	ByteArrayConverterClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
)

// DefaultClass is the converter used when neither the connector nor the worker names one,
// as in Kafka Connect's shipped connect-distributed.properties.
const DefaultClass = JSONConverterClass

type factory func(props map[string]string, isKey bool) (Converter, error)

var classes = map[string]factory{
	StringConverterClass:    newString,
	JSONConverterClass:      newJSON,
	ByteArrayConverterClass: newByteArray,
}

var aliases = map[string]string{
	"string":    StringConverterClass,
	"json":      JSONConverterClass,
	"bytearray": ByteArrayConverterClass,
}

// Classes returns the converter class names New accepts, sorted, followed by their short
// aliases.
func Classes() []string {
	out := make([]string, 0, len(classes)+len(aliases))
	for c := range classes {
		out = append(out, c)
	}
	sort.Strings(out)
	as := make([]string, 0, len(aliases))
	for a := range aliases {
		as = append(as, a)
	}
	sort.Strings(as)
	return append(out, as...)
}

// ClassName returns the Kafka Connect class name a converter alias ("string", "json",
// "bytearray", "simple") stands for; any other name is returned as it is, trimmed.
func ClassName(class string) string {
	name := strings.TrimSpace(class)
	if strings.EqualFold(name, "simple") {
		return SimpleHeaderConverterClass
	}
	if full, ok := aliases[strings.ToLower(name)]; ok {
		return full
	}
	return name
}

// New returns the converter of the named class (a Kafka Connect class name or a short alias:
// "string", "json", "bytearray"), configured with props: the converter's settings with the
// "key.converter." or "value.converter." prefix stripped. isKey tells a key converter from a
// value converter.
func New(class string, props map[string]string, isKey bool) (Converter, error) {
	name := strings.TrimSpace(class)
	if full, ok := aliases[strings.ToLower(name)]; ok {
		name = full
	}
	f, ok := classes[name]
	if !ok {
		return nil, fmt.Errorf("unknown converter class %q; known: %s", class, strings.Join(Classes(), ", "))
	}
	c, err := f(props, isKey)
	if err != nil {
		return nil, fmt.Errorf("converter %s: %w", name, err)
	}
	return c, nil
}

// Configure builds a task's key and value converters. The class comes from the connector
// config (cfg: "key.converter", "value.converter"), else from the worker defaults, else
// DefaultClass. Settings are the keys under "key.converter." / "value.converter.":
//
//   - when the connector names the class, only the connector's settings apply, as in Kafka
//     Connect (the worker's settings belong to the worker's converter);
//   - when the class comes from the worker, the worker's settings apply, and settings the
//     connector gives under the same prefix override them (Kafka Connect would ignore them).
func Configure(cfg, defaults map[string]string) (key, value Converter, err error) {
	key, err = configureOne("key.converter", cfg, defaults, true)
	if err != nil {
		return nil, nil, err
	}
	value, err = configureOne("value.converter", cfg, defaults, false)
	if err != nil {
		return nil, nil, err
	}
	return key, value, nil
}

func configureOne(prop string, cfg, defaults map[string]string, isKey bool) (Converter, error) {
	prefix := prop + "."
	var class string
	props := map[string]string{}
	if c := strings.TrimSpace(cfg[prop]); c != "" {
		class = c
	} else {
		class = strings.TrimSpace(defaults[prop])
		if class == "" {
			class = DefaultClass
		}
		copyPrefixed(props, defaults, prefix)
	}
	copyPrefixed(props, cfg, prefix)
	c, err := New(class, props, isKey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prop, err)
	}
	return c, nil
}

func copyPrefixed(dst, src map[string]string, prefix string) {
	for k, v := range src {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			dst[rest] = v
		}
	}
}

// boolProp reads a BOOLEAN setting as Kafka's ConfigDef does (kc.ParseBool), refusing
// anything else in ConfigDef's words.
func boolProp(props map[string]string, key string, def bool) (bool, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	if b, ok := kc.ParseBool(v); ok {
		return b, nil
	}
	return false, kc.CheckConfigValue(kc.TypeBoolean, key, v)
}

// KindName names a Value's kind for error messages.
func KindName(v *pluginv1.Value) string {
	switch v.GetKind().(type) {
	case nil:
		return "null"
	case *pluginv1.Value_BoolValue:
		return "boolean"
	case *pluginv1.Value_IntValue:
		return "integer"
	case *pluginv1.Value_DoubleValue:
		return "double"
	case *pluginv1.Value_StringValue:
		return "string"
	case *pluginv1.Value_BytesValue:
		return "bytes"
	case *pluginv1.Value_StructValue:
		return "struct"
	case *pluginv1.Value_ListValue:
		return "list"
	case *pluginv1.Value_MapValue:
		return "map"
	}
	return fmt.Sprintf("%T", v.GetKind())
}

func isNull(v *pluginv1.Value) bool { return v == nil || v.Kind == nil }
