package main

// Tests of the built tributary-jdbc binary, launched as the kernel launches it: by the
// plugin host, with records passing through the kernel's JsonConverter as they would
// through a topic.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/pluginhost/hosttest"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// launch starts the built binary under a plugin host of its own and returns the client
// of class.
func launch(t *testing.T, class string) *pluginhost.Client {
	t.Helper()
	return hosttest.Client(t, pluginBinary(t), "tributary-jdbc", class)
}

func openSourceHandle(t *testing.T, c *pluginhost.Client, handle string, cfg map[string]string, offsets ...*pluginv1.SourceOffset) {
	t.Helper()
	if _, err := c.Source.Open(context.Background(), &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: handle, Connector: "jdbc"},
		ConnectorClass: sourceClass, Config: cfg, Offsets: offsets}); err != nil {
		t.Fatalf("open source: %v", err)
	}
}

func pollHandle(t *testing.T, c *pluginhost.Client, h string, n int) []*pluginv1.Record {
	t.Helper()
	var out []*pluginv1.Record
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		resp, err := c.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: h, MaxRecords: 500, TimeoutMs: 200})
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

// throughTopic passes records through JsonConverter(schemas.enable=true), as a topic
// between a source and a sink would, and numbers them from offset.
func throughTopic(t *testing.T, recs []*pluginv1.Record, topic string, offset int64) []*pluginv1.Record {
	t.Helper()
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	keyConv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, true)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*pluginv1.Record, len(recs))
	for i, r := range recs {
		vb, err := conv.FromConnect(topic, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := keyConv.FromConnect(topic, r.KeySchema, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		vs, v, err := conv.ToConnect(topic, vb)
		if err != nil {
			t.Fatalf("value %s: %v", vb, err)
		}
		ks, k, err := keyConv.ToConnect(topic, kb)
		if err != nil {
			t.Fatalf("key %s: %v", kb, err)
		}
		out[i] = &pluginv1.Record{Topic: topic, Partition: 0, KafkaOffset: offset + int64(i), Key: k, KeySchema: ks, Value: v, ValueSchema: vs}
	}
	return out
}

// fromJSON makes sink records of JSON envelopes ({"schema":…, "payload":…}) of keys and
// values ("" is a null value: a tombstone).
func fromJSON(t *testing.T, topic string, offset int64, kvs ...string) []*pluginv1.Record {
	t.Helper()
	conv, _ := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	keyConv, _ := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, true)
	var out []*pluginv1.Record
	for i := 0; i+1 < len(kvs); i += 2 {
		ks, k, err := keyConv.ToConnect(topic, []byte(kvs[i]))
		if err != nil {
			t.Fatalf("key %s: %v", kvs[i], err)
		}
		var vb []byte
		if kvs[i+1] != "" {
			vb = []byte(kvs[i+1])
		}
		vs, v, err := conv.ToConnect(topic, vb)
		if err != nil {
			t.Fatalf("value %s: %v", kvs[i+1], err)
		}
		out = append(out, &pluginv1.Record{Topic: topic, KafkaOffset: offset + int64(len(out)), Key: k, KeySchema: ks, Value: v, ValueSchema: vs})
	}
	return out
}

func openSinkHandle(t *testing.T, c *pluginhost.Client, handle string, cfg map[string]string, topic string) {
	t.Helper()
	if _, err := c.Sink.Open(context.Background(), &pluginv1.OpenSinkRequest{Task: &pluginv1.TaskRef{Handle: handle, Connector: "jdbc-sink"},
		ConnectorClass: sinkClass, Config: cfg, Partitions: []*pluginv1.TopicPartition{{Topic: topic, Partition: 0}}}); err != nil {
		t.Fatalf("open sink: %v", err)
	}
}

// putAndFlush puts recs and flushes up to the offset after the last; it returns the
// offset Flush reported.
func putAndFlush(t *testing.T, c *pluginhost.Client, handle string, recs []*pluginv1.Record) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: handle, Records: recs}); err != nil {
		t.Fatalf("put: %v", err)
	}
	last := recs[len(recs)-1]
	resp, err := c.Sink.Flush(ctx, &pluginv1.FlushRequest{Handle: handle, Offsets: []*pluginv1.TopicPartitionOffset{{Topic: last.Topic, Partition: 0, Offset: last.KafkaOffset + 1}}})
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	if len(resp.Offsets) != 1 || resp.Offsets[0].Offset != last.KafkaOffset+1 {
		t.Fatalf("flush reported %v, want offset %d", resp.Offsets, last.KafkaOffset+1)
	}
	return resp.Offsets[0].Offset
}

// typesDDL is a table of every type the connector maps, and rows holding NULLs, edge
// decimals, timestamps in other zones and bytes.
func typesDDL(k dbKind, name string) string {
	if k == postgres {
		return `CREATE TABLE ` + name + ` (id int PRIMARY KEY, i2 smallint, i8 bigint NOT NULL, f4 real, f8 double precision, b boolean,
			amt numeric(12,3), amt0 numeric(20,0), s varchar(50), txt text, bin bytea, d date, tm time(3), ts timestamp(3), tstz timestamptz(3), u uuid, j jsonb)`
	}
	return `CREATE TABLE ` + name + ` (id int PRIMARY KEY, i2 smallint, i8 bigint NOT NULL, f4 float, f8 double, b bit(1),
		amt decimal(12,3), amt0 decimal(20,0), s varchar(50), txt text, bin blob, d date, tm time(3), ts datetime(3), tstz timestamp(3) NULL, u char(36), j json)`
}

func typesRows(k dbKind, name string) string {
	if k == postgres {
		return `INSERT INTO ` + name + ` VALUES
			(1, 7, 9000000000, 1.5, 2.25, true, 12345.678, 99999999999999999999, 'héllo', 'long text', '\x00ff10', '2024-02-29', '13:14:15.123', '2024-03-01 12:00:00.5', '2024-03-01 12:00:00.25+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}'),
			(2, NULL, -1, NULL, NULL, NULL, -0.001, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			(3, -32768, 0, -0.5, 1e300, false, 0, 0, '', '', '', '1969-12-31', '00:00:00', '1960-01-01 00:00:00', '1970-01-01 00:00:00-08', '00000000-0000-0000-0000-000000000000', '[]')`
	}
	return `INSERT INTO ` + name + ` VALUES
		(1, 7, 9000000000, 1.5, 2.25, b'1', 12345.678, 99999999999999999999, 'héllo', 'long text', x'00ff10', '2024-02-29', '13:14:15.123', '2024-03-01 12:00:00.5', '2024-03-01 10:00:00.25', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}'),
		(2, NULL, -1, NULL, NULL, NULL, -0.001, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(3, -32768, 0, -0.5, 1e300, b'0', 0, 0, '', '', '', '1969-12-31', '00:00:00', '1960-01-01 00:00:00', '1970-01-01 08:00:00', '00000000-0000-0000-0000-000000000000', '[]')`
}

// TestRoundTripEveryTypeThroughTopic reads a table of every mapped type with the source
// plugin, passes the records through JsonConverter as a topic would, writes them with
// the sink plugin into a table of the same definition, and compares the two tables row
// by row.
func TestRoundTripEveryTypeThroughTopic(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		db.exec(typesDDL(db.kind, "src"))
		db.exec(typesRows(db.kind, "src"))
		db.exec(typesDDL(db.kind, "dst"))
		src := launch(t, sourceClass)
		openSourceHandle(t, src, "s", db.config(keyMode, modeIncrementing, keyIncColumn, "id", keyTopicPrefix, "rt-", keyWhitelist, "src", keyPollInterval, "100"))
		recs := pollHandle(t, src, "s", 3)
		sink := launch(t, sinkClass)
		openSinkHandle(t, sink, "k", db.config(keyTableFormat, "dst"), "rt-src")
		putAndFlush(t, sink, "k", throughTopic(t, recs, "rt-src", 0))

		all := "SELECT * FROM %s ORDER BY id"
		if got, want := db.exec(fmt.Sprintf(all, "dst")), db.exec(fmt.Sprintf(all, "src")); got != want {
			t.Fatalf("the sink's table differs from the source's:\n%s\nwant\n%s", got, want)
		}
		if db.kind == postgres {
			if n := db.exec(`SELECT count(*) FROM ((SELECT * FROM src EXCEPT SELECT * FROM dst) UNION ALL (SELECT * FROM dst EXCEPT SELECT * FROM src)) x`); n != "0" {
				t.Fatalf("%s rows differ between src and dst", n)
			}
		}
		if n := db.exec("SELECT count(*) FROM dst"); n != "3" {
			t.Fatalf("dst holds %s rows, want 3", n)
		}
	})
}

// TestKilledSourceResumesWithoutGap kills the source plugin with SIGKILL after the
// kernel committed the offset of a record in the middle of what it polled, and opens a
// new process at that offset: every row after it arrives, the duplicates are at most
// the rows polled but not committed.
func TestKilledSourceResumesWithoutGap(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		ts := map[dbKind]string{postgres: "timestamptz(6)", mysqlDB: "timestamp(6)"}[db.kind]
		for _, mode := range []string{modeIncrementing, modeTimestamp, modeTsInc} {
			t.Run(mode, func(t *testing.T) {
				table := map[string]string{modeIncrementing: "k_inc", modeTimestamp: "k_ts", modeTsInc: "k_tsinc"}[mode]
				db.exec(fmt.Sprintf(`CREATE TABLE %s (id int PRIMARY KEY, m %s NOT NULL)`, table, ts))
				var values string
				for i := 1; i <= 300; i++ {
					if i > 1 {
						values += ","
					}
					// Several rows share a timestamp: the timestamp modes must not skip any.
					values += fmt.Sprintf("(%d, '2024-01-01 00:00:00'::timestamp + interval '%d second')", i, i/3)
				}
				if db.kind == mysqlDB {
					values = ""
					for i := 1; i <= 300; i++ {
						if i > 1 {
							values += ","
						}
						values += fmt.Sprintf("(%d, TIMESTAMPADD(SECOND, %d, '2024-01-01 00:00:00'))", i, i/3)
					}
				}
				db.exec(fmt.Sprintf("INSERT INTO %s VALUES %s", table, values))
				cfg := db.config(keyMode, mode, keyIncColumn, "id", keyTsColumn, "m", keyTopicPrefix, "k-", keyWhitelist, table,
					keyPollInterval, "100", keyBatchMaxRows, "50")
				if mode == modeIncrementing {
					delete(cfg, keyTsColumn)
				}
				if mode == modeTimestamp {
					delete(cfg, keyIncColumn)
				}
				c := launch(t, sourceClass)
				openSourceHandle(t, c, "a", cfg)
				polled := pollHandle(t, c, "a", 200)
				// The kernel committed record 150 (index 149); then the plugin dies.
				committed := &pluginv1.SourceOffset{Partition: polled[149].SourcePartition, Offset: polled[149].SourceOffset}
				if err := syscall.Kill(c.Pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				c2 := launch(t, sourceClass)
				openSourceHandle(t, c2, "b", cfg, committed)
				db.exec(fmt.Sprintf("INSERT INTO %s VALUES (301, CURRENT_TIMESTAMP)", table))
				got := pollHandle(t, c2, "b", 151)
				seen := map[int64]int{}
				for _, id := range recordIDs(t, got) {
					seen[id]++
				}
				for id := int64(151); id <= 301; id++ {
					if seen[id] == 0 {
						t.Fatalf("after SIGKILL and resume at row 150: row %d is missing (a gap)", id)
					}
				}
				// Timestamp mode resumes at the committed timestamp (>=), so the rows
				// sharing it (150; 151 and 152 come anyway) are the only duplicates;
				// the other modes re-read nothing committed.
				for id, n := range seen {
					if id <= 150 && !(mode == modeTimestamp && id/3 == 150/3) {
						t.Fatalf("row %d, committed before the kill, came again", id)
					}
					if n > 1 {
						t.Fatalf("row %d came %d times after the resume", id, n)
					}
				}
			})
		}
	})
}

func recordIDs(t *testing.T, recs []*pluginv1.Record) []int64 {
	t.Helper()
	conv, _ := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	var out []int64
	for _, r := range recs {
		b, err := conv.FromConnect(r.Topic, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ ID int64 }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		out = append(out, v.ID)
	}
	return out
}

// pluginBinary returns the tributary-jdbc binary under test (see testsvc.Built).
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-jdbc", ".")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}
