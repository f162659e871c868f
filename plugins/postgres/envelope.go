package main

import (
	"math/big"
	"strconv"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// debeziumVersion is the Debezium release whose record shapes this connector emits, in
// source.version.
const debeziumVersion = "2.5.4.Final"

// The snapshot markers of source.snapshot, as Debezium 2.x's SnapshotRecord.
const (
	snapTrue       = "true"
	snapFirst      = "first"
	snapFirstTable = "first_in_data_collection"
	snapLastTable  = "last_in_data_collection"
	snapLast       = "last"
	snapFalse      = "false"
)

// sourceSchema is io.debezium.connector.postgresql.Source, field for field as Debezium
// 2.x's PostgresSourceInfoStructMaker builds it.
var sourceSchema = data.StructOf("io.debezium.connector.postgresql.Source",
	data.NewField("version", data.StringSchema),
	data.NewField("connector", data.StringSchema),
	data.NewField("name", data.StringSchema),
	data.NewField("ts_ms", data.Int64Schema),
	data.NewField("snapshot", data.OptionalStringSchema.WithName(dbzEnum).WithVersion(1).
		WithParameter(dbzEnumAllowed, "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental").
		WithDefault(snapFalse)),
	data.NewField("db", data.StringSchema),
	data.NewField("sequence", data.OptionalStringSchema),
	data.NewField("schema", data.StringSchema),
	data.NewField("table", data.StringSchema),
	data.NewField("txId", data.OptionalInt64Schema),
	data.NewField("lsn", data.OptionalInt64Schema),
	data.NewField("xmin", data.OptionalInt64Schema),
)

// transactionSchema is Debezium's event.block, the envelope's transaction field (null
// unless provide.transaction.metadata, which this connector does not offer).
var transactionSchema = data.Optional(data.StructOf("event.block",
	data.NewField("id", data.StringSchema),
	data.NewField("total_order", data.Int64Schema),
	data.NewField("data_collection_order", data.Int64Schema),
).WithVersion(1))

// Heartbeat schemas, as Debezium's HeartbeatImpl.
var (
	heartbeatKeySchema = data.StructOf("io.debezium.connector.common.ServerNameKey",
		data.NewField("serverName", data.StringSchema))
	heartbeatValueSchema = data.StructOf("io.debezium.connector.common.Heartbeat",
		data.NewField("ts_ms", data.Int64Schema))
)

// envelopeSchema returns <prefix>.<schema>.<table>.Envelope around value schema v.
func envelopeSchema(name string, v *data.Schema) *data.Schema {
	ov := data.Optional(v)
	return data.StructOf(name+".Envelope",
		data.NewField("before", ov),
		data.NewField("after", ov),
		data.NewField("source", sourceSchema),
		data.NewField("op", data.StringSchema),
		data.NewField("ts_ms", data.OptionalInt64Schema),
		data.NewField("transaction", transactionSchema),
	).WithVersion(1)
}

// sourceInfo is what source blocks are made of, its values boxed as the struct holds
// them: the events of a transaction share one box of each value they share.
type sourceInfo struct {
	tb       *table
	tsMs     any // int64
	snapshot any // one of the snap markers
	sequence any // string, see sequence
	txID     any // int64; nil: none
	lsn      any // int64; nil: none
}

func (s *sourceInfo) build() *data.Struct {
	st := data.NewStruct(sourceSchema)
	return st.PutAt(0, debeziumVersion).PutAt(1, "postgresql").PutAt(2, s.tb.srcServer).PutAt(3, s.tsMs).
		PutAt(4, s.snapshot).PutAt(5, s.tb.srcDB).PutAt(6, s.sequence).PutAt(7, s.tb.srcSchema).
		PutAt(8, s.tb.srcTable).PutAt(9, s.txID).PutAt(10, s.lsn)
}

// lsnValue is source.lsn: the LSN, or null when unknown (0).
func lsnValue(lsn uint64) any {
	if lsn == 0 {
		return nil
	}
	return int64(lsn)
}

// sequence is Debezium's source.sequence: a JSON array of the last commit LSN and this
// event's LSN, as decimal strings (null when unknown).
func sequence(lastCommit, lsn uint64) string {
	var buf [48]byte
	b := append(buf[:0], '[')
	for i, n := range [2]uint64{lastCommit, lsn} {
		if i > 0 {
			b = append(b, ',')
		}
		if n == 0 {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '"')
		b = strconv.AppendUint(b, n, 10)
		b = append(b, '"')
	}
	b = append(b, ']')
	return string(b)
}

// fallback is the value Debezium puts in a required field whose value the database did
// not send (a non-key column in the old row of a delete under REPLICA IDENTITY DEFAULT):
// the field's default, else the type's zero.
func fallback(s *data.Schema) any {
	if s.Default != nil {
		return s.Default
	}
	switch s.Name {
	case data.DecimalName:
		sc, _ := data.SchemaScale(s)
		return data.Decimal{Unscaled: new(big.Int), Scale: sc}
	case dbzVarDecimal:
		return data.NewStruct(s).Put("scale", int32(0)).Put("value", []byte{0})
	}
	switch s.Type {
	case data.TypeInt8:
		return int8(0)
	case data.TypeInt16:
		return int16(0)
	case data.TypeInt32:
		return int32(0)
	case data.TypeInt64:
		return int64(0)
	case data.TypeFloat32:
		return float32(0)
	case data.TypeFloat64:
		return float64(0)
	case data.TypeBoolean:
		return false
	case data.TypeString:
		return ""
	case data.TypeBytes:
		return []byte{}
	case data.TypeArray:
		return []any{}
	}
	return nil
}
