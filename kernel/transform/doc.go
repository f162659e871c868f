// Package transform holds Tributary's single message transforms (SMTs) and predicates: the
// Kafka Connect classes users name in transforms.<alias>.type and predicates.<alias>.type
// (org.apache.kafka.connect.transforms.InsertField$Value, …predicates.TopicNameMatches, or
// short aliases such as InsertField$Value), their settings, defaults and error messages as
// Apache Kafka 3.x/4.x has them, Debezium's io.debezium.transforms.ExtractNewRecordState as
// Debezium 2.x has it, and the Chain that parses a connector config's transforms,
// predicates and negate keys and runs the stages in order.
//
// It owns: the Transformation and Predicate interfaces, the class registry (Classes,
// ConfigKeys), config parsing and validation of everything under transforms.* and
// predicates.* (NewChain, Validate), and the record-level semantics of each transform on
// both schemaless data (a Map or a Struct carried without schema, Kafka Connect's
// Map<String,Object>) and schema'd data (a Struct with a struct Schema).
//
// It must not touch: Kafka clients, plugins, Raft, the runtime's loops, converters' wire
// formats or the connector-level keys (connector.class, topics, …). It is pure apart from
// one clock read: no I/O, no goroutines, no logging. The runtime calls Chain.Apply once
// per record; the admin service calls Validate and Classes.
//
// # Ownership of records
//
// A Transformation may set the top-level fields of the *pluginv1.Record it is given
// (topic, key, value, schemas, headers slice, …) and return it, but it never modifies a
// Value, Schema, Struct, Map, List or Header it finds there: it builds new ones and shares
// the parts it leaves unchanged (copy on write). Chain.Apply makes one shallow copy of the
// record (a new Record holding the same pointers) before the first stage, so the caller's
// record is never changed; a chain with no stages returns its input as is, without any
// allocation. A record a chain returns may share Values and Schemas with its input: neither
// may be modified afterwards while the other is in use. Schemas are treated as immutable
// throughout, as kernel/convert treats them; transforms remember the schemas they derive
// from an input schema by pointer, as upstream keeps a small schema cache.
//
// A Chain and every Transformation and Predicate in it are safe for concurrent use.
//
// # Where Tributary differs from upstream on purpose
//
//   - A null key or value (a tombstone) passes through every field-level transform of that
//     side unchanged: Cast, MaskField, HeaderFrom, ValueToKey and SetSchemaMetadata raise
//     "Only Map objects supported…" upstream instead; InsertField, ReplaceField, Flatten,
//     ExtractField and TimestampConverter already pass nulls through there too.
//   - replace.null.with.default is read where a field's value is the result (ExtractField,
//     Cast, MaskField, HeaderFrom, TimestampConverter, ValueToKey); a field only carried
//     over is carried as it is, null or not, and the converter decides how a null with a
//     default is written. Upstream copies Structs and so fills in defaults by accident
//     (the reason KIP-1040 added the setting).
//   - Rebuilt struct schemas keep the optional flag of the schema they replace.
//   - Cast of a whole Date/Time/Timestamp/Decimal value drops the logical type name, which
//     upstream copies onto the new primitive schema (making it unwritable).
//   - offset.field of InsertField is refused for source records (records carrying a source
//     partition or offset), as upstream refuses anything but a SinkRecord.
//   - Regular expressions are RE2 (Go's regexp): Java-only syntax such as look-around or
//     back references is refused when the config is parsed. Replacement strings follow
//     Java's Matcher rules ($1, ${name}, \$).
//   - InsertHeader's value.literal is read as Values.parseString reads it for null,
//     booleans and numbers; arrays, maps and date/time literals stay strings.
//
// # ExtractNewRecordState and Debezium
//
// ExtractNewRecordState follows Debezium 2.7 (with Debezium 3's replace.null.with.default,
// whose default is the 2.x behaviour), including where it differs from the rules above:
// the flattened row's struct schema is rebuilt as a required struct (SchemaBuilder.struct()),
// as Debezium writes it, and a schemaless value, even one shaped like a change event, passes
// unchanged, since Debezium recognises a change event by its schema name. It differs from
// Debezium on purpose in these:
//
//   - Values Debezium would accept and then fail on, or silently misread, are refused when
//     the config is parsed, naming the key: a delete.tombstone.handling.mode outside drop,
//     tombstone, rewrite, rewrite-with-tombstone (Debezium leaves it unvalidated and fails
//     on the first delete), empty add.fields/add.headers entries, paths deeper than
//     struct.field (Debezium ignores the rest), and field:newName with an empty or second
//     new name.
//   - add.fields/add.headers naming a struct the change event lacks fail the record with a
//     message naming it (a NullPointerException in Debezium).
//   - An added struct, map or array field keeps its field, key and value schemas; Debezium's
//     copySchemaBasics drops those of a struct or map.
package transform
