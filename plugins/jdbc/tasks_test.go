package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// TestSourceSpreadsTablesOverTasks splits five tables over tasks.max=2 as Connect's
// groupPartitions does, each task reads only its own, and a table created later is read
// by exactly one of them.
func TestSourceSpreadsTablesOverTasks(t *testing.T) {
	db := startDB(t, postgres)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		db.exec(fmt.Sprintf("CREATE TABLE t_%s (id int PRIMARY KEY); INSERT INTO t_%s VALUES (1)", n, n))
	}
	raw := db.config(keyMode, modeIncrementing, keyIncColumn, "id", keyTopicPrefix, "", keyPollInterval, "100", keyTablePoll, "200")
	cfg, errs := sourceDef.Parse(raw)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tcs, err := sourceConnector{}.TaskConfigs(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(tcs) != 2 || tcs[0][keyTables] != "postgres.public.t_a,postgres.public.t_b,postgres.public.t_c" || tcs[1][keyTables] != "postgres.public.t_d,postgres.public.t_e" {
		t.Fatalf("task configs' tables %q and %q, want t_a..t_c and t_d,t_e", tcs[0][keyTables], tcs[1][keyTables])
	}
	tasks := []*sourceTask{openSource(t, tcs[0]), openSource(t, tcs[1])}
	topics := func(recs []sdk.SourceRecord) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.Topic)
		}
		slices.Sort(out)
		return out
	}
	if got := fmt.Sprint(topics(pollN(t, tasks[0], 3)), topics(pollN(t, tasks[1], 2))); got != "[t_a t_b t_c] [t_d t_e]" {
		t.Fatalf("tasks read %s, want [t_a t_b t_c] [t_d t_e]", got)
	}
	db.exec("CREATE TABLE t_new (id int PRIMARY KEY); INSERT INTO t_new VALUES (1)")
	got := append(pollFor(t, tasks[0], 2*time.Second), pollFor(t, tasks[1], 1*time.Second)...)
	if fmt.Sprint(topics(got)) != "[t_new]" {
		t.Fatalf("after creating t_new the tasks read %v, want t_new once", topics(got))
	}
}

func TestSourceMapsColumnTypes(t *testing.T) {
	db := startDB(t, postgres)
	db.exec(`CREATE TABLE ty (id int PRIMARY KEY, n numeric(12,3), n9 numeric(9,0), n4 numeric(4,0), n2 numeric(2,0), n30 numeric(30,0), f numeric(10,2), opt text, req text NOT NULL, iv interval)`)
	db.exec(`INSERT INTO ty VALUES (1, 1.5, 123456789, 1234, 12, 123456789012345678901234567890, 3.25, NULL, 'x', '1 day')`)
	base := db.config(keyMode, modeBulk, keyTopicPrefix, "", keyQuery, "SELECT id, n, n9, n4, n2, n30, f, opt, req FROM ty")
	rec := pollN(t, openSource(t, base), 1)[0]
	want := map[string]string{"n": "BYTES Decimal scale 3", "n9": "BYTES Decimal scale 0", "opt": "STRING optional", "req": "STRING optional"}
	describe := func(s *data.Schema) string {
		d := s.Type.String()
		if s.Name == data.DecimalName {
			d += " Decimal scale " + s.Parameters[data.DecimalScale]
		}
		if s.Optional {
			d += " optional"
		}
		return d
	}
	for name, w := range want {
		f, _ := rec.ValueSchema.Field(name)
		if got := describe(f.Schema); !strings.HasPrefix(got, w) {
			t.Errorf("numeric.mapping=none, query: %s is %s, want %s", name, got, w)
		}
	}
	if v := rec.Value.(*data.Struct).Get("n").(data.Decimal); v.String() != "1.500" {
		t.Errorf("n = %s, want 1.500", v)
	}
	// A table's NOT NULL columns are required; best_fit maps by precision.
	tbl := db.config(keyMode, modeBulk, keyTopicPrefix, "", keyWhitelist, "ty", keyNumericMapping, "best_fit")
	tk := &sourceTask{}
	cfg, _ := sourceDef.Parse(tbl)
	if err := tk.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := tk.Poll(ctx)
	if err == nil || !strings.Contains(err.Error(), "table postgres.public.ty column iv: type INTERVAL has no Connect mapping") {
		t.Fatalf("polling a table with an interval column: %v, want the error naming table, column and type", err)
	}
	db.exec("ALTER TABLE ty DROP COLUMN iv")
	rec = pollN(t, openSource(t, tbl), 1)[0]
	want = map[string]string{"id": "INT32", "n": "FLOAT64 optional", "n9": "INT32 optional", "n4": "INT16 optional", "n2": "INT8 optional",
		"n30": "BYTES Decimal scale 0 optional", "f": "FLOAT64 optional", "req": "STRING"}
	for name, w := range want {
		f, _ := rec.ValueSchema.Field(name)
		if got := describe(f.Schema); got != w {
			t.Errorf("numeric.mapping=best_fit: %s is %s, want %s", name, got, w)
		}
	}
}

// openSink opens a sink task on raw; it is closed when the test ends.
func openSink(t *testing.T, raw map[string]string) *sinkTask {
	t.Helper()
	cfg, errs := sinkDef.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	tk := &sinkTask{}
	if err := tk.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: testLogger(t)}, nil); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { tk.Close() })
	return tk
}

func TestSinkAutoEvolveAndKafkaKeys(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		tk := openSink(t, db.config(keyAutoCreate, "true", keyAutoEvolve, "true", keyPKMode, pkKafka))
		v1 := data.StructOf("v", data.NewField("a", data.Int32Schema))
		v2 := data.StructOf("v", data.NewField("a", data.Int32Schema), data.NewField("b", data.OptionalStringSchema))
		recs := []sdk.SinkRecord{
			{Topic: "evolve", Offset: 0, Value: data.NewStruct(v1).Put("a", int32(1)), ValueSchema: v1},
			{Topic: "evolve", Offset: 1, Value: data.NewStruct(v2).Put("a", int32(2)).Put("b", "two"), ValueSchema: v2},
		}
		if err := tk.Put(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		got := db.exec("SELECT __connect_topic, __connect_partition, __connect_offset, a, b FROM evolve ORDER BY __connect_offset")
		if want := "evolve\t0\t0\t1\tNULL\nevolve\t0\t1\t2\ttwo"; strings.ReplaceAll(got, "\t\n", "\tNULL\n") != want {
			t.Fatalf("rows\n%s\nwant\n%s", got, want)
		}
		off, _ := tk.Flush(context.Background(), map[sdk.TopicPartition]int64{{Topic: "evolve"}: 2})
		if off[sdk.TopicPartition{Topic: "evolve"}] != 2 {
			t.Fatalf("flush %v, want evolve-0 at 2", off)
		}
		// A required new field is refused, naming it; nothing of the Put is written.
		v3 := data.StructOf("v", data.NewField("a", data.Int32Schema), data.NewField("c", data.Int64Schema))
		err := tk.Put(context.Background(), []sdk.SinkRecord{{Topic: "evolve", Offset: 2, Value: data.NewStruct(v3).Put("a", int32(3)).Put("c", int64(3)), ValueSchema: v3}})
		if err == nil || !strings.Contains(err.Error(), "field c is required") {
			t.Fatalf("put of a required new field: %v, want a refusal naming c", err)
		}
		// A schemaless record is refused naming the converter setting.
		err = tk.Put(context.Background(), []sdk.SinkRecord{{Topic: "evolve", Offset: 3, Value: map[string]any{"a": 1}}})
		if err == nil || !strings.Contains(err.Error(), "value.converter.schemas.enable=true") {
			t.Fatalf("put of a schemaless record: %v, want a refusal naming value.converter.schemas.enable", err)
		}
		off, _ = tk.Flush(context.Background(), map[sdk.TopicPartition]int64{{Topic: "evolve"}: 4})
		if off[sdk.TopicPartition{Topic: "evolve"}] != 2 {
			t.Fatalf("flush after refused puts %v, want evolve-0 still at 2", off)
		}
	})
}

// TestSinkDeleteBeforeTheTableExists puts a tombstone for a table auto.create has not
// made yet: there is nothing to delete, and the Put succeeds.
func TestSinkDeleteBeforeTheTableExists(t *testing.T) {
	db := startDB(t, postgres)
	tk := openSink(t, db.config(keyAutoCreate, "true", keyPKMode, pkRecordKey, keyDeleteEnabled, "true", keyInsertMode, "upsert"))
	ks := data.StructOf("k", data.NewField("id", data.Int32Schema))
	if err := tk.Put(context.Background(), []sdk.SinkRecord{{Topic: "gone", Key: data.NewStruct(ks).Put("id", int32(1)), KeySchema: ks}}); err != nil {
		t.Fatalf("a tombstone for a table not created yet: %v, want no error", err)
	}
	off, _ := tk.Flush(context.Background(), map[sdk.TopicPartition]int64{{Topic: "gone"}: 1})
	if off[sdk.TopicPartition{Topic: "gone"}] != 1 {
		t.Fatalf("flush %v, want gone-0 at 1", off)
	}
}
