package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// testDB is one real database for a test, PostgreSQL or MariaDB, with a way to run SQL
// and the connection.url the connectors take.
type testDB struct {
	kind dbKind
	url  string
	user string
	pass string
	// exec runs SQL (several statements, separated by semicolons) and returns its
	// output, one row a line, columns tab-separated.
	exec func(sql string) string
	// query runs SQL and returns its output or the error.
	query func(sql string) (string, error)
}

// startDB starts a database of kind for the test, skipping under -short.
func startDB(t *testing.T, kind dbKind) *testDB {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a database")
	}
	if kind == postgres {
		pg := testsvc.StartPostgres(t)
		return &testDB{kind: postgres, url: fmt.Sprintf("jdbc:postgresql://%s:%d/%s", pg.Host, pg.Port, pg.DB), user: pg.User,
			exec: func(sql string) string { return strings.ReplaceAll(pg.Exec(sql), "|", "\t") },
			query: func(sql string) (string, error) {
				out, err := pg.Psql(sql)
				return strings.ReplaceAll(out, "|", "\t"), err
			}}
	}
	m := testsvc.StartMariaDB(t)
	return &testDB{kind: mysqlDB, url: m.URL(), user: m.User, pass: m.Password, exec: m.Exec, query: m.Query}
}

// bothDatabases runs f on PostgreSQL and on MariaDB, as subtests.
func bothDatabases(t *testing.T, f func(t *testing.T, db *testDB)) {
	for _, k := range []dbKind{postgres, mysqlDB} {
		t.Run(string(k), func(t *testing.T) { f(t, startDB(t, k)) })
	}
}

// config is a connector config for db with extra key/value pairs on top.
func (db *testDB) config(extra ...string) map[string]string {
	c := map[string]string{keyURL: db.url, keyUser: db.user, keyPassword: db.pass}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

// autoInc is the column definition of an auto-increment primary key.
func (db *testDB) autoInc() string {
	if db.kind == postgres {
		return "id serial PRIMARY KEY"
	}
	return "id int AUTO_INCREMENT PRIMARY KEY"
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// openSource opens a source task on raw resuming from committed; it is closed when
// the test ends.
func openSource(t *testing.T, raw map[string]string, committed ...sdk.CommittedOffset) *sourceTask {
	t.Helper()
	cfg, errs := sourceDef.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	tk := &sourceTask{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tk.Open(ctx, sdk.TaskContext{Config: cfg, Logger: testLogger(t), Committed: committed}); err != nil {
		tk.Close()
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { tk.Close() })
	return tk
}

// pollN polls tk until it has returned at least n records (failing after 20 s); every
// record is checked against its schema.
func pollN(t *testing.T, tk *sourceTask, n int) []sdk.SourceRecord {
	t.Helper()
	var all []sdk.SourceRecord
	deadline := time.Now().Add(20 * time.Second)
	for len(all) < n && time.Now().Before(deadline) {
		all = append(all, pollOnce(t, tk, 300*time.Millisecond)...)
	}
	if len(all) < n {
		t.Fatalf("polled %d records within 20s, want at least %d", len(all), n)
	}
	return all
}

// pollFor polls tk for d and returns whatever came.
func pollFor(t *testing.T, tk *sourceTask, d time.Duration) []sdk.SourceRecord {
	t.Helper()
	var all []sdk.SourceRecord
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		all = append(all, pollOnce(t, tk, 200*time.Millisecond)...)
	}
	return all
}

func pollOnce(t *testing.T, tk *sourceTask, within time.Duration) []sdk.SourceRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	recs, err := tk.Poll(ctx)
	if err != nil && ctx.Err() == nil {
		t.Fatalf("poll: %v", err)
	}
	for _, r := range recs {
		if err := data.Validate(r.ValueSchema, r.Value); err != nil {
			t.Fatalf("record value does not fit its schema: %v", err)
		}
	}
	return recs
}

// committedOf returns the committed offset of r as the kernel hands it to a task that
// opens: through JSON, numbers as json.Number.
func committedOf(t *testing.T, r sdk.SourceRecord) sdk.CommittedOffset {
	t.Helper()
	b, err := json.Marshal(r.SourceOffset)
	if err != nil {
		t.Fatal(err)
	}
	return committedJSON(t, r.SourcePartition, string(b))
}

// committedJSON is the offset a user wrote through the offsets API, as JSON.
func committedJSON(t *testing.T, p sdk.Partition, offsetJSON string) sdk.CommittedOffset {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(offsetJSON)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return sdk.CommittedOffset{Partition: p, Offset: sdk.OffsetOf(m)}
}

// ids returns the id field of each record's value.
func ids(recs []sdk.SourceRecord) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		n, _ := r.Value.(*data.Struct).Int64("id")
		out[i] = n
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
