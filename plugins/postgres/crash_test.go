package main

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/pluginhost/hosttest"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// launch starts the built binary under a plugin host of its own.
func launch(t *testing.T) *pluginhost.Client {
	t.Helper()
	return hosttest.Client(t, pluginBinary(t), "tributary-postgres", className)
}

// TestKilledPluginResumesFromCommitted kills the plugin process with SIGKILL after the
// kernel committed part of a transaction, and opens a new process at that offset: the
// slot was confirmed only through what was committed, so the rest arrives, once.
func TestKilledPluginResumesFromCommitted(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE t (id int PRIMARY KEY)`)
	cfg := baseConfig(pg, "snapshot.mode", "no_data", "status.update.interval.ms", "100")
	ctx := context.Background()
	c := launch(t)
	if _, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "a", Connector: "c"},
		ConnectorClass: className, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	pg.Exec(`INSERT INTO t VALUES (1)`)
	pg.Exec(`BEGIN; INSERT INTO t VALUES (2); INSERT INTO t VALUES (3); INSERT INTO t VALUES (4); COMMIT`)
	pg.Exec(`INSERT INTO t VALUES (5)`)
	recs := pollHandle(t, c, "a", 5)
	// The kernel committed the first transaction and row 3; then the plugin is killed.
	if _, err := c.Source.Commit(ctx, &pluginv1.CommitRequest{Handle: "a", Offsets: []*pluginv1.SourceOffset{
		{Partition: recs[2].SourcePartition, Offset: recs[2].SourceOffset}}}); err != nil {
		t.Fatal(err)
	}
	// The slot moves to the end of the first transaction (row 1), not past row 3's.
	var end1 int64
	var off map[string]any
	d := json.NewDecoder(bytesReaderOf(recs[0].SourceOffset))
	d.UseNumber()
	if err := d.Decode(&off); err != nil {
		t.Fatal(err)
	}
	end1, _ = off[offFlush].(json.Number).Int64()
	want := lsnString(uint64(end1))
	if got := pg.WaitFor(`SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'debezium'`, want, 10*time.Second); got != want {
		t.Fatalf("confirmed_flush_lsn %s after committing row 3, want %s (the end of row 1's transaction)", got, want)
	}
	if err := syscall.Kill(c.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	c2 := launch(t)
	if _, err := c2.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "b", Connector: "c"},
		ConnectorClass: className, Config: cfg, Offsets: []*pluginv1.SourceOffset{
			{Partition: recs[2].SourcePartition, Offset: recs[2].SourceOffset}}}); err != nil {
		t.Fatal(err)
	}
	pg.Exec(`INSERT INTO t VALUES (6)`)
	got := pollHandle(t, c2, "b", 3)
	if ids := fmt.Sprint(afterIDs(t, got)); ids != "[4 5 6]" {
		t.Fatalf("after SIGKILL and resume at row 3: ids %s, want [4 5 6]", ids)
	}
}

func pollHandle(t *testing.T, c *pluginhost.Client, h string, n int) []*pluginv1.Record {
	t.Helper()
	var out []*pluginv1.Record
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		resp, err := c.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: h, MaxRecords: 100, TimeoutMs: 200})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		out = append(out, resp.Records...)
	}
	if len(out) < n {
		t.Fatalf("polled %d records, want %d", len(out), n)
	}
	return out
}

// afterIDs reads after.id of each record through JsonConverter without schemas.
func afterIDs(t *testing.T, recs []*pluginv1.Record) []int {
	t.Helper()
	conv, err := convert.New("org.apache.kafka.connect.json.JsonConverter", map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, r := range recs {
		b, err := conv.FromConnect(r.Topic, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			After struct{ ID int } `json:"after"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		ids = append(ids, v.After.ID)
	}
	return ids
}
