package convert

import (
	"fmt"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// optionalBytes is the schema ByteArrayConverter gives everything it reads, as Kafka
// Connect's Schema.OPTIONAL_BYTES_SCHEMA.
var optionalBytes = &pluginv1.Schema{Type: pluginv1.Schema_TYPE_BYTES, Optional: true}

// byteArrayConverter is Kafka Connect's ByteArrayConverter: the bytes pass through untouched.
type byteArrayConverter struct{}

func newByteArray(map[string]string, bool) (Converter, error) { return byteArrayConverter{}, nil }

func (byteArrayConverter) FromConnect(_ string, schema *pluginv1.Schema, v *pluginv1.Value) ([]byte, error) {
	if schema != nil && schema.Type != pluginv1.Schema_TYPE_BYTES && schema.Type != pluginv1.Schema_TYPE_UNSPECIFIED {
		return nil, fmt.Errorf("invalid schema type for ByteArrayConverter: %s", typeName(schema.Type))
	}
	switch k := v.GetKind().(type) {
	case nil:
		return nil, nil
	case *pluginv1.Value_BytesValue:
		if k.BytesValue == nil {
			return []byte{}, nil // present but empty is not a Kafka null
		}
		return k.BytesValue, nil
	}
	return nil, fmt.Errorf("ByteArrayConverter is not compatible with objects of type %s", KindName(v))
}

func (byteArrayConverter) ToConnect(_ string, data []byte) (*pluginv1.Schema, *pluginv1.Value, error) {
	if data == nil {
		return optionalBytes, nil, nil
	}
	return optionalBytes, &pluginv1.Value{Kind: &pluginv1.Value_BytesValue{BytesValue: data}}, nil
}
