package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// mysqlDialect is MySQL and MariaDB through go-sql-driver/mysql. Sessions run with
// time_zone '+00:00' and the driver in UTC, so TIMESTAMP columns read as instants and
// DATETIME columns as wall clocks the connector places in db.timezone.
type mysqlDialect struct{}

func (mysqlDialect) open(ctx context.Context, u dbURL) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = u.user, u.password
	cfg.Net, cfg.Addr = "tcp", fmt.Sprintf("%s:%d", u.host, u.port)
	cfg.DBName = u.database
	cfg.ParseTime = true
	cfg.InterpolateParams = true // one round trip per statement, not a prepare and an execute
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	for k, vs := range u.params {
		switch k {
		case "useSSL", "sslMode":
			if vs[0] == "true" || strings.EqualFold(vs[0], "REQUIRED") {
				cfg.TLSConfig = "skip-verify"
			}
		case "connectTimeout":
			var ms int
			if _, err := fmt.Sscan(vs[0], &ms); err == nil {
				cfg.Timeout = time.Duration(ms) * time.Millisecond
			}
		}
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (mysqlDialect) quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func (mysqlDialect) placeholder(int) string { return "?" }

func (mysqlDialect) listTables(ctx context.Context, db *sql.DB, catalogPattern, _ string, types []string) ([]tableID, error) {
	var kinds []string
	for _, t := range types {
		if t == "TABLE" {
			kinds = append(kinds, "'BASE TABLE'")
		} else {
			kinds = append(kinds, "'VIEW'")
		}
	}
	q := `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type IN (` + strings.Join(kinds, ",") + `)
		AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
		AND ((? = '' AND table_schema = DATABASE()) OR (? <> '' AND table_schema LIKE ?))
		ORDER BY table_schema, table_name`
	rows, err := db.QueryContext(ctx, q, catalogPattern, catalogPattern, catalogPattern)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tableID
	for rows.Next() {
		var t tableID
		if err := rows.Scan(&t.catalog, &t.name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (mysqlDialect) describe(ctx context.Context, db *sql.DB, t tableID) ([]column, error) {
	rows, err := db.QueryContext(ctx, `SELECT column_name, upper(data_type), is_nullable = 'YES', extra LIKE '%auto_increment%'
		FROM information_schema.columns WHERE table_schema = IF(? = '', DATABASE(), ?) AND table_name = ? ORDER BY ordinal_position`, t.catalog, t.catalog, t.name)
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

func (mysqlDialect) now(ctx context.Context, db *sql.DB) (time.Time, error) {
	var t time.Time
	err := db.QueryRowContext(ctx, "SELECT UTC_TIMESTAMP(6)").Scan(&t)
	return t, err
}

// timeArg: the driver writes a time.Time's wall clock in UTC; a DATETIME column holds
// the wall clock of db.timezone.
func (mysqlDialect) timeArg(t time.Time, wall bool, tz *time.Location) any {
	if wall {
		return wallUTC(t, tz)
	}
	return t.UTC()
}

func (mysqlDialect) columnType(s *data.Schema) (string, error) {
	switch s.Name {
	case data.DecimalName:
		scale, err := data.SchemaScale(s)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("DECIMAL(65,%d)", scale), nil
	case data.DateName:
		return "DATE", nil
	case data.TimeName:
		return "TIME(3)", nil
	case data.TimestampName:
		return "DATETIME(3)", nil
	}
	switch s.Type {
	case data.TypeInt8:
		return "TINYINT", nil
	case data.TypeInt16:
		return "SMALLINT", nil
	case data.TypeInt32:
		return "INT", nil
	case data.TypeInt64:
		return "BIGINT", nil
	case data.TypeFloat32:
		return "FLOAT", nil
	case data.TypeFloat64:
		return "DOUBLE", nil
	case data.TypeBoolean:
		return "TINYINT", nil
	case data.TypeString:
		return "TEXT", nil
	case data.TypeBytes:
		return "VARBINARY(1024)", nil
	}
	return "", fmt.Errorf("no MySQL column type for %s", s.Type)
}

// keyColumnType is the type of a string or bytes primary key column: MySQL cannot
// index TEXT and BLOB without a length.
func mysqlKeyType(s *data.Schema) (string, bool) {
	if s.Name == "" && s.Type == data.TypeString {
		return "VARCHAR(256)", true
	}
	if s.Name == "" && s.Type == data.TypeBytes {
		return "VARBINARY(256)", true
	}
	return "", false
}

func (mysqlDialect) upsert(table string, cols, keys []string, rows int, q func(string) string) string {
	var b strings.Builder
	writeInsert(&b, table, cols, rows, q, mysqlDialect{}.placeholder)
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	nonKey := without(cols, keys)
	if len(nonKey) == 0 {
		nonKey = keys[:1] // a no-op update keeps the row
	}
	for i, c := range nonKey {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(q(c) + "=VALUES(" + q(c) + ")")
	}
	return b.String()
}

func (mysqlDialect) param(v any, s *data.Schema, tz *time.Location) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch s.Name {
	case data.DecimalName:
		d, ok := v.(data.Decimal)
		if !ok {
			return nil, fmt.Errorf("Decimal value is %T", v)
		}
		return d.String(), nil
	case data.TimeName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Time value is %T", v)
		}
		return t.UTC().Format("15:04:05.000"), nil
	case data.DateName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Date value is %T", v)
		}
		return t.UTC().Format("2006-01-02"), nil
	case data.TimestampName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Timestamp value is %T", v)
		}
		return wallUTC(t, tz), nil
	}
	return plainParam(v), nil
}

func (mysqlDialect) isDataError(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1048, // column cannot be null
		1062,       // duplicate entry
		1264,       // out of range
		1265,       // data truncated
		1292,       // incorrect value
		1366,       // incorrect integer/string value
		1406,       // data too long
		1451, 1452, // foreign key
		3819, 4025: // check constraint
		return true
	}
	return false
}
