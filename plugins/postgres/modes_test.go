package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

func TestInterruptedSnapshotResumesByTable(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 3);
		CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 3);
		CREATE TABLE c (id int PRIMARY KEY); INSERT INTO c SELECT generate_series(1, 3)`)
	cfg := baseConfig(pg, "snapshot.fetch.size", "2")
	tk := openTask(t, cfg)
	recs := pollUntil(t, tk, 5, 20*time.Second)
	// The kernel committed b's first row; then the task died mid-snapshot.
	var at int
	for i, r := range recs {
		if r.Topic == "dbserver1.public.b" {
			at = i
			break
		}
	}
	tk.Close()
	tk2 := openTask(t, cfg, committedOf(recs[at]))
	got := pollUntil(t, tk2, 6, 20*time.Second)
	var tables []string
	for _, r := range got {
		if op(r) != "r" {
			t.Fatalf("resumed snapshot emitted op %q", op(r))
		}
		tables = append(tables, strings.TrimPrefix(r.Topic, "dbserver1.public."))
	}
	// a was done; b (interrupted) is read again from its start, then c.
	if fmt.Sprint(tables) != "[b b b c c c]" {
		t.Fatalf("resumed snapshot read %v, want [b b b c c c] (a finished before the interruption)", tables)
	}
	if source(got[5]).String("snapshot") != "last" {
		t.Fatalf("last record of the resumed snapshot is marked %q", source(got[5]).String("snapshot"))
	}
	// And it streams afterwards.
	pg.Exec(`INSERT INTO a VALUES (4)`)
	if r := pollUntil(t, tk2, 1, 20*time.Second)[0]; op(r) != "c" || r.Topic != "dbserver1.public.a" {
		t.Fatalf("after the resumed snapshot: %s op %q, want the insert into a", r.Topic, op(r))
	}
}

func TestSnapshotModes(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)`)
	count := func(mode, slot string, committed bool) (snapshot, stream int) {
		t.Helper()
		cfg := baseConfig(pg, "snapshot.mode", mode, "slot.name", slot)
		tk := openTask(t, cfg)
		recs := pollQuiet(t, tk, 1500*time.Millisecond)
		if committed && len(recs) > 0 {
			last := recs[len(recs)-1]
			tk.Close()
			tk = openTask(t, cfg, committedOf(last))
			pg.Exec(`INSERT INTO t SELECT max(id) + 1 FROM t`)
			recs = pollQuiet(t, tk, 1500*time.Millisecond)
		}
		tk.Close()
		for _, r := range recs {
			if op(r) == "r" {
				snapshot++
			} else {
				stream++
			}
		}
		return snapshot, stream
	}
	if s, _ := count("no_data", "s_nodata", false); s != 0 {
		t.Errorf("no_data snapshotted %d rows", s)
	}
	if s, _ := count("never", "s_never", false); s != 0 {
		t.Errorf("never snapshotted %d rows", s)
	}
	if s, _ := count("initial", "s_initial", false); s != 2 {
		t.Errorf("initial snapshotted %d rows, want 2", s)
	}
	// After a completed snapshot is committed, initial streams and always snapshots again.
	if s, c := count("initial", "s_initial2", true); s != 0 || c != 1 {
		t.Errorf("initial after a committed snapshot: %d snapshot rows, %d changes; want 0 and 1", s, c)
	}
	if s, c := count("always", "s_always", true); s != 3 || c < 1 {
		t.Errorf("always after a committed snapshot: %d snapshot rows, %d changes; want 3 and at least 1", s, c)
	}
	if s, _ := count("initial_only", "s_only", false); s < 3 {
		t.Errorf("initial_only snapshotted %d rows, want all", s)
	}
	if n := pg.Exec(`SELECT count(*) FROM pg_replication_slots WHERE slot_name = 's_only'`); n != "0" {
		t.Errorf("initial_only created a slot")
	}
	// when_needed snapshots when the slot is gone.
	cfg := baseConfig(pg, "snapshot.mode", "when_needed", "slot.name", "s_wn")
	tk := openTask(t, cfg)
	recs := pollQuiet(t, tk, 1500*time.Millisecond)
	tk.Close()
	pg.Exec(`SELECT pg_drop_replication_slot('s_wn')`)
	tk = openTask(t, cfg, committedOf(recs[len(recs)-1]))
	if again := pollQuiet(t, tk, 1500*time.Millisecond); len(again) == 0 || op(again[0]) != "r" {
		t.Errorf("when_needed with its slot gone did not snapshot again (%d records)", len(again))
	}
}

func TestInitialRefusesLostSlot(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)`)
	cfg := baseConfig(pg)
	tk := openTask(t, cfg)
	recs := pollUntil(t, tk, 1, 20*time.Second)
	tk.Close()
	pg.Exec(`SELECT pg_drop_replication_slot('debezium')`)
	parsed, _ := configDef.Parse(cfg)
	tk2 := &task{}
	err := tk2.Open(t.Context(), taskContext(parsed, committedOf(recs[0])))
	tk2.Close()
	if err == nil || !strings.Contains(err.Error(), "when_needed") {
		t.Fatalf("opening at committed offsets with the slot gone: %v, want an error pointing at snapshot.mode=when_needed", err)
	}
}

func TestKeyChangeIsDeleteTombstoneCreate(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY, v text)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data"))
	pg.Exec(`INSERT INTO t VALUES (1, 'x')`)
	pg.Exec(`UPDATE t SET id = 2 WHERE id = 1`)
	recs := pollUntil(t, tk, 4, 20*time.Second)
	var got []string
	for _, r := range recs {
		id := r.Key.(*data.Struct).Get("id")
		o := op(r)
		if o == "" {
			o = "T"
		}
		got = append(got, fmt.Sprintf("%s%v", o, id))
	}
	if fmt.Sprint(got) != "[c1 d1 T1 c2]" {
		t.Fatalf("primary key update became %v, want [c1 d1 T1 c2] as Debezium emits it", got)
	}
}

func TestNoTombstonesAndColumnFilter(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE users (id int PRIMARY KEY, name text, password text)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data", "tombstones.on.delete", "false",
		"column.exclude.list", "public.users.password"))
	pg.Exec(`INSERT INTO users VALUES (1, 'a', 'secret')`)
	pg.Exec(`DELETE FROM users`)
	recs := pollUntil(t, tk, 2, 20*time.Second)
	extra := pollQuiet(t, tk, 500*time.Millisecond)
	if len(extra) > 0 {
		t.Fatalf("%d records after the delete with tombstones.on.delete=false (first: op %q)", len(extra), op(extra[0]))
	}
	if _, has := after(recs[0]).Schema().Field("password"); has {
		t.Fatal("the excluded column password is in the value")
	}
	if after(recs[0]).String("name") != "a" {
		t.Fatalf("name = %q", after(recs[0]).String("name"))
	}
}

func TestPublicationFilteredAndSlotDrop(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE keep (id int PRIMARY KEY); CREATE TABLE skip (id int PRIMARY KEY)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data", "publication.autocreate.mode", "filtered",
		"table.include.list", "public.keep", "slot.drop.on.stop", "true", "slot.name", "dropme"))
	if got := pg.Exec(`SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = 'dbz_publication'`); got != "keep" {
		t.Fatalf("filtered publication holds %q, want keep", got)
	}
	pg.Exec(`INSERT INTO skip VALUES (1); INSERT INTO keep VALUES (1)`)
	recs := pollUntil(t, tk, 1, 20*time.Second)
	if recs[0].Topic != "dbserver1.public.keep" {
		t.Fatalf("record on %s", recs[0].Topic)
	}
	if err := tk.Close(); err != nil {
		t.Fatal(err)
	}
	if n := pg.Exec(`SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dropme'`); n != "0" {
		t.Fatal("slot.drop.on.stop=true left the slot")
	}
}

func TestPublicationDisabledMustExist(t *testing.T) {
	pg := startPG(t)
	parsed, _ := configDef.Parse(baseConfig(pg, "publication.autocreate.mode", "disabled", "publication.name", "nopub"))
	tk := &task{}
	err := tk.Open(t.Context(), taskContext(parsed))
	tk.Close()
	if err == nil || !strings.Contains(err.Error(), `publication "nopub" does not exist`) {
		t.Fatalf("open with a missing publication and autocreate disabled: %v", err)
	}
}

func TestColumnAddedWhileStreaming(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data"))
	pg.Exec(`INSERT INTO t VALUES (1)`)
	pollUntil(t, tk, 1, 20*time.Second)
	pg.Exec(`ALTER TABLE t ADD COLUMN note text NOT NULL DEFAULT 'n'`)
	pg.Exec(`INSERT INTO t VALUES (2, 'hello')`)
	r := pollUntil(t, tk, 1, 20*time.Second)[0]
	if got := after(r).String("note"); got != "hello" {
		t.Fatalf("after the new column: after.note = %q, want hello", got)
	}
	if f, _ := after(r).Schema().Field("note"); f.Schema.Optional {
		t.Fatal("the new NOT NULL column is optional in the value schema")
	}
}

func TestTruncateIsSkipped(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data"))
	pg.Exec(`INSERT INTO t VALUES (1)`)
	pg.Exec(`TRUNCATE t`)
	pg.Exec(`INSERT INTO t VALUES (2)`)
	recs := pollUntil(t, tk, 2, 20*time.Second)
	recs = append(recs, pollQuiet(t, tk, 500*time.Millisecond)...)
	var ids []int64
	for _, r := range recs {
		id, _ := after(r).Int64("id")
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("around a TRUNCATE the task emitted ids %v, want [1 2] (the truncate skipped)", ids)
	}
}
