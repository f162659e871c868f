package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// Confluent's source partition and offset keys.
const (
	partTable       = "table"
	partProtocol    = "protocol"
	partQuery       = "query"
	offIncrementing = "incrementing"
	offTimestamp    = "timestamp"
	offTsNanos      = "timestamp_nanos"
)

// position is a querier's offset: the last incrementing value and timestamp read, as
// Confluent's TimestampIncrementingOffset.
type position struct {
	inc   int64
	hasTs bool
	ts    time.Time
}

// offset returns p as Confluent writes it: {"incrementing": n} and/or {"timestamp": ms,
// "timestamp_nanos": nanos of the second}.
func (p position) offset(mode string) sdk.Offset {
	m := map[string]any{}
	if mode == modeIncrementing || mode == modeTsInc {
		m[offIncrementing] = p.inc
	}
	if mode == modeTimestamp || mode == modeTsInc {
		m[offTimestamp] = p.ts.UnixMilli()
		m[offTsNanos] = int64(p.ts.Nanosecond())
	}
	return sdk.OffsetOf(m)
}

// positionOf reads a committed offset; absent keys keep start's values.
func positionOf(o sdk.Offset, start position) position {
	p := start
	if n, ok := o.Int(offIncrementing); ok {
		p.inc = n
	}
	if ms, ok := o.Int(offTimestamp); ok {
		sec := ms / 1000
		if ms%1000 < 0 {
			sec--
		}
		nanos := (ms - sec*1000) * int64(time.Millisecond)
		if n, ok := o.Int(offTsNanos); ok && n >= 0 && n < int64(time.Second) {
			nanos = n
		}
		p.ts, p.hasTs = time.Unix(sec, nanos).UTC(), true
	}
	return p
}

// querier polls one table (or the query): it builds the statement of its mode, keeps
// the result open across polls until it is read, and owns the position it has reached,
// as Confluent's TableQuerier.
type querier struct {
	d     dialect
	db    *sql.DB
	cfg   *sourceConfig
	q     func(string) string
	table *tableID // nil for the query
	name  string   // the table's fqn, or "query"

	topic      string
	partition  sdk.Partition
	schemaName string

	pos     position
	nextRun time.Time
	// inclusive makes the next timestamp-mode statement read rows at the position's
	// timestamp too (>= instead of >): after a resume, the committed record may be one of
	// several sharing its timestamp, and the others must not be skipped.
	inclusive bool

	// The result being read.
	tx     *sql.Tx
	rows   *sql.Rows
	fields []field
	schema *data.Schema
	incAt  int   // index of the incrementing column, -1 if none
	tsAt   []int // indexes of the timestamp columns
	vals   []any
	ptrs   []any
	// nullable is the table's column nullability, from the catalog.
	nullable map[string]bool
	// tsTypes is the table's column types by lower-case name, from the catalog.
	tsTypes map[string]string
}

func newQuerier(d dialect, db *sql.DB, cfg *sourceConfig, t *tableID, committed func(sdk.Partition) (sdk.Offset, bool)) *querier {
	qr := &querier{d: d, db: db, cfg: cfg, q: quoter(d, cfg.quote), table: t}
	if t != nil {
		qr.name = t.fqn()
		qr.topic = cfg.topicPrefix + t.name
		qr.schemaName = t.name
		qr.partition = sdk.Partition{partProtocol: "1", partTable: qr.name}
	} else {
		qr.name = "query"
		qr.topic = cfg.topicPrefix
		qr.partition = sdk.Partition{partQuery: "query"}
	}
	start := position{inc: -1}
	if cfg.mode == modeTimestamp || cfg.mode == modeTsInc {
		start.hasTs = true
		start.ts = time.Unix(0, 0).UTC()
		if cfg.tsInitial != nil {
			if *cfg.tsInitial == -1 {
				start.ts = time.Now().UTC()
			} else {
				start.ts = time.UnixMilli(*cfg.tsInitial).UTC()
			}
		}
	}
	qr.pos = start
	if o, ok := committed(qr.partition); ok {
		qr.pos = positionOf(o, start)
		qr.inclusive = cfg.mode == modeTimestamp
	} else if t != nil {
		// Confluent's protocol 0 partition: the bare table name.
		if o, ok := committed(sdk.Partition{partTable: t.name}); ok {
			qr.pos = positionOf(o, start)
			qr.inclusive = cfg.mode == modeTimestamp
		}
	}
	return qr
}

// tsExpr is the timestamp expression: the column, or COALESCE of the columns in order.
func (qr *querier) tsExpr() string {
	if len(qr.cfg.tsColumns) == 1 {
		return qr.q(qr.cfg.tsColumns[0])
	}
	parts := make([]string, len(qr.cfg.tsColumns))
	for i, c := range qr.cfg.tsColumns {
		parts[i] = qr.q(c)
	}
	return "COALESCE(" + strings.Join(parts, ",") + ")"
}

// statement returns the SELECT of the querier's mode with its parameters, as
// Confluent's TimestampIncrementingCriteria builds it.
func (qr *querier) statement(ctx context.Context) (string, []any, error) {
	var b strings.Builder
	if qr.table != nil {
		b.WriteString("SELECT * FROM " + qr.table.sqlName(dbKindOf(qr.d), qr.q))
	} else {
		b.WriteString(qr.cfg.query)
	}
	var args []any
	ph := func(v any) string { args = append(args, v); return qr.d.placeholder(len(args)) }
	inc := qr.q(qr.cfg.incColumn)
	switch qr.cfg.mode {
	case modeIncrementing:
		fmt.Fprintf(&b, " WHERE %s > %s ORDER BY %s ASC", inc, ph(qr.pos.inc), inc)
	case modeTimestamp, modeTsInc:
		now, err := qr.d.now(ctx, qr.db)
		if err != nil {
			return "", nil, fmt.Errorf("reading the database's clock: %w", err)
		}
		end := now.Add(-qr.cfg.tsDelay)
		wall := qr.tsWall()
		ts := qr.tsExpr()
		begin := qr.d.timeArg(qr.pos.ts, wall, qr.cfg.tz)
		endArg := qr.d.timeArg(end, wall, qr.cfg.tz)
		if qr.cfg.mode == modeTimestamp {
			op := ">"
			if qr.inclusive {
				op = ">="
			}
			fmt.Fprintf(&b, " WHERE %s %s %s AND %s < %s ORDER BY %s ASC", ts, op, ph(begin), ts, ph(endArg), ts)
		} else {
			fmt.Fprintf(&b, " WHERE %s < %s AND ((%s = %s AND %s > %s) OR %s > %s) ORDER BY %s,%s ASC",
				ts, ph(endArg), ts, ph(begin), inc, ph(qr.pos.inc), ts, ph(begin), ts, inc)
		}
	}
	if qr.cfg.querySuffix != "" {
		b.WriteString(" " + qr.cfg.querySuffix)
	}
	return b.String(), args, nil
}

// tsWall says whether the (first) timestamp column holds wall clocks of db.timezone,
// from the catalog; a query's columns are taken as the table's would be: instants for
// PostgreSQL timestamptz and MySQL TIMESTAMP.
func (qr *querier) tsWall() bool {
	t, ok := qr.tsTypes[strings.ToLower(qr.cfg.tsColumns[0])]
	if !ok {
		return false
	}
	return t == "TIMESTAMP" && dbKindOf(qr.d) == postgres || t == "DATETIME" && dbKindOf(qr.d) == mysqlDB
}

func dbKindOf(d dialect) dbKind {
	if _, ok := d.(postgresDialect); ok {
		return postgres
	}
	return mysqlDB
}

// describeTable reads the table's column nullability and types from the catalog, and
// checks the mode's columns exist (and, under validate.non.null, are NOT NULL).
func (qr *querier) describeTable(ctx context.Context) error {
	if qr.table == nil || qr.nullable != nil {
		return nil
	}
	cols, err := qr.d.describe(ctx, qr.db, *qr.table)
	if err != nil {
		return fmt.Errorf("describing table %s: %w", qr.name, err)
	}
	qr.nullable = map[string]bool{}
	qr.tsTypes = map[string]string{}
	for _, c := range cols {
		qr.nullable[c.name] = c.nullable
		qr.tsTypes[strings.ToLower(c.name)] = c.typeName
	}
	check := func(key, col string) error {
		var found *column
		for i := range cols {
			if strings.EqualFold(cols[i].name, col) {
				found = &cols[i]
			}
		}
		if found == nil {
			return sdk.ConfigError{Key: key, Message: fmt.Sprintf("table %s has no column %q", qr.name, col)}
		}
		if qr.cfg.validateNonNull && found.nullable {
			return sdk.ConfigError{Key: key, Message: fmt.Sprintf("column %q of table %s is nullable: make it NOT NULL, or set %s=false (rows where it is NULL are then never read)", col, qr.name, keyValidateNonNull)}
		}
		return nil
	}
	if qr.cfg.mode == modeIncrementing || qr.cfg.mode == modeTsInc {
		if err := check(keyIncColumn, qr.cfg.incColumn); err != nil {
			return err
		}
	}
	if qr.cfg.mode == modeTimestamp || qr.cfg.mode == modeTsInc {
		for _, c := range qr.cfg.tsColumns {
			if err := check(keyTsColumn, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// start runs the statement and maps the result's columns. It is not cut short by the
// poll's deadline (a statement cancelled halfway would only be run again).
func (qr *querier) start(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	if err := qr.describeTable(ctx); err != nil {
		return err
	}
	stmt, args, err := qr.statement(ctx)
	if err != nil {
		return err
	}
	var rows *sql.Rows
	if iso, ok := isolationOf(qr.cfg.isolation); ok {
		tx, err := qr.db.BeginTx(context.WithoutCancel(ctx), &sql.TxOptions{Isolation: iso, ReadOnly: true})
		if err != nil {
			return fmt.Errorf("%s: begin: %w", qr.name, err)
		}
		qr.tx = tx
		rows, err = tx.QueryContext(context.WithoutCancel(ctx), stmt, args...)
	} else {
		rows, err = qr.db.QueryContext(context.WithoutCancel(ctx), stmt, args...)
	}
	if err != nil {
		qr.finish()
		return fmt.Errorf("%s: %s: %w", qr.name, stmt, err)
	}
	qr.rows = rows
	cts, err := rows.ColumnTypes()
	if err != nil {
		qr.finish()
		return err
	}
	rcs := describeResult(cts, qr.nullable)
	qr.fields = qr.fields[:0]
	schemaFields := make([]data.Field, len(rcs))
	qr.incAt, qr.tsAt = -1, qr.tsAt[:0]
	for i, rc := range rcs {
		f, err := mapColumn(dbKindOf(qr.d), qr.name, rc, qr.cfg.numeric, qr.cfg.tz)
		if err != nil {
			qr.finish()
			return err
		}
		qr.fields = append(qr.fields, f)
		schemaFields[i] = data.NewField(f.name, f.schema)
		if strings.EqualFold(rc.name, qr.cfg.incColumn) {
			qr.incAt = i
		}
	}
	for _, c := range qr.cfg.tsColumns {
		for i, rc := range rcs {
			if strings.EqualFold(rc.name, c) {
				qr.tsAt = append(qr.tsAt, i)
			}
		}
	}
	if (qr.cfg.mode == modeIncrementing || qr.cfg.mode == modeTsInc) && qr.incAt < 0 {
		qr.finish()
		return sdk.ConfigError{Key: keyIncColumn, Message: fmt.Sprintf("the result of %s has no column %q", qr.name, qr.cfg.incColumn)}
	}
	if (qr.cfg.mode == modeTimestamp || qr.cfg.mode == modeTsInc) && len(qr.tsAt) != len(qr.cfg.tsColumns) {
		qr.finish()
		return sdk.ConfigError{Key: keyTsColumn, Message: fmt.Sprintf("the result of %s lacks one of the columns %v", qr.name, qr.cfg.tsColumns)}
	}
	for _, i := range qr.tsAt {
		if qr.fields[i].instant == nil {
			qr.finish()
			return sdk.ConfigError{Key: keyTsColumn, Message: fmt.Sprintf("column %q of %s is %s, not a timestamp", rcs[i].name, qr.name, rcs[i].typeName)}
		}
	}
	qr.schema = data.StructOf(qr.schemaName, schemaFields...)
	qr.vals = make([]any, len(rcs))
	qr.ptrs = make([]any, len(rcs))
	for i := range qr.vals {
		qr.ptrs[i] = &qr.vals[i]
	}
	return nil
}

// isolationOf maps transaction.isolation.mode; DEFAULT is no transaction of its own.
func isolationOf(mode string) (sql.IsolationLevel, bool) {
	switch mode {
	case "READ_UNCOMMITTED":
		return sql.LevelReadUncommitted, true
	case "READ_COMMITTED":
		return sql.LevelReadCommitted, true
	case "REPEATABLE_READ":
		return sql.LevelRepeatableRead, true
	case "SERIALIZABLE":
		return sql.LevelSerializable, true
	}
	return sql.LevelDefault, false
}

// read appends up to max rows of the open result as records; done says the result is
// read to its end (and closed).
func (qr *querier) read(out []sdk.SourceRecord, max int) ([]sdk.SourceRecord, bool, error) {
	for n := 0; n < max; n++ {
		if !qr.rows.Next() {
			err := qr.rows.Err()
			qr.finish()
			if err == nil {
				qr.inclusive = false
			}
			if err != nil {
				return out, true, fmt.Errorf("%s: reading rows: %w", qr.name, err)
			}
			return out, true, nil
		}
		if err := qr.rows.Scan(qr.ptrs...); err != nil {
			qr.finish()
			return out, true, fmt.Errorf("%s: %w", qr.name, err)
		}
		st := data.NewStruct(qr.schema)
		for i, v := range qr.vals {
			if v == nil {
				if !qr.fields[i].schema.Optional {
					qr.finish()
					return out, true, fmt.Errorf("table %s column %s: NULL in a column the catalog says is NOT NULL", qr.name, qr.fields[i].name)
				}
				continue
			}
			cv, err := qr.fields[i].conv(v)
			if err != nil {
				qr.finish()
				return out, true, fmt.Errorf("table %s column %s: %w", qr.name, qr.fields[i].name, err)
			}
			st.PutAt(i, cv)
		}
		if err := qr.advance(); err != nil {
			qr.finish()
			return out, true, err
		}
		out = append(out, sdk.SourceRecord{SourcePartition: qr.partition, SourceOffset: qr.recordOffset(),
			Topic: qr.topic, Value: st, ValueSchema: qr.schema})
	}
	return out, false, nil
}

// advance moves the position to the row just scanned.
func (qr *querier) advance() error {
	mode := qr.cfg.mode
	if mode == modeIncrementing || mode == modeTsInc {
		v := qr.vals[qr.incAt]
		n, err := toInt(64)(v)
		if err != nil {
			return fmt.Errorf("table %s: incrementing column %s: %w", qr.name, qr.cfg.incColumn, err)
		}
		qr.pos.inc = n.(int64)
	}
	if mode == modeTimestamp || mode == modeTsInc {
		for _, i := range qr.tsAt {
			if qr.vals[i] == nil {
				continue
			}
			t, ok := qr.fields[i].instant(qr.vals[i])
			if ok {
				qr.pos.ts, qr.pos.hasTs = t, true
				break
			}
		}
	}
	return nil
}

var bulkOffset = sdk.OffsetOf(map[string]any{})

func (qr *querier) recordOffset() sdk.Offset {
	if qr.cfg.mode == modeBulk {
		return bulkOffset
	}
	return qr.pos.offset(qr.cfg.mode)
}

// finish closes the open result (and its transaction).
func (qr *querier) finish() {
	if qr.rows != nil {
		qr.rows.Close()
		qr.rows = nil
	}
	if qr.tx != nil {
		_ = qr.tx.Commit()
		qr.tx = nil
	}
}

func (qr *querier) open() bool { return qr.rows != nil }
