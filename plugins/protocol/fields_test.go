package protocol

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// The hand-written field numbers are the generated descriptors'.
func TestFieldNumbers(t *testing.T) {
	for _, tc := range []struct {
		msg   proto.Message
		field protoreflect.Name
		num   protoreflect.FieldNumber
	}{
		{&pluginv1.PollResponse{}, "records", PollRecords},
		{&pluginv1.PollResponse{}, "schemas", PollSchemas},
		{&pluginv1.PutRequest{}, "handle", PutHandle},
		{&pluginv1.PutRequest{}, "records", PutRecords},
		{&pluginv1.Record{}, "topic", RecTopic},
		{&pluginv1.Record{}, "partition", RecPartition},
		{&pluginv1.Record{}, "key", RecKey},
		{&pluginv1.Record{}, "key_schema", RecKeySchema},
		{&pluginv1.Record{}, "value", RecValue},
		{&pluginv1.Record{}, "value_schema", RecValSchema},
		{&pluginv1.Record{}, "headers", RecHeaders},
		{&pluginv1.Record{}, "timestamp_ms", RecTimestamp},
		{&pluginv1.Record{}, "source_partition", RecSrcPart},
		{&pluginv1.Record{}, "source_offset", RecSrcOffset},
		{&pluginv1.Record{}, "kafka_offset", RecKafkaOff},
		{&pluginv1.Record{}, "key_schema_ref", RecKeyRef},
		{&pluginv1.Record{}, "value_schema_ref", RecValRef},
		{&pluginv1.Value{}, "bool_value", ValBool},
		{&pluginv1.Value{}, "int_value", ValInt},
		{&pluginv1.Value{}, "double_value", ValDouble},
		{&pluginv1.Value{}, "string_value", ValString},
		{&pluginv1.Value{}, "bytes_value", ValBytes},
		{&pluginv1.Value{}, "struct_value", ValStruct},
		{&pluginv1.Value{}, "list_value", ValList},
		{&pluginv1.Value{}, "map_value", ValMap},
		{&pluginv1.Struct{}, "fields", StructFields},
		{&pluginv1.Field{}, "name", FieldName},
		{&pluginv1.Field{}, "value", FieldValue},
		{&pluginv1.MapEntry{}, "key", FieldName},
		{&pluginv1.MapEntry{}, "value", FieldValue},
		{&pluginv1.SchemaField{}, "name", FieldName},
		{&pluginv1.Header{}, "key", FieldName},
		{&pluginv1.Header{}, "value", FieldValue},
		{&pluginv1.Header{}, "schema", HeaderSchema},
		{&pluginv1.List{}, "values", ListValues},
		{&pluginv1.Map{}, "entries", ListValues},
		{&pluginv1.Schema{}, "type", SchType},
		{&pluginv1.Schema{}, "optional", SchOptional},
		{&pluginv1.Schema{}, "name", SchName},
		{&pluginv1.Schema{}, "version", SchVersion},
		{&pluginv1.Schema{}, "doc", SchDoc},
		{&pluginv1.Schema{}, "parameters", SchParams},
		{&pluginv1.Schema{}, "default_value", SchDefault},
		{&pluginv1.Schema{}, "fields", SchFields},
		{&pluginv1.Schema{}, "key_schema", SchKey},
		{&pluginv1.Schema{}, "value_schema", SchValue},
	} {
		md := tc.msg.ProtoReflect().Descriptor()
		f := md.Fields().ByName(tc.field)
		if f == nil {
			t.Errorf("%s has no field %s", md.FullName(), tc.field)
			continue
		}
		if f.Number() != tc.num {
			t.Errorf("%s.%s is field %d, the constant says %d", md.FullName(), tc.field, f.Number(), tc.num)
		}
	}
}
