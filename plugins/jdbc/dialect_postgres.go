package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// postgresDialect is PostgreSQL through pgx/v5 (its database/sql driver; the sink's
// inserts use the pgx connection underneath for COPY).
type postgresDialect struct{}

func (postgresDialect) open(ctx context.Context, u dbURL) (*sql.DB, error) {
	q := url.Values{}
	q.Set("sslmode", "prefer")
	for k, vs := range u.params {
		switch k {
		case "sslmode", "application_name", "connect_timeout", "sslrootcert", "sslcert", "sslkey":
			q.Set(k, vs[0])
		case "ssl":
			if vs[0] == "true" {
				q.Set("sslmode", "require")
			}
		case "ApplicationName":
			q.Set("application_name", vs[0])
		case "connectTimeout":
			q.Set("connect_timeout", vs[0])
		case "currentSchema":
			q.Set("search_path", vs[0])
		}
	}
	q.Set("timezone", "UTC")
	dsn := (&url.URL{Scheme: "postgres", User: url.UserPassword(u.user, u.password),
		Host: fmt.Sprintf("%s:%d", u.host, u.port), Path: "/" + u.database, RawQuery: q.Encode()}).String()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (postgresDialect) quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func (postgresDialect) placeholder(n int) string { return fmt.Sprintf("$%d", n) }

func (postgresDialect) listTables(ctx context.Context, db *sql.DB, catalogPattern, schemaPattern string, types []string) ([]tableID, error) {
	var kinds []string
	for _, t := range types {
		if t == "TABLE" {
			kinds = append(kinds, "'BASE TABLE'")
		} else {
			kinds = append(kinds, "'VIEW'")
		}
	}
	q := `SELECT table_catalog, table_schema, table_name FROM information_schema.tables
		WHERE table_type IN (` + strings.Join(kinds, ",") + `)
		AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%'
		AND ($1 = '' OR table_catalog LIKE $1) AND ($2 = '' OR table_schema LIKE $2)
		ORDER BY table_schema, table_name`
	rows, err := db.QueryContext(ctx, q, catalogPattern, schemaPattern)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableID
	for rows.Next() {
		var t tableID
		if err := rows.Scan(&t.catalog, &t.schema, &t.name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (postgresDialect) describe(ctx context.Context, db *sql.DB, t tableID) ([]column, error) {
	schema := t.schema
	if schema == "" {
		schema = "public"
	}
	rows, err := db.QueryContext(ctx, `SELECT column_name, upper(udt_name), is_nullable = 'YES', coalesce(column_default LIKE 'nextval(%', false) OR is_identity = 'YES'
		FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, schema, t.name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typeName, &c.nullable, &c.autoInc); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (postgresDialect) now(ctx context.Context, db *sql.DB) (time.Time, error) {
	var t time.Time
	err := db.QueryRowContext(ctx, "SELECT CURRENT_TIMESTAMP").Scan(&t)
	return t, err
}

// timeArg: pgx writes a time.Time as the instant for timestamptz and as its wall clock
// (dropping the zone) for timestamp.
func (postgresDialect) timeArg(t time.Time, _ bool, tz *time.Location) any { return t.In(tz) }

func (postgresDialect) columnType(s *data.Schema) (string, error) {
	switch s.Name {
	case data.DecimalName:
		return "DECIMAL", nil
	case data.DateName:
		return "DATE", nil
	case data.TimeName:
		return "TIME", nil
	case data.TimestampName:
		return "TIMESTAMP", nil
	}
	switch s.Type {
	case data.TypeInt8, data.TypeInt16:
		return "SMALLINT", nil
	case data.TypeInt32:
		return "INT", nil
	case data.TypeInt64:
		return "BIGINT", nil
	case data.TypeFloat32:
		return "REAL", nil
	case data.TypeFloat64:
		return "DOUBLE PRECISION", nil
	case data.TypeBoolean:
		return "BOOLEAN", nil
	case data.TypeString:
		return "TEXT", nil
	case data.TypeBytes:
		return "BYTEA", nil
	}
	return "", fmt.Errorf("no PostgreSQL column type for %s", s.Type)
}

func (postgresDialect) upsert(table string, cols, keys []string, rows int, q func(string) string) string {
	var b strings.Builder
	writeInsert(&b, table, cols, rows, q, postgresDialect{}.placeholder)
	b.WriteString(" ON CONFLICT (")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(q(k))
	}
	b.WriteString(") DO ")
	nonKey := without(cols, keys)
	if len(nonKey) == 0 {
		b.WriteString("NOTHING")
		return b.String()
	}
	b.WriteString("UPDATE SET ")
	for i, c := range nonKey {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(q(c) + "=EXCLUDED." + q(c))
	}
	return b.String()
}

func (postgresDialect) param(v any, s *data.Schema, tz *time.Location) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch s.Name {
	case data.DecimalName:
		d, ok := v.(data.Decimal)
		if !ok {
			return nil, fmt.Errorf("Decimal value is %T", v)
		}
		return pgtype.Numeric{Int: d.Unscaled, Exp: -d.Scale, Valid: true}, nil
	case data.TimeName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Time value is %T", v)
		}
		return pgtype.Time{Microseconds: int64(data.TimeMillis(t)) * 1000, Valid: true}, nil
	case data.DateName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Date value is %T", v)
		}
		return pgtype.Date{Time: t.UTC(), Valid: true}, nil
	case data.TimestampName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Timestamp value is %T", v)
		}
		return t.In(tz), nil
	}
	return plainParam(v), nil
}

func (postgresDialect) isDataError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	// 22: data exception, 23: integrity constraint violation.
	return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23")
}
