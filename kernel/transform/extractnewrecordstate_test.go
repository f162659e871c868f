package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/convert"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// A Debezium PostgreSQL change event for table inventory.customers of server "srv", with
// the schemas the connector gives it.
var (
	dbzRowFields = []*pluginv1.SchemaField{
		sfield("id", sch(sInt32)),
		sfield("first_name", sch(sString)),
		sfield("email", optSch(sString)),
		sfield("tier", &pluginv1.Schema{Type: sString, Optional: true, DefaultValue: vs("basic")}),
	}
	// dbzRowSchema is the schema of before and after: optional, as in the envelope.
	dbzRowSchema = &pluginv1.Schema{Type: sStruct, Name: "srv.inventory.customers.Value", Optional: true, Fields: dbzRowFields}
	// dbzFlatSchema is the schema of a flattened row: Debezium rebuilds it as a required struct.
	dbzFlatSchema   = &pluginv1.Schema{Type: sStruct, Name: "srv.inventory.customers.Value", Fields: dbzRowFields}
	dbzSourceSchema = structSch("io.debezium.connector.postgresql.Source",
		sfield("version", sch(sString)),
		sfield("connector", sch(sString)),
		sfield("name", sch(sString)),
		sfield("ts_ms", sch(sInt64)),
		sfield("snapshot", &pluginv1.Schema{Type: sString, Optional: true, DefaultValue: vs("false"),
			Name: "io.debezium.data.Enum", Version: 1, Parameters: map[string]string{"allowed": "true,last,false,incremental"}}),
		sfield("db", sch(sString)),
		sfield("schema", sch(sString)),
		sfield("table", sch(sString)),
		sfield("txId", optSch(sInt64)),
		sfield("lsn", optSch(sInt64)),
	)
	dbzTxSchema = &pluginv1.Schema{Type: sStruct, Name: "event.block", Version: 1, Optional: true, Fields: []*pluginv1.SchemaField{
		sfield("id", sch(sString)), sfield("total_order", sch(sInt64)), sfield("data_collection_order", sch(sInt64)),
	}}
	dbzEnvelopeSchema = structSch("srv.inventory.customers.Envelope",
		sfield("before", dbzRowSchema),
		sfield("after", dbzRowSchema),
		sfield("source", dbzSourceSchema),
		sfield("transaction", dbzTxSchema),
		sfield("op", sch(sString)),
		sfield("ts_ms", optSch(sInt64)),
	)
	dbzKeySchema = structSch("srv.inventory.customers.Key", sfield("id", sch(sInt32)))
)

func dbzRow(id int64, name string, email *pluginv1.Value) *pluginv1.Value {
	return vstruct(fld("id", vi(id)), fld("first_name", vs(name)), fld("email", email), fld("tier", vs("gold")))
}

func dbzSource() *pluginv1.Value {
	return vstruct(fld("version", vs("2.7.4.Final")), fld("connector", vs("postgresql")), fld("name", vs("srv")),
		fld("ts_ms", vi(1559033904863)), fld("snapshot", vs("false")), fld("db", vs("postgres")),
		fld("schema", vs("inventory")), fld("table", vs("customers")), fld("txId", vi(555)), fld("lsn", vi(24023128)))
}

// dbzEvent is the record of a change event; tx is the transaction struct or nil.
func dbzEvent(op string, before, after, tx *pluginv1.Value) *pluginv1.Record {
	v := vstruct(fld("before", before), fld("after", after), fld("source", dbzSource()), fld("transaction", tx),
		fld("op", vs(op)), fld("ts_ms", vi(1559033904999)))
	return &pluginv1.Record{Topic: "srv.inventory.customers", Partition: -1,
		KeySchema: dbzKeySchema, Key: vstruct(fld("id", vi(1))),
		ValueSchema: dbzEnvelopeSchema, Value: v, TimestampMs: 1559033905000}
}

// dbzTombstone is the tombstone that follows a delete.
func dbzTombstone() *pluginv1.Record {
	return &pluginv1.Record{Topic: "srv.inventory.customers", Partition: -1,
		KeySchema: dbzKeySchema, Key: vstruct(fld("id", vi(1))), TimestampMs: 1559033905000}
}

// flat returns ev with the value replaced.
func flat(ev *pluginv1.Record, s *pluginv1.Schema, v *pluginv1.Value) *pluginv1.Record {
	return with(ev, func(r *pluginv1.Record) { r.ValueSchema, r.Value = s, v })
}

// plus returns a struct schema like s, required, with extra fields appended.
func plus(s *pluginv1.Schema, extra ...*pluginv1.SchemaField) *pluginv1.Schema {
	c := proto.Clone(s).(*pluginv1.Schema)
	c.Optional = false
	c.Fields = append(c.Fields, extra...)
	return c
}

// withFields returns the struct v with extra fields appended.
func withFields(v *pluginv1.Value, extra ...*pluginv1.Field) *pluginv1.Value {
	c := proto.Clone(v).(*pluginv1.Value)
	st := c.Kind.(*pluginv1.Value_StructValue).StructValue
	st.Fields = append(st.Fields, extra...)
	return c
}

var deletedField = sfield("__deleted", optSch(sString))

func TestExtractNewRecordStateDeleteHandling(t *testing.T) {
	const c = "io.debezium.transforms.ExtractNewRecordState"
	ann := dbzRow(1, "Anne", vs("annek@noanswer.org"))
	annMarie := dbzRow(1, "Anne Marie", vs("annek@noanswer.org"))
	create := dbzEvent("c", nil, ann, nil)
	read := dbzEvent("r", nil, ann, nil)
	update := dbzEvent("u", ann, annMarie, nil)
	del := dbzEvent("d", annMarie, nil, nil)
	truncate := dbzEvent("t", nil, nil, nil)

	flatCreate := flat(create, dbzFlatSchema, ann)
	deleteToNull := flat(del, dbzRowSchema, nil)
	rewritten := func(ev *pluginv1.Record, row *pluginv1.Value, deleted string) *pluginv1.Record {
		return flat(ev, plus(dbzFlatSchema, deletedField), withFields(row, fld("__deleted", vs(deleted))))
	}

	type modeCase struct {
		name                                string
		props                               map[string]string
		create, update, del, tombstone, trn *pluginv1.Record // nil: dropped
	}
	modes := []modeCase{
		{name: "defaults (drop.tombstones=true, delete.handling.mode=drop)", props: props(),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie)},
		{name: "drop.tombstones=false", props: props("drop.tombstones", "false"),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie), tombstone: dbzTombstone()},
		{name: "delete.handling.mode=none", props: props("delete.handling.mode", "none"),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie), del: deleteToNull},
		{name: "delete.handling.mode=rewrite", props: props("delete.handling.mode", "rewrite"),
			create: rewritten(create, ann, "false"), update: rewritten(update, annMarie, "false"), del: rewritten(del, annMarie, "true")},
		{name: "delete.handling.mode=rewrite, drop.tombstones=false", props: props("delete.handling.mode", "rewrite", "drop.tombstones", "false"),
			create: rewritten(create, ann, "false"), update: rewritten(update, annMarie, "false"), del: rewritten(del, annMarie, "true"), tombstone: dbzTombstone()},
		{name: "delete.tombstone.handling.mode=drop", props: props("delete.tombstone.handling.mode", "drop"),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie)},
		{name: "delete.tombstone.handling.mode=tombstone", props: props("delete.tombstone.handling.mode", "tombstone"),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie), del: deleteToNull},
		{name: "delete.tombstone.handling.mode=rewrite", props: props("delete.tombstone.handling.mode", "rewrite"),
			create: rewritten(create, ann, "false"), update: rewritten(update, annMarie, "false"), del: rewritten(del, annMarie, "true")},
		{name: "delete.tombstone.handling.mode=rewrite-with-tombstone", props: props("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
			create: rewritten(create, ann, "false"), update: rewritten(update, annMarie, "false"), del: rewritten(del, annMarie, "true"), tombstone: dbzTombstone()},
		{name: "delete.tombstone.handling.mode overrides the deprecated keys",
			props:  props("delete.tombstone.handling.mode", "tombstone", "drop.tombstones", "false", "delete.handling.mode", "rewrite"),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie), del: deleteToNull},
		{name: "a blank delete.tombstone.handling.mode leaves the deprecated keys in force",
			props:  props("delete.tombstone.handling.mode", "  ", "drop.tombstones", "false"),
			create: flatCreate, update: flat(update, dbzFlatSchema, annMarie), tombstone: dbzTombstone()},
		{name: "modes are read in any case", props: props("delete.tombstone.handling.mode", " Rewrite-With-Tombstone ", "delete.handling.mode", "NONE"),
			create: rewritten(create, ann, "false"), update: rewritten(update, annMarie, "false"), del: rewritten(del, annMarie, "true"), tombstone: dbzTombstone()},
	}
	var cases []tcase
	for _, m := range modes {
		cases = append(cases,
			tcase{name: m.name + "/create", class: c, props: m.props, in: create, want: m.create},
			tcase{name: m.name + "/snapshot read", class: c, props: m.props, in: read,
				want: flat(read, m.create.ValueSchema, m.create.Value)},
			tcase{name: m.name + "/update", class: c, props: m.props, in: update, want: m.update},
			tcase{name: m.name + "/delete", class: c, props: m.props, in: del, want: m.del},
			tcase{name: m.name + "/tombstone", class: c, props: m.props, in: dbzTombstone(), want: m.tombstone},
			tcase{name: m.name + "/truncate is always dropped", class: c, props: m.props, in: truncate, want: m.trn},
		)
	}
	runCases(t, cases)
}

func TestExtractNewRecordStatePassesOthersUnchanged(t *testing.T) {
	const c = "ExtractNewRecordState"
	heartbeatSchema := structSch("io.debezium.connector.common.Heartbeat", sfield("ts_ms", sch(sInt64)))
	heartbeat := &pluginv1.Record{Topic: "__debezium-heartbeat.srv", KeySchema: structSch("io.debezium.connector.common.ServerNameKey",
		sfield("serverName", sch(sString))), Key: vstruct(fld("serverName", vs("srv"))),
		ValueSchema: heartbeatSchema, Value: vstruct(fld("ts_ms", vi(1700000000000)))}
	schemaChange := vrec(structSch("io.debezium.connector.schema.Change", sfield("ddl", optSch(sString))),
		vstruct(fld("ddl", vs("CREATE TABLE t (id int)"))))
	// JsonConverter with schemas.enable=false gives a schemaless map: Debezium recognises a
	// change event by its schema name, so such a value passes unchanged.
	schemaless := vrec(nil, vmap("before", nil, "after", vmap("id", vi(1)), "op", vs("c"),
		"source", vmap("table", vs("customers"))))
	unnamed := vrec(&pluginv1.Schema{Type: sStruct, Fields: dbzEnvelopeSchema.Fields}, dbzEvent("c", nil, dbzRow(1, "A", nil), nil).Value)
	headers := props("add.headers", "op,source.lsn", "add.fields", "op", "route.by.field", "first_name")
	runCases(t, []tcase{
		{name: "heartbeat", class: c, props: headers, in: heartbeat, want: heartbeat},
		{name: "schema change", class: c, props: headers, in: schemaChange, want: schemaChange},
		{name: "schemaless change event", class: c, props: headers, in: schemaless, want: schemaless},
		{name: "struct schema without a name", class: c, props: headers, in: unnamed, want: unnamed},
		{name: "string value", class: c, props: headers, in: vrec(sch(sString), vs("x")), want: vrec(sch(sString), vs("x"))},
		{name: "envelope name on a value that is no struct", class: c, in: vrec(&pluginv1.Schema{Type: sString, Name: "x.Envelope"}, vs("x")),
			wantErr: "Only Struct objects supported for [field extraction], found: string"},
		{name: "envelope without after", class: c, in: vrec(structSch("x.Envelope", sfield("op", sch(sString))), vstruct(fld("op", vs("c")))),
			wantErr: "Unknown field: after"},
		{name: "existing headers are kept", class: c, props: props("add.headers", "op"),
			in: withHdrs(dbzEvent("c", nil, dbzRow(1, "A", nil), nil), hdr("trace", sch(sString), vs("t1"))),
			want: withHdrs(flat(dbzEvent("c", nil, dbzRow(1, "A", nil), nil), dbzFlatSchema, dbzRow(1, "A", nil)),
				hdr("trace", sch(sString), vs("t1")), hdr("__op", optSch(sString), vs("c")))},
	})
}

func TestExtractNewRecordStateAddFields(t *testing.T) {
	const c = "ExtractNewRecordState"
	row := dbzRow(7, "Ada", nil)
	tx := vstruct(fld("id", vs("571:24023128")), fld("total_order", vi(42)), fld("data_collection_order", vi(3)))
	create := dbzEvent("c", nil, row, tx)
	createNoTx := dbzEvent("c", nil, row, nil)
	del := dbzEvent("d", row, nil, tx)
	optInt64, optString := optSch(sInt64), optSch(sString)

	runCases(t, []tcase{
		{name: "plain fields find their struct", class: c, props: props("add.fields", "op,table,lsn,ts_ms,id,total_order"),
			in: create, want: flat(create,
				plus(dbzFlatSchema, sfield("__op", optString), sfield("__table", optString), sfield("__lsn", optInt64),
					sfield("__ts_ms", optInt64), sfield("__id", optString), sfield("__total_order", optInt64)),
				withFields(row, fld("__op", vs("c")), fld("__table", vs("customers")), fld("__lsn", vi(24023128)),
					fld("__ts_ms", vi(1559033904999)), fld("__id", vs("571:24023128")), fld("__total_order", vi(42))))},
		{name: "struct paths are named struct_field", class: c, props: props("add.fields", "source.ts_ms, transaction.data_collection_order"),
			in: create, want: flat(create,
				plus(dbzFlatSchema, sfield("__source_ts_ms", optInt64), sfield("__transaction_data_collection_order", optInt64)),
				withFields(row, fld("__source_ts_ms", vi(1559033904863)), fld("__transaction_data_collection_order", vi(3))))},
		{name: "renames and a prefix", class: c, props: props("add.fields", "op:OP,source.ts_ms:EVENT_TS,source.version", "add.fields.prefix", "meta_"),
			in: create, want: flat(create,
				plus(dbzFlatSchema, sfield("meta_OP", optString), sfield("meta_EVENT_TS", optInt64), sfield("meta_source_version", optString)),
				withFields(row, fld("meta_OP", vs("c")), fld("meta_EVENT_TS", vi(1559033904863)), fld("meta_source_version", vs("2.7.4.Final"))))},
		{name: "an empty prefix", class: c, props: props("add.fields", "op", "add.fields.prefix", ""),
			in: create, want: flat(create, plus(dbzFlatSchema, sfield("op", optString)), withFields(row, fld("op", vs("c"))))},
		{name: "the added schema keeps the logical name and parameters, made optional", class: c, props: props("add.fields", "snapshot"),
			in: create, want: flat(create,
				plus(dbzFlatSchema, sfield("__snapshot", &pluginv1.Schema{Type: sString, Optional: true, Name: "io.debezium.data.Enum",
					Version: 1, Parameters: map[string]string{"allowed": "true,last,false,incremental"}})),
				withFields(row, fld("__snapshot", vs("false"))))},
		{name: "a null transaction adds null", class: c, props: props("add.fields", "op,transaction.id"),
			in: createNoTx, want: flat(createNoTx, plus(dbzFlatSchema, sfield("__op", optString), sfield("__transaction_id", optString)),
				withFields(row, fld("__op", vs("c")), fld("__transaction_id", nil)))},
		{name: "a field the event lacks is not added", class: c, props: props("add.fields", "nosuch,op,source.xmin"),
			in: create, want: flat(create, plus(dbzFlatSchema, sfield("__op", optString)), withFields(row, fld("__op", vs("c"))))},
		{name: "a struct the event lacks is an error", class: c, props: props("add.fields", "nosuch.op"),
			in: create, wantErr: `cannot add __nosuch_op: the change event has no field "nosuch"`},
		{name: "a name clash is an error", class: c, props: props("add.fields", "op:email", "add.fields.prefix", ""),
			in: create, wantErr: "Cannot create field because of field name duplication email"},
		{name: "after __deleted under rewrite", class: c, props: props("add.fields", "op,lsn", "delete.handling.mode", "rewrite"),
			in: create, want: flat(create, plus(dbzFlatSchema, deletedField, sfield("__op", optString), sfield("__lsn", optInt64)),
				withFields(row, fld("__deleted", vs("false")), fld("__op", vs("c")), fld("__lsn", vi(24023128))))},
		{name: "deletes rewritten get them too", class: c, props: props("add.fields", "op,source.lsn", "delete.tombstone.handling.mode", "rewrite"),
			in: del, want: flat(del, plus(dbzFlatSchema, deletedField, sfield("__op", optString), sfield("__source_lsn", optInt64)),
				withFields(row, fld("__deleted", vs("true")), fld("__op", vs("d")), fld("__source_lsn", vi(24023128))))},
		{name: "deletes turned into a null value do not", class: c, props: props("add.fields", "op", "delete.tombstone.handling.mode", "tombstone"),
			in: del, want: flat(del, dbzRowSchema, nil)},
	})
}

func TestExtractNewRecordStateAddHeaders(t *testing.T) {
	const c = "ExtractNewRecordState"
	row := dbzRow(7, "Ada", nil)
	tx := vstruct(fld("id", vs("571:24023128")), fld("total_order", vi(42)), fld("data_collection_order", vi(3)))
	update := dbzEvent("u", row, row, tx)
	updateNoTx := dbzEvent("u", row, row, nil)
	del := dbzEvent("d", row, nil, nil)
	flatUpdate := flat(update, dbzFlatSchema, row)
	optInt64, optString := optSch(sInt64), optSch(sString)

	runCases(t, []tcase{
		{name: "names, values and optional schemas", class: c, props: props("add.headers", "op , lsn,id,source.ts_ms,db:DB"),
			in: update, want: withHdrs(flatUpdate, hdr("__op", optString, vs("u")), hdr("__lsn", optInt64, vi(24023128)),
				hdr("__id", optString, vs("571:24023128")), hdr("__source_ts_ms", optInt64, vi(1559033904863)), hdr("__DB", optString, vs("postgres")))},
		{name: "a prefix", class: c, props: props("add.headers", "op,transaction.total_order:TOTAL", "add.headers.prefix", "dbz."),
			in: update, want: withHdrs(flatUpdate, hdr("dbz.op", optString, vs("u")), hdr("dbz.TOTAL", optInt64, vi(42)))},
		{name: "a null transaction gives a null header", class: c, props: props("add.headers", "id"),
			in: updateNoTx, want: withHdrs(flat(updateNoTx, dbzFlatSchema, row), hdr("__id", optString, nil))},
		{name: "a field the event lacks gives no header", class: c, props: props("add.headers", "xmin,op"),
			in: update, want: withHdrs(flatUpdate, hdr("__op", optString, vs("u")))},
		{name: "a kept tombstone gets op=d and nothing else", class: c,
			props: props("add.headers", "op,source.lsn", "delete.tombstone.handling.mode", "rewrite-with-tombstone"),
			in:    dbzTombstone(), want: withHdrs(dbzTombstone(), hdr("__op", sch(sString), vs("d")))},
		{name: "a rewritten delete", class: c,
			props: props("add.headers", "op,source.lsn", "delete.tombstone.handling.mode", "rewrite-with-tombstone"),
			in:    del, want: withHdrs(flat(del, plus(dbzFlatSchema, deletedField), withFields(row, fld("__deleted", vs("true")))),
				hdr("__op", optString, vs("d")), hdr("__source_lsn", optInt64, vi(24023128)))},
	})
}

func TestExtractNewRecordStateRouteByField(t *testing.T) {
	const c = "ExtractNewRecordState"
	row := dbzRow(7, "customers_eu", vs("a@b"))
	create := dbzEvent("c", nil, row, nil)
	del := dbzEvent("d", row, nil, nil)
	blank := dbzEvent("c", nil, dbzRow(7, " ", nil), nil)
	routed := func(r *pluginv1.Record) *pluginv1.Record {
		return with(r, func(r *pluginv1.Record) { r.Topic = "customers_eu" })
	}
	runCases(t, []tcase{
		{name: "create", class: c, props: props("route.by.field", "first_name"),
			in: create, want: routed(flat(create, dbzFlatSchema, row))},
		{name: "delete rewritten reads before", class: c, props: props("route.by.field", "first_name", "delete.handling.mode", "rewrite"),
			in: del, want: routed(flat(del, plus(dbzFlatSchema, deletedField), withFields(row, fld("__deleted", vs("true")))))},
		{name: "delete to tombstone reads before", class: c, props: props("route.by.field", "first_name", "delete.handling.mode", "none"),
			in: del, want: routed(flat(del, dbzRowSchema, nil))},
		{name: "the __deleted field of a rewrite is a field to route by", class: c, props: props("route.by.field", "__deleted", "delete.handling.mode", "rewrite"),
			in: create, want: with(flat(create, plus(dbzFlatSchema, deletedField), withFields(row, fld("__deleted", vs("false")))),
				func(r *pluginv1.Record) { r.Topic = "false" })},
		{name: "a null field keeps the topic", class: c, props: props("route.by.field", "email"),
			in: dbzEvent("c", nil, dbzRow(7, "x", nil), nil), want: flat(dbzEvent("c", nil, dbzRow(7, "x", nil), nil), dbzFlatSchema, dbzRow(7, "x", nil))},
		{name: "a blank field keeps the topic", class: c, props: props("route.by.field", "first_name"),
			in: blank, want: flat(blank, dbzFlatSchema, dbzRow(7, " ", nil))},
		{name: "a field the row lacks", class: c, props: props("route.by.field", "region"),
			in: create, wantErr: "region is not a valid field name"},
		{name: "a field that is not a string", class: c, props: props("route.by.field", "id"),
			in: create, wantErr: "Field 'id' is not of type STRING"},
	})
}

func TestExtractNewRecordStateReplaceNullWithDefault(t *testing.T) {
	const c = "ExtractNewRecordState"
	// tier is null and has the default "basic".
	row := vstruct(fld("id", vi(7)), fld("first_name", vs("Ada")), fld("email", nil), fld("tier", nil))
	create := dbzEvent("c", nil, row, nil)
	withTier := func(tier *pluginv1.Value) *pluginv1.Record {
		return flat(create, plus(dbzFlatSchema, deletedField), vstruct(fld("id", vi(7)), fld("first_name", vs("Ada")),
			fld("email", nil), fld("tier", tier), fld("__deleted", vs("false"))))
	}
	runCases(t, []tcase{
		{name: "rewrite fills in defaults by default", class: c, props: props("delete.handling.mode", "rewrite"),
			in: create, want: withTier(vs("basic"))},
		{name: "rewrite keeps nulls when told", class: c, props: props("delete.handling.mode", "rewrite", "replace.null.with.default", "false"),
			in: create, want: withTier(nil)},
		{name: "without rewrite the row is carried as it is", class: c,
			in: create, want: flat(create, dbzFlatSchema, row)},
		{name: "added fields are carried as they are", class: c, props: props("add.fields", "ts_ms"),
			in:   with(create, func(r *pluginv1.Record) { r.Value.GetStructValue().Fields[5].Value = nil }),
			want: flat(create, plus(dbzFlatSchema, sfield("__ts_ms", optSch(sInt64))), withFields(row, fld("__ts_ms", nil)))},
	})
}

func TestExtractNewRecordStateDropFields(t *testing.T) {
	const c = "ExtractNewRecordState"
	row := dbzRow(7, "Ada", vs("a@b"))
	keySchema := structSch("srv.inventory.customers.Key", sfield("id", sch(sInt32)), sfield("email", optSch(sString)))
	drop := hdr("drop", sch(sArray), vlist(vs("email"), vs("id"), vs("tier")))
	event := func(op string, before, after *pluginv1.Value) *pluginv1.Record {
		return withHdrs(with(dbzEvent(op, before, after, nil), func(r *pluginv1.Record) {
			r.KeySchema, r.Key = keySchema, vstruct(fld("id", vi(7)), fld("email", vs("a@b")))
		}), drop)
	}
	create, del := event("c", nil, row), event("d", row, nil)
	flatSchema := func(s *pluginv1.Schema, names ...string) *pluginv1.Schema {
		c := proto.Clone(s).(*pluginv1.Schema)
		c.Optional = false
		c.Fields = nil
		for _, f := range s.Fields {
			for _, n := range names {
				if f.Name == n {
					c.Fields = append(c.Fields, f)
				}
			}
		}
		return c
	}
	runCases(t, []tcase{
		{name: "only optional value fields by default", class: c, props: props("drop.fields.header.name", "drop"),
			in: create, want: flat(create, flatSchema(dbzFlatSchema, "id", "first_name"), vstruct(fld("id", vi(7)), fld("first_name", vs("Ada"))))},
		{name: "every listed field without schema compatibility", class: c,
			props: props("drop.fields.header.name", "drop", "drop.fields.keep.schema.compatible", "false"),
			in:    create, want: flat(create, flatSchema(dbzFlatSchema, "first_name"), vstruct(fld("first_name", vs("Ada"))))},
		{name: "the key too", class: c, props: props("drop.fields.header.name", "drop", "drop.fields.from.key", "true"),
			in: create, want: with(flat(create, flatSchema(dbzFlatSchema, "id", "first_name"), vstruct(fld("id", vi(7)), fld("first_name", vs("Ada")))),
				func(r *pluginv1.Record) { r.KeySchema, r.Key = flatSchema(keySchema, "id"), vstruct(fld("id", vi(7))) })},
		{name: "rewritten deletes", class: c, props: props("drop.fields.header.name", "drop", "delete.handling.mode", "rewrite"),
			in: del, want: flat(del, plus(flatSchema(dbzFlatSchema, "id", "first_name"), deletedField),
				vstruct(fld("id", vi(7)), fld("first_name", vs("Ada")), fld("__deleted", vs("true"))))},
		{name: "no such header", class: c, props: props("drop.fields.header.name", "other"),
			in: create, want: flat(create, dbzFlatSchema, row)},
		{name: "a header that is no list", class: c, props: props("drop.fields.header.name", "h"),
			in: withHdrs(create, hdr("h", sch(sString), vs("email"))), wantErr: "header h (drop.fields.header.name) must hold a list of field names, found: string"},
	})
}

func TestExtractNewRecordStateConfigErrors(t *testing.T) {
	tests := []struct {
		props map[string]string
		key   string // the key that must be reported
		want  string // a substring of its message
	}{
		{props("delete.tombstone.handling.mode", "delete-to-tombstone"), "transforms.t.delete.tombstone.handling.mode",
			"Invalid value delete-to-tombstone for configuration transforms.t.delete.tombstone.handling.mode: Value must be one of drop, tombstone, rewrite, rewrite-with-tombstone"},
		{props("delete.handling.mode", "tombstone"), "transforms.t.delete.handling.mode",
			"Invalid value tombstone for configuration transforms.t.delete.handling.mode: Value must be one of drop, rewrite, none"},
		{props("delete.handling.mode", "keep", "delete.tombstone.handling.mode", "drop"), "transforms.t.delete.handling.mode",
			"Value must be one of drop, rewrite, none"},
		{props("drop.tombstones", "yes"), "transforms.t.drop.tombstones", "Expected value to be either true or false"},
		{props("drop.fields.from.key", "1"), "transforms.t.drop.fields.from.key", "Expected value to be either true or false"},
		{props("replace.null.with.default", "no"), "transforms.t.replace.null.with.default", "Expected value to be either true or false"},
		{props("add.fields", "op,,table"), "transforms.t.add.fields", "an entry is empty"},
		{props("add.fields", "source.ts_ms.x"), "transforms.t.add.fields", `"source.ts_ms.x": name a field of the change event`},
		{props("add.fields", ".op"), "transforms.t.add.fields", `".op": name a field`},
		{props("add.headers", "op:"), "transforms.t.add.headers", `"op:": write field:newName with exactly one non-empty new name`},
		{props("add.headers", "op:a:b"), "transforms.t.add.headers", "exactly one non-empty new name"},
	}
	for _, tt := range tests {
		cfg := map[string]string{"transforms": "t", "transforms.t.type": ExtractNewRecordStateClass}
		for k, v := range tt.props {
			cfg["transforms.t."+k] = v
		}
		errs := Validate(cfg)
		found := false
		for _, e := range errs {
			if e.Key == tt.key && strings.Contains(e.Message, tt.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("Validate(%v) = %v, want an error for %s containing %q", tt.props, errs, tt.key, tt.want)
		}
		if _, err := NewChain(cfg); err == nil {
			t.Errorf("NewChain(%v) succeeded, want it refused", tt.props)
		}
	}
	if errs := Validate(map[string]string{"transforms": "t", "transforms.t.type": "ExtractNewRecordState",
		"transforms.t.add.fields": "op,source.ts_ms:TS", "transforms.t.delete.tombstone.handling.mode": "rewrite"}); errs != nil {
		t.Errorf("Validate of a good config = %v, want none", errs)
	}
}

func TestExtractNewRecordStateClass(t *testing.T) {
	for _, name := range []string{ExtractNewRecordStateClass, "ExtractNewRecordState", " io.debezium.transforms.ExtractNewRecordState "} {
		if c := lookup(name); c == nil || c.name != ExtractNewRecordStateClass {
			t.Errorf("lookup(%q) = %v, want %s", name, c, ExtractNewRecordStateClass)
		}
	}
	if lookup("org.apache.kafka.connect.transforms.ExtractNewRecordState") != nil {
		t.Errorf("the Debezium class is found under Kafka's package")
	}
	keys, ok := ConfigKeys("ExtractNewRecordState")
	if !ok {
		t.Fatal("ConfigKeys(ExtractNewRecordState) found nothing")
	}
	defaults := map[string]string{}
	for _, k := range keys {
		if k.HasDefault {
			defaults[k.Name] = k.DefaultValue
		} else {
			defaults[k.Name] = "<null>"
		}
	}
	want := map[string]string{"delete.tombstone.handling.mode": "<null>", "drop.tombstones": "true", "delete.handling.mode": "drop",
		"route.by.field": "", "add.fields.prefix": "__", "add.fields": "", "add.headers.prefix": "__", "add.headers": "",
		"drop.fields.header.name": "<null>", "drop.fields.from.key": "false", "drop.fields.keep.schema.compatible": "true",
		"replace.null.with.default": "true"}
	for k, v := range want {
		if defaults[k] != v {
			t.Errorf("ConfigKeys: %s has default %q, want %q", k, defaults[k], v)
		}
	}
	if len(keys) != len(want) {
		t.Errorf("ConfigKeys lists %d keys, want %d: %v", len(keys), len(want), defaults)
	}
}

// TestExtractNewRecordStateDebeziumDocsJSON reads the create event of Debezium's
// PostgreSQL connector documentation (the customers table, schemas.enable=true) with
// JsonConverter, flattens it, and writes it back: the bytes are the after row, as the
// event flattening documentation shows the result, under the schema Debezium gives it.
func TestExtractNewRecordStateDebeziumDocsJSON(t *testing.T) {
	doc, err := os.ReadFile("testdata/debezium/postgres-create.json")
	if err != nil {
		t.Fatal(err)
	}
	withSchemas, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	// The delete event the documentation describes for the same row: before holds the
	// row, after is null, op is d.
	var event map[string]any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // keep ts_ns, beyond float64's precision, as written
	if err := dec.Decode(&event); err != nil {
		t.Fatal(err)
	}
	payload := event["payload"].(map[string]any)
	payload["before"], payload["after"], payload["op"] = payload["after"], nil, "d"
	deleteDoc, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}

	const rowSchema = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},` +
		`{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},` +
		`{"type":"string","optional":false,"field":"email"}%s],"optional":false,"name":"PostgreSQL_server.inventory.customers.Value"}`
	const row = `"id":1,"first_name":"Anne","last_name":"Kretchmar","email":"annek@noanswer.org"`
	tests := []struct {
		name        string
		props       map[string]string
		in          []byte
		wantSchemas string // the value written with schemas.enable=true
		wantPlain   string // and with schemas.enable=false
		wantHeaders map[string]string
	}{
		{name: "defaults", in: doc,
			wantSchemas: `{"schema":` + fmt.Sprintf(rowSchema, "") + `,"payload":{` + row + `}}`,
			wantPlain:   `{` + row + `}`},
		{name: "the documentation's metadata example",
			props: props("add.fields", "op,table,lsn,source.ts_ms", "add.headers", "db", "delete.handling.mode", "rewrite"), in: doc,
			wantSchemas: `{"schema":` + fmt.Sprintf(rowSchema, `,{"type":"string","optional":true,"field":"__deleted"},`+
				`{"type":"string","optional":true,"field":"__op"},{"type":"string","optional":true,"field":"__table"},`+
				`{"type":"int64","optional":true,"field":"__lsn"},{"type":"int64","optional":true,"field":"__source_ts_ms"}`) +
				`,"payload":{` + row + `,"__deleted":"false","__op":"c","__table":"customers","__lsn":24023128,"__source_ts_ms":1559033904863}}`,
			wantPlain:   `{` + row + `,"__deleted":"false","__op":"c","__table":"customers","__lsn":24023128,"__source_ts_ms":1559033904863}`,
			wantHeaders: map[string]string{"__db": "postgres"}},
		{name: "a delete rewritten", props: props("delete.tombstone.handling.mode", "rewrite"), in: deleteDoc,
			wantSchemas: `{"schema":` + fmt.Sprintf(rowSchema, `,{"type":"string","optional":true,"field":"__deleted"}`) +
				`,"payload":{` + row + `,"__deleted":"true"}}`,
			wantPlain: `{` + row + `,"__deleted":"true"}`},
		{name: "a delete to tombstone", props: props("delete.tombstone.handling.mode", "tombstone"), in: deleteDoc,
			wantSchemas: "", wantPlain: ""}, // a Kafka null
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, v, err := withSchemas.ToConnect("PostgreSQL_server.inventory.customers", tt.in)
			if err != nil {
				t.Fatalf("JsonConverter.ToConnect: %v", err)
			}
			rec := &pluginv1.Record{Topic: "PostgreSQL_server.inventory.customers", Partition: -1, ValueSchema: s, Value: v}
			out, err := single(t, "io.debezium.transforms.ExtractNewRecordState", tt.props).Apply(rec)
			if err != nil || out == nil {
				t.Fatalf("Apply = %v, %v; want a flattened record", show(out), err)
			}
			got, err := withSchemas.FromConnect(out.Topic, out.ValueSchema, out.Value)
			if err != nil {
				t.Fatalf("FromConnect (schemas.enable=true): %v", err)
			}
			if string(got) != tt.wantSchemas {
				t.Errorf("with schemas.enable=true the value is\n%s\nwant\n%s", got, tt.wantSchemas)
			}
			got, err = plain.FromConnect(out.Topic, out.ValueSchema, out.Value)
			if err != nil {
				t.Fatalf("FromConnect (schemas.enable=false): %v", err)
			}
			if string(got) != tt.wantPlain {
				t.Errorf("with schemas.enable=false the value is\n%s\nwant\n%s", got, tt.wantPlain)
			}
			headers := map[string]string{}
			for _, h := range out.Headers {
				headers[h.Key] = h.GetValue().GetStringValue()
			}
			if !maps.Equal(headers, tt.wantHeaders) {
				t.Errorf("headers = %v, want %v", headers, tt.wantHeaders)
			}
		})
	}
}
