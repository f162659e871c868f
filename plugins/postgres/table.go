package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// table is one captured table: its columns in attribute order (the order pgoutput
// tuples and snapshot rows carry them), which of them the value and key hold, and the
// Connect schemas of its records.
type table struct {
	OID          uint32
	Schema, Name string
	cols         []*column // every column, attribute order
	value        []int     // indexes into cols of the emitted columns
	key          []int     // indexes into cols of the key columns (nil: null key)
	emitted      []bool    // by index into cols: the column is in value
	keyIsPK      bool      // the key is the primary key
	topic        string
	keySchema    *data.Schema
	valueSchema  *data.Schema
	envSchema    *data.Schema

	// The source block's strings of the table's records, boxed once (sourceInfo).
	srcServer, srcDB, srcSchema, srcTable any
}

// id is the table's Debezium identifier, schema.table.
func (t *table) id() string { return t.Schema + "." + t.Name }

// catalog reads tables and types from the database over a normal connection.
type catalog struct {
	conn  *pgx.Conn
	types map[uint32]*pgType
	opts  typeOptions
	cfg   *config
}

func newCatalog(conn *pgx.Conn, cfg *config) *catalog {
	return &catalog{conn: conn, types: map[uint32]*pgType{}, cfg: cfg,
		opts: typeOptions{decimal: cfg.Decimal, timeConnect: cfg.TimeConnect}}
}

// capturedTables lists the ordinary and partitioned tables the filter captures, sorted
// by schema.table.
func (c *catalog) capturedTables(ctx context.Context) ([]*table, error) {
	rows, err := c.conn.Query(ctx, `SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY n.nspname, c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	type rel struct {
		oid          uint32
		schema, name string
	}
	var rels []rel
	for rows.Next() {
		var r rel
		if err := rows.Scan(&r.oid, &r.schema, &r.name); err != nil {
			return nil, err
		}
		if c.cfg.Filter.table(r.schema, r.name) {
			rels = append(rels, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*table
	for _, r := range rels {
		t, err := c.load(ctx, r.oid)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// load reads table oid's columns, key and types and builds its schemas.
func (c *catalog) load(ctx context.Context, oid uint32) (*table, error) {
	t := &table{OID: oid}
	var ident string
	if err := c.conn.QueryRow(ctx, `SELECT n.nspname, c.relname, c.relreplident::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`, oid).
		Scan(&t.Schema, &t.Name, &ident); err != nil {
		return nil, fmt.Errorf("table oid %d: %w", oid, err)
	}
	rows, err := c.conn.Query(ctx, `SELECT attname, atttypid, atttypmod, attnotnull, attnum FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("table %s columns: %w", t.id(), err)
	}
	var attnums []int16
	for rows.Next() {
		var col column
		var typ uint32
		var notNull bool
		var attnum int16
		if err := rows.Scan(&col.Name, &typ, &col.TypMod, &notNull, &attnum); err != nil {
			return nil, err
		}
		col.Optional = !notNull
		col.Type = &pgType{OID: typ}
		t.cols = append(t.cols, &col)
		attnums = append(attnums, attnum)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, col := range t.cols {
		if col.Type, err = c.typeOf(ctx, col.Type.OID); err != nil {
			return nil, err
		}
	}
	// The key: the primary key, else the replica identity index, else every column under
	// REPLICA IDENTITY FULL, else none.
	keyNums, err := c.indexColumns(ctx, oid, "indisprimary")
	if err != nil {
		return nil, err
	}
	t.keyIsPK = len(keyNums) > 0
	if len(keyNums) == 0 && ident == "i" {
		if keyNums, err = c.indexColumns(ctx, oid, "indisreplident"); err != nil {
			return nil, err
		}
	}
	if len(keyNums) == 0 && ident == "f" {
		keyNums = attnums
	}
	for _, n := range keyNums {
		if i := slices.Index(attnums, n); i >= 0 {
			t.key = append(t.key, i)
		}
	}
	return t, c.build(t)
}

// indexColumns returns the attribute numbers of the table's index with flag, in index order.
func (c *catalog) indexColumns(ctx context.Context, oid uint32, flag string) ([]int16, error) {
	rows, err := c.conn.Query(ctx, `SELECT k.attnum FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		WHERE i.indrelid = $1 AND i.`+flag+` ORDER BY k.ord`, oid)
	if err != nil {
		return nil, fmt.Errorf("index of table oid %d: %w", oid, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int16])
}

// typeOf returns type oid with its enum labels or array element type, cached.
func (c *catalog) typeOf(ctx context.Context, oid uint32) (*pgType, error) {
	if t, ok := c.types[oid]; ok {
		return t, nil
	}
	t := &pgType{OID: oid}
	var typtype, category string
	var elem uint32
	if err := c.conn.QueryRow(ctx, `SELECT format_type(oid, NULL), typtype::text, typcategory::text, typelem FROM pg_type WHERE oid = $1`, oid).
		Scan(&t.Name, &typtype, &category, &elem); err != nil {
		return nil, fmt.Errorf("type oid %d: %w", oid, err)
	}
	if typtype == "d" {
		// A domain: its base type's mapping.
		var base uint32
		if err := c.conn.QueryRow(ctx, `SELECT typbasetype FROM pg_type WHERE oid = $1`, oid).Scan(&base); err != nil {
			return nil, err
		}
		bt, err := c.typeOf(ctx, base)
		if err != nil {
			return nil, err
		}
		c.types[oid] = bt
		return bt, nil
	}
	c.types[oid] = t
	switch {
	case typtype == "e":
		rows, err := c.conn.Query(ctx, `SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder`, oid)
		if err != nil {
			return nil, err
		}
		if t.Labels, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, err
		}
	case category == "A" && elem != 0:
		e, err := c.typeOf(ctx, elem)
		if err != nil {
			return nil, err
		}
		t.Elem = e
	}
	return t, nil
}

// build binds the columns' converters and makes the table's schemas; an unsupported
// column type among the emitted or key columns is an error naming it.
func (c *catalog) build(t *table) error {
	name := c.cfg.Prefix + "." + t.Schema + "." + t.Name
	t.topic = name
	t.srcServer, t.srcDB, t.srcSchema, t.srcTable = c.cfg.Prefix, c.cfg.DBName, t.Schema, t.Name
	t.value = t.value[:0]
	for i, col := range t.cols {
		emitted := c.cfg.Filter.column(t.Schema, t.Name, col.Name)
		if !emitted && !slices.Contains(t.key, i) {
			continue
		}
		if err := col.bind(c.opts, t.id()); err != nil {
			return err
		}
		if emitted {
			t.value = append(t.value, i)
		}
	}
	t.emitted = make([]bool, len(t.cols))
	for _, i := range t.value {
		t.emitted[i] = true
	}
	fields := make([]data.Field, len(t.value))
	for j, i := range t.value {
		fields[j] = data.NewField(t.cols[i].Name, t.cols[i].schema)
	}
	t.valueSchema = data.StructOf(name+".Value", fields...)
	t.envSchema = envelopeSchema(name, t.valueSchema)
	t.keySchema = nil
	if len(t.key) > 0 {
		kf := make([]data.Field, len(t.key))
		for j, i := range t.key {
			kf[j] = data.NewField(t.cols[i].Name, t.cols[i].schema)
		}
		t.keySchema = data.StructOf(name+".Key", kf...)
	}
	return nil
}

// cell is one column's text value as the database sent it.
type cell struct {
	null      bool
	unchanged bool // an unchanged TOASTed value logical decoding did not send
	text      string
}

// structs converts a row's cells (attribute order) into the table's Value struct (only
// when row is set) and Key struct (nil without a key), converting each column once.
// vals is scratch space the caller keeps between rows.
func (t *table) structs(cells []cell, row bool, vals *[]any) (value, key *data.Struct, err error) {
	if cap(*vals) < len(t.cols) {
		*vals = make([]any, len(t.cols))
	}
	v := (*vals)[:len(t.cols)]
	defer clear(v)
	if row {
		value = data.NewStruct(t.valueSchema)
		for j, i := range t.value {
			if v[i], err = t.cellValue(i, cells); err != nil {
				return nil, nil, err
			}
			value.PutAt(j, v[i])
		}
	}
	if t.keySchema != nil {
		key = data.NewStruct(t.keySchema)
		for j, i := range t.key {
			x := v[i]
			if !row || !t.emitted[i] {
				if x, err = t.cellValue(i, cells); err != nil {
					return nil, nil, err
				}
			}
			key.PutAt(j, x)
		}
	}
	return value, key, nil
}

func (t *table) cellValue(i int, cells []cell) (any, error) {
	col := t.cols[i]
	if i >= len(cells) || cells[i].null {
		if col.Optional {
			return nil, nil
		}
		return fallback(col.schema), nil
	}
	c := cells[i]
	if c.unchanged {
		switch col.schema.Type {
		case data.TypeString:
			return unavailable, nil
		case data.TypeBytes:
			if col.schema.Name == "" {
				return []byte(unavailable), nil
			}
		}
		return nil, fmt.Errorf("column %s.%s (%s): an unchanged TOASTed value was not sent; set REPLICA IDENTITY FULL on the table", t.id(), col.Name, col.Type.Name)
	}
	v, err := col.conv(c.text)
	if err != nil {
		return nil, fmt.Errorf("column %s.%s (%s): value %q: %w", t.id(), col.Name, col.Type.Name, c.text, err)
	}
	return v, nil
}

// fromRelation builds a table from a pgoutput Relation message: its columns, types and
// order are the message's (the shape of the rows that follow it); nullability and the
// primary key come from the catalog, by column name; without a primary key the
// message's replica identity columns are the key (all of them under FULL).
func (c *catalog) fromRelation(ctx context.Context, rel *pglogrepl.RelationMessage) (*table, error) {
	cur, err := c.load(ctx, rel.RelationID)
	if err != nil {
		return nil, err
	}
	t := &table{OID: rel.RelationID, Schema: rel.Namespace, Name: rel.RelationName}
	var pk []string
	if len(cur.key) > 0 && cur.keyIsPK {
		for _, i := range cur.key {
			pk = append(pk, cur.cols[i].Name)
		}
	}
	var identity []int
	for i, rc := range rel.Columns {
		typ, err := c.typeOf(ctx, rc.DataType)
		if err != nil {
			return nil, err
		}
		col := &column{Name: rc.Name, Type: typ, TypMod: rc.TypeModifier, Optional: true}
		for _, cc := range cur.cols {
			if cc.Name == rc.Name {
				col.Optional = cc.Optional
			}
		}
		t.cols = append(t.cols, col)
		if rc.Flags&1 != 0 {
			identity = append(identity, i)
		}
	}
	if len(pk) > 0 {
		for _, name := range pk {
			if i := slices.IndexFunc(t.cols, func(c *column) bool { return c.Name == name }); i >= 0 {
				t.key = append(t.key, i)
			}
		}
	} else if rel.ReplicaIdentity == 'i' || rel.ReplicaIdentity == 'f' {
		t.key = identity
	}
	t.keyIsPK = len(pk) > 0
	return t, c.build(t)
}
