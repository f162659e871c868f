package protocol

// Field numbers of plugin.proto's batch messages, for the code that reads or writes them
// without the generated structs: the kernel's batch decoder here and the SDK's encoder.
// TestFieldNumbers checks every one against the generated descriptors.
const (
	PollRecords = 1 // PollResponse.records
	PollSchemas = 2 // PollResponse.schemas
	PutHandle   = 1 // PutRequest.handle
	PutRecords  = 2 // PutRequest.records

	RecTopic     = 1 // Record.topic
	RecPartition = 2
	RecKey       = 3
	RecKeySchema = 4
	RecValue     = 5
	RecValSchema = 6
	RecHeaders   = 7
	RecTimestamp = 8
	RecSrcPart   = 9
	RecSrcOffset = 10
	RecKafkaOff  = 11
	RecKeyRef    = 12 // Record.key_schema_ref
	RecValRef    = 13 // Record.value_schema_ref

	ValBool   = 1 // Value.bool_value
	ValInt    = 2
	ValDouble = 3
	ValString = 4
	ValBytes  = 5
	ValStruct = 6
	ValList   = 7
	ValMap    = 8

	StructFields = 1 // Struct.fields
	FieldName    = 1 // Field.name, MapEntry.key, SchemaField.name, Header.key
	FieldValue   = 2 // Field.value, MapEntry.value, Header.value
	ListValues   = 1 // List.values, Map.entries
	HeaderSchema = 3 // Header.schema

	SchType     = 1 // Schema.type
	SchOptional = 2
	SchName     = 3
	SchVersion  = 4
	SchDoc      = 5
	SchParams   = 6
	SchDefault  = 7
	SchFields   = 8
	SchKey      = 9
	SchValue    = 10
)
