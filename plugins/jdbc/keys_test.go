package main

// Tests of source and sink keys that change what is read or written, one behaviour each,
// on real PostgreSQL.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestSourceTableSelectionKeys lists the tables TaskConfigs hands the tasks under
// table.blacklist, table.exclude.list, table.whitelist, schema.pattern, catalog.pattern
// and table.types.
func TestSourceTableSelectionKeys(t *testing.T) {
	db := startDB(t, postgres)
	db.exec(`CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY);
		CREATE SCHEMA s2; CREATE TABLE s2.x (id int PRIMARY KEY); CREATE VIEW va AS SELECT id FROM a`)
	tables := func(t *testing.T, extra ...string) string {
		t.Helper()
		raw := db.config(append([]string{keyMode, modeBulk, keyTopicPrefix, ""}, extra...)...)
		cfg, errs := sourceDef.Parse(raw)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		tcs, err := sourceConnector{}.TaskConfigs(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(tcs) != 1 {
			t.Fatalf("%d task configs, want 1", len(tcs))
		}
		return tcs[0][keyTables]
	}
	for _, c := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"no lists", nil, "postgres.public.a,postgres.public.b,postgres.public.c,postgres.s2.x"},
		{"table.blacklist", []string{keyBlacklist, "b,s2.x"}, "postgres.public.a,postgres.public.c"},
		{"table.exclude.list", []string{keyExcludeList, "postgres.public.a, c"}, "postgres.public.b,postgres.s2.x"},
		{"table.whitelist", []string{keyWhitelist, "a,x"}, "postgres.public.a,postgres.s2.x"},
		{"schema.pattern", []string{keySchemaPattern, "s%"}, "postgres.s2.x"},
		{"catalog.pattern matching", []string{keyCatalogPattern, "post%", keySchemaPattern, "public"}, "postgres.public.a,postgres.public.b,postgres.public.c"},
		{"catalog.pattern not matching", []string{keyCatalogPattern, "other%"}, ""},
		{"table.types=VIEW", []string{keyTableTypes, "VIEW"}, "postgres.public.va"},
		{"table.types=TABLE,VIEW", []string{keyTableTypes, "TABLE,VIEW", keySchemaPattern, "public"}, "postgres.public.a,postgres.public.b,postgres.public.c,postgres.public.va"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tables(t, c.extra...); got != c.want {
				t.Fatalf("%v: tables %q, want %q", c.extra, got, c.want)
			}
		})
	}
}

// TestSourceReadKeys checks timestamp.initial, validate.non.null and query.suffix change
// what a task reads.
func TestSourceReadKeys(t *testing.T) {
	db := startDB(t, postgres)
	db.exec(`CREATE TABLE ti (id int PRIMARY KEY, m timestamptz NOT NULL);
		INSERT INTO ti VALUES (1, '2024-01-01T00:00:00Z'), (2, '2024-06-01T00:00:00Z'), (3, '2024-09-01T00:00:00Z')`)
	db.exec(`CREATE TABLE nn (id int, v text NOT NULL); INSERT INTO nn VALUES (1, 'a'), (2, 'b'), (NULL, 'c')`)
	db.exec(`CREATE TABLE sfx (id int PRIMARY KEY); INSERT INTO sfx SELECT generate_series(1, 5)`)

	t.Run("timestamp.initial", func(t *testing.T) {
		march := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		for _, mode := range []string{modeTimestamp, modeTsInc} {
			tk := openSource(t, db.config(keyMode, mode, keyTsColumn, "m", keyIncColumn, "id", keyWhitelist, "ti",
				keyTopicPrefix, "", keyPollInterval, "100", keyTsInitial, fmt.Sprint(march)))
			if got := fmt.Sprint(ids(pollN(t, tk, 2))); got != "[2 3]" {
				t.Fatalf("%s from timestamp.initial=2024-03-01: ids %s, want [2 3] (not row 1 of January)", mode, got)
			}
		}
		// -1 is now: none of the rows already there.
		tk := openSource(t, db.config(keyMode, modeTimestamp, keyTsColumn, "m", keyWhitelist, "ti",
			keyTopicPrefix, "", keyPollInterval, "100", keyTsInitial, "-1"))
		db.exec(`INSERT INTO ti VALUES (4, now() + interval '1 hour')`)
		if got := fmt.Sprint(ids(pollOnce(t, tk, 2*time.Second))); got != "[]" {
			t.Fatalf("timestamp.initial=-1: ids %s, want none of the rows before now (row 4 is in the future)", got)
		}
		db.exec(`UPDATE ti SET m = now() WHERE id = 3`)
		if got := fmt.Sprint(ids(pollN(t, tk, 1))); got != "[3]" {
			t.Fatalf("timestamp.initial=-1, after touching row 3: ids %s, want [3]", got)
		}
	})

	t.Run("validate.non.null", func(t *testing.T) {
		raw := db.config(keyMode, modeIncrementing, keyIncColumn, "id", keyWhitelist, "nn", keyTopicPrefix, "", keyPollInterval, "100")
		tk := openSource(t, raw)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := tk.Poll(ctx)
		var ce sdk.ConfigError
		if err == nil || !errors.As(err, &ce) || ce.Key != keyIncColumn || !strings.Contains(err.Error(), keyValidateNonNull) {
			t.Fatalf("polling a nullable incrementing column under validate.non.null=true: %v, want a config error on %s naming %s", err, keyIncColumn, keyValidateNonNull)
		}
		raw[keyValidateNonNull] = "false"
		if got := fmt.Sprint(ids(pollN(t, openSource(t, raw), 2))); got != "[1 2]" {
			t.Fatalf("validate.non.null=false: ids %s, want [1 2] (the NULL row is never read)", got)
		}
	})

	t.Run("query.suffix", func(t *testing.T) {
		// The suffix ends every statement: with LIMIT 2 one statement reads two rows
		// although batch.max.rows allows a hundred, and the next one goes on from there.
		tk := openSource(t, db.config(keyMode, modeIncrementing, keyIncColumn, "id", keyWhitelist, "sfx", keyTopicPrefix, "",
			keyPollInterval, "100", keyQuerySuffix, "LIMIT 2"))
		if got := fmt.Sprint(ids(pollN(t, tk, 1))); got != "[1 2]" {
			t.Fatalf("query.suffix=LIMIT 2: first poll ids %s, want [1 2]", got)
		}
		if got := fmt.Sprint(ids(pollN(t, tk, 1))); got != "[3 4]" {
			t.Fatalf("query.suffix=LIMIT 2: second poll ids %s, want [3 4]", got)
		}
	})
}

// TestSinkFieldsWhitelist writes only the value's fields on fields.whitelist (and the
// key): auto.create makes no column for the others.
func TestSinkFieldsWhitelist(t *testing.T) {
	db := startDB(t, postgres)
	tk := openSink(t, db.config(keyAutoCreate, "true", keyPKMode, pkRecordValue, keyPKFields, "id", keyFieldsList, "id,a", keyInsertMode, "upsert"))
	s := data.StructOf("v", data.NewField("id", data.Int32Schema), data.NewField("a", data.StringSchema), data.NewField("b", data.StringSchema))
	if err := tk.Put(context.Background(), []sdk.SinkRecord{{Topic: "fw", Value: data.NewStruct(s).Put("id", int32(1)).Put("a", "x").Put("b", "y"), ValueSchema: s}}); err != nil {
		t.Fatal(err)
	}
	cols := db.exec(`SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'fw'`)
	if cols != "id,a" {
		t.Fatalf("fields.whitelist=id,a: table fw has columns %q, want id,a", cols)
	}
	if got := db.exec(`SELECT id, a FROM fw`); got != "1\tx" {
		t.Fatalf("rows %q, want 1 x", got)
	}
}

// TestSinkMaxRetries puts into a database that is down: the Put tries 1 + max.retries
// times, then fails retriably naming max.retries; once the database is back a Put
// writes.
func TestSinkMaxRetries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := testsvc.StartPostgres(t)
	raw := map[string]string{keyURL: fmt.Sprintf("jdbc:postgresql://%s:%d/%s", pg.Host, pg.Port, pg.DB), keyUser: pg.User,
		keyAutoCreate: "true", keyMaxRetries: "2", keyRetryBackoff: "1"}
	cfg, errs := sinkDef.Parse(raw)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var logs lockedLines
	tk := &sinkTask{}
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: &logs})
	if err := tk.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: logger}, nil); err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	s := data.StructOf("v", data.NewField("id", data.Int32Schema))
	rec := func(id int32) []sdk.SinkRecord {
		return []sdk.SinkRecord{{Topic: "mr", Offset: int64(id), Value: data.NewStruct(s).Put("id", id), ValueSchema: s}}
	}
	if err := tk.Put(context.Background(), rec(1)); err != nil {
		t.Fatal(err)
	}
	pg.Kill()
	err := tk.Put(context.Background(), rec(2))
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), keyMaxRetries+"=2") {
		t.Fatalf("put with the database down: %v, want a retriable (Unavailable) error naming %s=2", err, keyMaxRetries)
	}
	if n := strings.Count(logs.String(), "write failed; retrying"); n != 2 {
		t.Fatalf("put with the database down retried %d times, want max.retries=2; log:\n%s", n, logs.String())
	}
	pg.Start()
	if err := tk.Put(context.Background(), rec(3)); err != nil {
		t.Fatalf("put once the database is back: %v", err)
	}
	if got := pg.Exec(`SELECT string_agg(id::text, ',' ORDER BY id) FROM mr`); got != "1,3" {
		t.Fatalf("rows %q, want 1,3", got)
	}
}

// lockedLines collects a logger's output for a test to read.
type lockedLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
