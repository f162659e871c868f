package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

func TestSnapshotThenStream(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL, email text);
		INSERT INTO customers VALUES (1, 'a', 'a@x'), (2, 'b', NULL), (3, 'c', 'c@x');
		CREATE TABLE public.orders (id bigint PRIMARY KEY, qty int);
		INSERT INTO orders VALUES (10, 1)`)
	tk := openTask(t, baseConfig(pg))
	snap := pollUntil(t, tk, 4, 20*time.Second)
	var markers []string
	for _, r := range snap {
		if op(r) != "r" {
			t.Fatalf("snapshot record op %q, want r", op(r))
		}
		markers = append(markers, source(r).String("snapshot"))
	}
	// customers then orders, sorted by name; the first row, the last of a table, the last.
	if got, want := fmt.Sprint(markers), "[first true last_in_data_collection last]"; got != want {
		t.Fatalf("snapshot markers %s, want %s", got, want)
	}
	if snap[0].Topic != "dbserver1.public.customers" || snap[3].Topic != "dbserver1.public.orders" {
		t.Fatalf("topics %s, %s", snap[0].Topic, snap[3].Topic)
	}
	if k := snap[0].Key.(*data.Struct); k.Schema().Name != "dbserver1.public.customers.Key" || k.Get("id") != int32(1) {
		t.Fatalf("key %v of schema %s, want id=1 of dbserver1.public.customers.Key", k.Get("id"), k.Schema().Name)
	}
	if last, _ := snap[3].SourceOffset.Bool(offLastSnapshot); !last {
		t.Fatalf("the last snapshot record's offset %v has no last_snapshot_record=true", snap[3].SourceOffset.Map())
	}

	pg.Exec(`INSERT INTO customers VALUES (4, 'd', 'd@x')`)
	pg.Exec(`UPDATE customers SET name = 'bb' WHERE id = 2`)
	pg.Exec(`DELETE FROM customers WHERE id = 1`)
	recs := pollUntil(t, tk, 4, 20*time.Second)
	ops := ""
	for _, r := range recs {
		if o := op(r); o != "" {
			ops += o
		} else {
			ops += "T"
		}
	}
	if ops != "cudT" {
		t.Fatalf("streamed ops %q, want cudT (insert, update, delete, tombstone)", ops)
	}
	if got := after(recs[0]).String("name"); got != "d" {
		t.Fatalf("insert after.name %q, want d", got)
	}
	if before(recs[1]) != nil {
		t.Fatalf("an update under REPLICA IDENTITY DEFAULT has before %v, want null as Debezium", before(recs[1]))
	}
	if got := after(recs[1]).String("name"); got != "bb" {
		t.Fatalf("update after.name %q, want bb", got)
	}
	if b := before(recs[2]); b == nil || b.Get("id") != int32(1) || after(recs[2]) != nil {
		t.Fatalf("delete before %v after %v, want before.id=1 and no after", b, after(recs[2]))
	}
	if recs[3].Value != nil || recs[3].Key.(*data.Struct).Get("id") != int32(1) {
		t.Fatalf("tombstone %v key %v, want null value with key id=1", recs[3].Value, recs[3].Key)
	}
	src := source(recs[0])
	if src.String("snapshot") != "false" || src.String("connector") != "postgresql" || src.String("db") != "postgres" ||
		src.String("schema") != "public" || src.String("table") != "customers" || src.Get("lsn") == nil || src.Get("txId") == nil {
		t.Fatalf("source block %v", src)
	}
}

func TestReplicaIdentityFull(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE nokey (a int, b text); ALTER TABLE nokey REPLICA IDENTITY FULL;
		CREATE TABLE full_pk (id int PRIMARY KEY, v text); ALTER TABLE full_pk REPLICA IDENTITY FULL;
		CREATE TABLE plain (a int)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data"))
	pg.Exec(`INSERT INTO nokey VALUES (1, 'x'); INSERT INTO full_pk VALUES (1, 'old'); INSERT INTO plain VALUES (5)`)
	pg.Exec(`UPDATE full_pk SET v = 'new' WHERE id = 1`)
	recs := pollUntil(t, tk, 4, 20*time.Second)
	if k := recs[0].Key.(*data.Struct); k.Schema().Name != "dbserver1.public.nokey.Key" || len(k.Schema().Fields) != 2 {
		t.Fatalf("REPLICA IDENTITY FULL without a key: key %v, want every column", k)
	}
	if recs[2].Key != nil || recs[2].KeySchema != nil {
		t.Fatalf("a table without key or identity has key %v, want null", recs[2].Key)
	}
	if b := before(recs[3]); b == nil || b.String("v") != "old" {
		t.Fatalf("update under FULL has before %v, want the old row", b)
	}
}

func TestResumeAfterReopenNoLossNoDuplicates(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY, v int)`)
	cfg := baseConfig(pg, "snapshot.mode", "initial")
	tk := openTask(t, cfg)
	// Three transactions, the middle one of three rows.
	pg.Exec(`INSERT INTO t VALUES (1, 1)`)
	pg.Exec(`BEGIN; INSERT INTO t VALUES (2, 1); INSERT INTO t VALUES (3, 1); INSERT INTO t VALUES (4, 1); COMMIT`)
	pg.Exec(`INSERT INTO t VALUES (5, 1)`)
	recs := pollUntil(t, tk, 5, 20*time.Second)
	// The kernel committed up to the second row of the middle transaction, then the task
	// died (no Commit reached the slot).
	committed := committedOf(recs[2])
	tk.Close()

	tk2 := openTask(t, cfg, committed)
	pg.Exec(`INSERT INTO t VALUES (6, 1)`)
	got := pollUntil(t, tk2, 3, 20*time.Second)
	var ids []int64
	for _, r := range got {
		id, _ := after(r).Int64("id")
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[4 5 6]" {
		t.Fatalf("after resuming at row 3 the task delivered ids %v, want [4 5 6] (none lost, none repeated)", ids)
	}
}

func TestSlotConfirmedOnlyAfterCommit(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data", "status.update.interval.ms", "100"))
	confirmed := func() string {
		return pg.Exec(`SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'debezium'`)
	}
	start := confirmed()
	pg.Exec(`INSERT INTO t VALUES (1)`)
	recs := pollUntil(t, tk, 1, 20*time.Second)
	// Polled but not committed: keep polling (status updates go out) and the slot must stay.
	pollQuiet(t, tk, 700*time.Millisecond)
	if got := confirmed(); got != start {
		t.Fatalf("confirmed_flush_lsn moved from %s to %s before Commit", start, got)
	}
	if err := tk.Commit(context.Background(), []sdk.CommittedOffset{committedOf(recs[0])}); err != nil {
		t.Fatal(err)
	}
	want := lsnString(func() uint64 { n, _ := recs[0].SourceOffset.Int(offFlush); return uint64(n) }())
	if got := pg.WaitFor(`SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'debezium'`, want, 10*time.Second); got != want {
		t.Fatalf("after Commit confirmed_flush_lsn is %s, want %s (the transaction's end)", got, want)
	}
}

func TestHeartbeatMovesIdleSlot(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE captured (id int PRIMARY KEY); CREATE TABLE other (id int PRIMARY KEY); CREATE TABLE beats (at timestamptz)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data", "table.include.list", "public.captured",
		"heartbeat.interval.ms", "200", "status.update.interval.ms", "100",
		"heartbeat.action.query", "INSERT INTO beats VALUES (now())"))
	before := pg.Exec(`SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'debezium'`)
	// WAL of a table nobody captures.
	pg.Exec(`INSERT INTO other SELECT generate_series(1, 100)`)
	end := pg.Exec(`SELECT pg_current_wal_lsn()`)
	var hb sdk.SourceRecord
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range pollQuiet(t, tk, 300*time.Millisecond) {
			if r.Topic != "__debezium-heartbeat.dbserver1" {
				t.Fatalf("record on %s; only heartbeats expected", r.Topic)
			}
			if n, _ := r.SourceOffset.Int(offFlush); pgLSNGreaterEq(uint64(n), end) {
				hb = r
			}
		}
		if hb.Topic != "" {
			break
		}
	}
	if hb.Topic == "" {
		t.Fatalf("no heartbeat carried a WAL position at or past %s", end)
	}
	if k := hb.Key.(*data.Struct); k.Schema().Name != "io.debezium.connector.common.ServerNameKey" || k.String("serverName") != "dbserver1" {
		t.Fatalf("heartbeat key %v", k)
	}
	if n := pg.Exec(`SELECT count(*) > 0 FROM beats`); n != "t" {
		t.Fatal("heartbeat.action.query never ran")
	}
	if err := tk.Commit(context.Background(), []sdk.CommittedOffset{committedOf(hb)}); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, testsvc.WaitLimit, "confirmed_flush_lsn to reach "+end+" after committing a heartbeat", func() bool {
		return pg.Exec(`SELECT confirmed_flush_lsn >= '`+end+`'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'debezium'`) == "t"
	}, func() string { return "it was " + before + " before" })
}

func pgLSNGreaterEq(n uint64, s string) bool {
	l, err := parseLSN(s)
	return err == nil && n >= l
}
