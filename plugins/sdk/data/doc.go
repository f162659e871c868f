// Package data is Kafka Connect's data model for connector authors: schemas ([Schema],
// built from the predefined ones with [StructOf], [ArrayOf], [MapOf], [Optional] and the
// With* methods), the logical types Decimal, Date, Time and Timestamp, structs ([Struct])
// and the Go values that stand for each schema type (see [Schema]). It also checks a value
// against its schema ([Validate]) and writes values as JSON or text ([AppendJSON],
// [AppendText]).
//
// The package is plain Go: it knows nothing of the plugin protocol, of gRPC or of how the
// SDK carries values to the kernel (package sdk converts), and nothing of converters,
// which the kernel applies.
package data
