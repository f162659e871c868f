package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// colSpec is one column the sink writes: its name, its Connect schema and how a record
// gives its value.
type colSpec struct {
	name   string
	schema *data.Schema
	value  func(r *sdk.SinkRecord) any
}

// layout is how records of one key and value schema map to one table's columns, as
// Confluent's FieldsMetadata: the key columns (by pk.mode) and the other columns.
type layout struct {
	keys   []colSpec
	values []colSpec
}

func (l *layout) all() []colSpec { return append(append([]colSpec(nil), l.keys...), l.values...) }

func names(cs []colSpec) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

func without(all, drop []string) []string {
	var out []string
	for _, a := range all {
		found := false
		for _, d := range drop {
			if a == d {
				found = true
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// writeInsert writes INSERT INTO table (cols) VALUES (…),(…) for rows rows.
func writeInsert(b *strings.Builder, table string, cols []string, rows int, q func(string) string, ph func(int) string) {
	b.WriteString("INSERT INTO " + table + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(q(c))
	}
	b.WriteString(") VALUES ")
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteString(",")
		}
		b.WriteString("(")
		for i := range cols {
			if i > 0 {
				b.WriteString(",")
			}
			n++
			b.WriteString(ph(n))
		}
		b.WriteString(")")
	}
}

// structField returns a function reading field name of a struct value (or key).
func structField(name string, fromKey bool) func(r *sdk.SinkRecord) any {
	return func(r *sdk.SinkRecord) any {
		v := r.Value
		if fromKey {
			v = r.Key
		}
		st, ok := v.(*data.Struct)
		if !ok {
			return nil
		}
		return st.Get(name)
	}
}

// layoutOf builds the layout of a record, as Confluent's FieldsMetadata.extract: which
// columns are the key (pk.mode, pk.fields) and which the rest (the value's fields,
// fields.whitelist).
func layoutOf(cfg *sinkConfig, r *sdk.SinkRecord, tombstone bool) (*layout, error) {
	l := &layout{}
	vs := r.ValueSchema
	switch cfg.pkMode {
	case pkKafka:
		ns := []string{"__connect_topic", "__connect_partition", "__connect_offset"}
		if len(cfg.pkFields) == 3 {
			ns = cfg.pkFields
		}
		l.keys = []colSpec{
			{ns[0], data.StringSchema, func(r *sdk.SinkRecord) any { return r.Topic }},
			{ns[1], data.Int32Schema, func(r *sdk.SinkRecord) any { return r.Partition }},
			{ns[2], data.Int64Schema, func(r *sdk.SinkRecord) any { return r.Offset }},
		}
	case pkRecordKey:
		ks := r.KeySchema
		if ks == nil {
			return nil, fmt.Errorf("pk.mode=record_key needs a key with a schema, and the record has none: set key.converter to a converter with schemas (e.g. JsonConverter with key.converter.schemas.enable=true)")
		}
		if ks.Type == data.TypeStruct {
			fs := cfg.pkFields
			if len(fs) == 0 {
				for _, f := range ks.Fields {
					fs = append(fs, f.Name)
				}
			}
			for _, n := range fs {
				f, ok := ks.Field(n)
				if !ok {
					return nil, fmt.Errorf("%s names key field %q, which the key schema does not have", keyPKFields, n)
				}
				l.keys = append(l.keys, colSpec{n, f.Schema, structField(n, true)})
			}
		} else {
			if len(cfg.pkFields) != 1 {
				return nil, fmt.Errorf("the key is a primitive (%s): %s must name exactly one column for it", ks.Type, keyPKFields)
			}
			l.keys = []colSpec{{cfg.pkFields[0], ks, func(r *sdk.SinkRecord) any { return r.Key }}}
		}
	case pkRecordValue:
		if vs != nil {
			fs := cfg.pkFields
			if len(fs) == 0 {
				for _, f := range vs.Fields {
					fs = append(fs, f.Name)
				}
			}
			for _, n := range fs {
				f, ok := vs.Field(n)
				if !ok {
					return nil, fmt.Errorf("%s names value field %q, which the value schema does not have", keyPKFields, n)
				}
				l.keys = append(l.keys, colSpec{n, f.Schema, structField(n, false)})
			}
		}
	}
	if tombstone {
		return l, nil
	}
	isKey := map[string]bool{}
	for _, k := range l.keys {
		isKey[k.name] = true
	}
	for _, f := range vs.Fields {
		if isKey[f.Name] {
			continue
		}
		if len(cfg.fields) > 0 && !contains(cfg.fields, f.Name) {
			continue
		}
		l.values = append(l.values, colSpec{f.Name, f.Schema, structField(f.Name, false)})
	}
	if len(l.keys)+len(l.values) == 0 {
		return nil, fmt.Errorf("no column to write: the value has no fields (after %s)", keyFieldsList)
	}
	return l, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// opKind is what a run of records does to its table.
type opKind int

const (
	opWrite opKind = iota
	opDelete
)

// run is consecutive records of one table, kind and layout, written by one statement
// (or one COPY) per batch.size rows.
type run struct {
	table  string
	kind   opKind
	layout *layout
	recs   []*sdk.SinkRecord
}

// writer writes runs on one connection, inside the transaction the sink task opened.
type writer struct {
	d   dialect
	cfg *sinkConfig
	q   func(string) string
}

func (w *writer) write(ctx context.Context, conn *sql.Conn, r *run) error {
	switch {
	case r.kind == opDelete:
		return w.delete(ctx, conn, r)
	case w.cfg.insertMode == "update":
		return w.update(ctx, conn, r)
	case w.cfg.insertMode == "upsert":
		return w.upsert(ctx, conn, r)
	}
	if dbKindOf(w.d) == postgres {
		return w.copy(ctx, conn, r)
	}
	return w.insert(ctx, conn, r)
}

// rowsPer is the most rows one statement of cols columns carries: batch.size, and
// under the 65535 parameters both databases allow.
func (w *writer) rowsPer(cols int) int { return max(1, min(w.cfg.batchSize, 65535/max(1, cols))) }

func (w *writer) args(cols []colSpec, recs []*sdk.SinkRecord) ([]any, error) {
	args := make([]any, 0, len(cols)*len(recs))
	for _, r := range recs {
		for _, c := range cols {
			v, err := w.d.param(c.value(r), c.schema, w.cfg.tz)
			if err != nil {
				return nil, recordError(r, fmt.Errorf("field %s: %w", c.name, err))
			}
			args = append(args, v)
		}
	}
	return args, nil
}

func (w *writer) insert(ctx context.Context, conn *sql.Conn, r *run) error {
	cols := r.layout.all()
	per := w.rowsPer(len(cols))
	for i := 0; i < len(r.recs); i += per {
		chunk := r.recs[i:min(i+per, len(r.recs))]
		var b strings.Builder
		writeInsert(&b, r.table, names(cols), len(chunk), w.q, w.d.placeholder)
		args, err := w.args(cols, chunk)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, b.String(), args...); err != nil {
			return chunkError(w.d, chunk, err)
		}
	}
	return nil
}

// copy writes an insert run with COPY FROM STDIN (pgx CopyFrom), in the transaction.
func (w *writer) copy(ctx context.Context, conn *sql.Conn, r *run) error {
	cols := r.layout.all()
	rows := make([][]any, len(r.recs))
	for i, rec := range r.recs {
		row := make([]any, len(cols))
		for j, c := range cols {
			v, err := w.d.param(c.value(rec), c.schema, w.cfg.tz)
			if err != nil {
				return recordError(rec, fmt.Errorf("field %s: %w", c.name, err))
			}
			row[j] = v
		}
		rows[i] = row
	}
	ident := pgx.Identifier(splitTable(r.table, w.cfg.quote))
	err := conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		_, err := pc.CopyFrom(ctx, ident, names(cols), pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return chunkError(w.d, r.recs, err)
	}
	return nil
}

// splitTable splits a statement's table name back into its parts for pgx.Identifier.
func splitTable(sqlName string, quoted bool) []string {
	if !quoted {
		return strings.Split(sqlName, ".")
	}
	var parts []string
	for _, p := range strings.Split(sqlName, `"."`) {
		parts = append(parts, strings.ReplaceAll(strings.Trim(p, `"`), `""`, `"`))
	}
	return parts
}

func (w *writer) upsert(ctx context.Context, conn *sql.Conn, r *run) error {
	// One statement must not touch a row twice (PostgreSQL refuses it): of the records
	// of one key in the run, the last wins, as it would written one by one.
	recs := lastPerKey(r)
	cols := r.layout.all()
	per := w.rowsPer(len(cols))
	for i := 0; i < len(recs); i += per {
		chunk := recs[i:min(i+per, len(recs))]
		stmt := w.d.upsert(r.table, names(cols), names(r.layout.keys), len(chunk), w.q)
		args, err := w.args(cols, chunk)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, stmt, args...); err != nil {
			return chunkError(w.d, chunk, err)
		}
	}
	return nil
}

// lastPerKey returns the run's records without those a later record of the same key
// replaces, in order.
func lastPerKey(r *run) []*sdk.SinkRecord {
	if len(r.layout.keys) == 0 {
		return r.recs
	}
	last := make(map[string]int, len(r.recs))
	keys := make([]string, len(r.recs))
	for i, rec := range r.recs {
		var b strings.Builder
		for _, k := range r.layout.keys {
			fmt.Fprintf(&b, "%v\x00", k.value(rec))
		}
		keys[i] = b.String()
		last[keys[i]] = i
	}
	if len(last) == len(r.recs) {
		return r.recs
	}
	out := make([]*sdk.SinkRecord, 0, len(last))
	for i, rec := range r.recs {
		if last[keys[i]] == i {
			out = append(out, rec)
		}
	}
	return out
}

func (w *writer) where(keys []colSpec, n int) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(w.q(k.name) + "=" + w.d.placeholder(n+i+1))
	}
	return b.String()
}

func (w *writer) update(ctx context.Context, conn *sql.Conn, r *run) error {
	if len(r.layout.values) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("UPDATE " + r.table + " SET ")
	for i, c := range r.layout.values {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(w.q(c.name) + "=" + w.d.placeholder(i+1))
	}
	b.WriteString(" WHERE " + w.where(r.layout.keys, len(r.layout.values)))
	stmt := b.String()
	cols := append(append([]colSpec(nil), r.layout.values...), r.layout.keys...)
	for _, rec := range r.recs {
		args, err := w.args(cols, []*sdk.SinkRecord{rec})
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, stmt, args...); err != nil {
			return chunkError(w.d, []*sdk.SinkRecord{rec}, err)
		}
	}
	return nil
}

func (w *writer) delete(ctx context.Context, conn *sql.Conn, r *run) error {
	stmt := "DELETE FROM " + r.table + " WHERE " + w.where(r.layout.keys, 0)
	for _, rec := range r.recs {
		args, err := w.args(r.layout.keys, []*sdk.SinkRecord{rec})
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, stmt, args...); err != nil {
			return chunkError(w.d, []*sdk.SinkRecord{rec}, err)
		}
	}
	return nil
}

// dataError is a record (or a batch holding it) the database refused for its data: the
// kernel puts the batch's records one at a time and dead-letters the one refused alone
// under errors.tolerance=all.
type dataError struct{ err error }

func (e *dataError) Error() string { return e.err.Error() }
func (e *dataError) Unwrap() error { return e.err }

func recordError(r *sdk.SinkRecord, err error) error {
	return &dataError{fmt.Errorf("record %s-%d@%d: %w", r.Topic, r.Partition, r.Offset, err)}
}

// chunkError names the records of a failed statement; a refusal of the data is a
// dataError, anything else is returned as it is (and retried).
func chunkError(d dialect, recs []*sdk.SinkRecord, err error) error {
	first, last := recs[0], recs[len(recs)-1]
	e := fmt.Errorf("records %s-%d@%d…%s-%d@%d: %w", first.Topic, first.Partition, first.Offset, last.Topic, last.Partition, last.Offset, err)
	if len(recs) == 1 {
		e = fmt.Errorf("record %s-%d@%d: %w", first.Topic, first.Partition, first.Offset, err)
	}
	if d.isDataError(err) {
		return &dataError{e}
	}
	return e
}
