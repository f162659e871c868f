package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// dialect is every difference between the databases, as Confluent's DatabaseDialect:
// connecting, quoting, listing and describing tables, the database's clock, the
// statements of the sink and the column types it creates.
type dialect interface {
	// open connects to the database of u; the session works in UTC.
	open(ctx context.Context, u dbURL) (*sql.DB, error)
	// quote quotes one identifier.
	quote(name string) string
	// placeholder is the n-th (from 1) statement parameter.
	placeholder(n int) string
	// listTables returns the tables (and views) of the given types whose catalog and
	// schema match the LIKE patterns ("" is the connection's database).
	listTables(ctx context.Context, db *sql.DB, catalogPattern, schemaPattern string, types []string) ([]tableID, error)
	// describe returns a table's columns in order; nil when the table does not exist.
	describe(ctx context.Context, db *sql.DB, t tableID) ([]column, error)
	// now returns the database's clock.
	now(ctx context.Context, db *sql.DB) (time.Time, error)
	// timeArg is the statement parameter comparing with a column that holds t; wall says
	// the column holds a date-time without a zone, in tz.
	timeArg(t time.Time, wall bool, tz *time.Location) any
	// columnType is the SQL type a sink creates for a field of schema s.
	columnType(s *data.Schema) (string, error)
	// upsert is the statement writing rows rows of cols, updating the non-key columns
	// of the rows whose keys exist.
	upsert(table string, cols, keys []string, rows int, q func(string) string) string
	// param converts a Connect value of schema s to a statement parameter.
	param(v any, s *data.Schema, tz *time.Location) (any, error)
	// isDataError says whether err is the database refusing a row (a constraint, a
	// value that does not fit), not the connection or the statement failing.
	isDataError(err error) bool
}

// dialectFor returns the dialect of a URL's database.
func dialectFor(k dbKind) dialect {
	if k == postgres {
		return postgresDialect{}
	}
	return mysqlDialect{}
}

// tableID names a table: catalog (PostgreSQL's database, MySQL's database), schema
// (PostgreSQL only) and name.
type tableID struct{ catalog, schema, name string }

// fqn is the table's fully qualified name, unquoted, as Confluent's source partition
// holds it: catalog.schema.table (PostgreSQL) or catalog.table (MySQL).
func (t tableID) fqn() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{t.catalog, t.schema, t.name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// sqlName is the table's name in a statement: schema.table or catalog.table, each part
// through q.
func (t tableID) sqlName(k dbKind, q func(string) string) string {
	if k == postgres {
		if t.schema != "" {
			return q(t.schema) + "." + q(t.name)
		}
		return q(t.name)
	}
	if t.catalog != "" {
		return q(t.catalog) + "." + q(t.name)
	}
	return q(t.name)
}

// column is one column of a table, from the catalog.
type column struct {
	name     string
	typeName string // the database's type name, upper case (int4, DATETIME …)
	nullable bool
	autoInc  bool
}

// quoter returns the identifier quoting of a connector: the dialect's under
// quote.sql.identifiers=always, none under never.
func quoter(d dialect, always bool) func(string) string {
	if always {
		return d.quote
	}
	return func(s string) string { return s }
}

// connect opens the database, trying attempts times backoff apart, as Confluent's
// connection.attempts and connection.backoff.ms.
func connect(ctx context.Context, cc connConfig) (dialect, *sql.DB, error) {
	d := dialectFor(cc.url.kind)
	var last error
	for i := range cc.attempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, nil, fmt.Errorf("connecting to %s: %w (last error: %v)", cc.url.host, ctx.Err(), last)
			case <-time.After(cc.backoff):
			}
		}
		db, err := d.open(ctx, cc.url)
		if err == nil {
			return d, db, nil
		}
		last = err
	}
	return nil, nil, fmt.Errorf("could not connect to %s %s:%d/%s after %s=%d: %w", cc.url.kind, cc.url.host, cc.url.port, cc.url.database, keyAttempts, cc.attempts, last)
}

// wallUTC returns t's wall clock in tz, labelled UTC.
func wallUTC(t time.Time, tz *time.Location) time.Time {
	w := t.In(tz)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// fromWall reads a wall clock the driver labelled UTC as a time in tz.
func fromWall(t time.Time, tz *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), tz)
}
