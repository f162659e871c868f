package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

func TestSourceIncrementingPicksUpInserts(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		db.exec(`CREATE TABLE items (` + db.autoInc() + `, name varchar(40) NOT NULL)`)
		db.exec(`INSERT INTO items (name) VALUES ('a'), ('b'), ('c')`)
		tk := openSource(t, db.config(keyMode, "incrementing", keyIncColumn, "id", keyTopicPrefix, "jdbc-",
			keyPollInterval, "100", keyBatchMaxRows, "2"))
		recs := pollN(t, tk, 3)
		if got := fmt.Sprint(ids(recs)); got != "[1 2 3]" {
			t.Fatalf("ids %s, want [1 2 3]", got)
		}
		r := recs[2]
		if r.Topic != "jdbc-items" {
			t.Errorf("topic %q, want jdbc-items (topic.prefix + table)", r.Topic)
		}
		if r.ValueSchema.Name != "items" {
			t.Errorf("value schema named %q, want items (the table)", r.ValueSchema.Name)
		}
		wantTable := "postgres.public.items"
		if db.kind == mysqlDB {
			wantTable = "test.items"
		}
		if got := fmt.Sprint(r.SourcePartition); got != fmt.Sprint(sdk.Partition{"protocol": "1", "table": wantTable}) {
			t.Errorf("partition %s, want {protocol:1 table:%s}", got, wantTable)
		}
		if got, _ := r.SourceOffset.Int("incrementing"); got != 3 {
			t.Errorf("offset %v, want incrementing 3", r.SourceOffset.Map())
		}
		db.exec(`INSERT INTO items (name) VALUES ('d')`)
		if got := fmt.Sprint(ids(pollN(t, tk, 1))); got != "[4]" {
			t.Fatalf("after an insert: ids %s, want [4]", got)
		}
		db.exec(`UPDATE items SET name = 'A' WHERE id = 1`)
		if more := pollFor(t, tk, 500*time.Millisecond); len(more) != 0 {
			t.Fatalf("incrementing mode re-read an updated row: %v", ids(more))
		}
	})
}

func TestSourceTimestampModesPickUpInsertsAndUpdates(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		ts := "timestamptz"
		if db.kind == mysqlDB {
			ts = "timestamp(6)"
		}
		for _, mode := range []string{modeTimestamp, modeTsInc} {
			t.Run(mode, func(t *testing.T) {
				table := "t_" + map[string]string{modeTimestamp: "ts", modeTsInc: "tsinc"}[mode]
				db.exec(fmt.Sprintf(`CREATE TABLE %s (id int PRIMARY KEY, name varchar(20) NOT NULL, modified %s NOT NULL DEFAULT CURRENT_TIMESTAMP)`, table, ts))
				db.exec(fmt.Sprintf(`INSERT INTO %s (id, name, modified) VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:00'), (3, 'c', '2024-01-02 10:00:00')`, table))
				cfg := db.config(keyMode, mode, keyTsColumn, "modified", keyTopicPrefix, "p.", keyPollInterval, "100", keyWhitelist, table)
				if mode == modeTsInc {
					cfg[keyIncColumn] = "id"
				}
				tk := openSource(t, cfg)
				recs := pollN(t, tk, 3)
				if got := fmt.Sprint(ids(recs)); got != "[1 2 3]" {
					t.Fatalf("ids %s, want [1 2 3]", got)
				}
				last := recs[2].SourceOffset
				if ms, _ := last.Int("timestamp"); ms != time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC).UnixMilli() {
					t.Errorf("offset %v: timestamp is not 2024-01-02T10:00Z in ms", last.Map())
				}
				if _, ok := last.Int("timestamp_nanos"); !ok {
					t.Errorf("offset %v has no timestamp_nanos", last.Map())
				}
				if _, ok := last.Int("incrementing"); ok != (mode == modeTsInc) {
					t.Errorf("offset %v: incrementing present %v, want %v", last.Map(), ok, mode == modeTsInc)
				}
				db.exec(fmt.Sprintf(`UPDATE %s SET name = 'A', modified = CURRENT_TIMESTAMP WHERE id = 1`, table))
				db.exec(fmt.Sprintf(`INSERT INTO %s (id, name) VALUES (4, 'd')`, table))
				more := pollN(t, tk, 2)
				if got := fmt.Sprint(ids(more)); got != "[1 4]" {
					t.Fatalf("after an update of 1 and an insert of 4: ids %s, want [1 4]", got)
				}
				if got := more[0].Value.(interface{ String(string) string }).String("name"); got != "A" {
					t.Errorf("updated row's name %q, want A", got)
				}
			})
		}
	})
}

func TestSourceBulkReadsTheWholeTableEveryPoll(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		db.exec(`CREATE TABLE b (id int PRIMARY KEY)`)
		db.exec(`INSERT INTO b VALUES (1), (2)`)
		tk := openSource(t, db.config(keyMode, modeBulk, keyTopicPrefix, "bulk-", keyPollInterval, "200"))
		first := pollN(t, tk, 2)
		db.exec(`INSERT INTO b VALUES (3)`)
		second := pollN(t, tk, 3)
		if got := fmt.Sprint(ids(first), ids(second[:3])); got != "[1 2] [1 2 3]" {
			t.Fatalf("two bulk polls read %s, want [1 2] [1 2 3]", got)
		}
	})
}

func TestSourceQueryModeKeysOffsetsByQuery(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		db.exec(`CREATE TABLE q1 (id int PRIMARY KEY, v int NOT NULL)`)
		db.exec(`INSERT INTO q1 VALUES (1, 10), (2, 20), (3, 30)`)
		tk := openSource(t, db.config(keyMode, modeIncrementing, keyIncColumn, "id", keyTopicPrefix, "query-topic",
			keyQuery, "SELECT id, v * 2 AS doubled FROM q1", keyPollInterval, "100"))
		recs := pollN(t, tk, 3)
		if got := fmt.Sprint(ids(recs)); got != "[1 2 3]" {
			t.Fatalf("ids %s, want [1 2 3]", got)
		}
		r := recs[0]
		if r.Topic != "query-topic" || fmt.Sprint(r.SourcePartition) != "map[query:query]" || r.ValueSchema.Name != "" {
			t.Fatalf("topic %q partition %v schema name %q; want query-topic, {query: query}, no name", r.Topic, r.SourcePartition, r.ValueSchema.Name)
		}
	})
}

// TestSourceOpensAtAGivenOffset opens a task on a committed offset in the shape a user
// writes ({"incrementing": 2}, or Confluent's timestamp form): it reads from the row
// after it. TestSourceResumesFromAnOffsetAlteredThroughTheAPI does the same through the
// kernel's offsets API.
func TestSourceOpensAtAGivenOffset(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		db.exec(`CREATE TABLE r (id int PRIMARY KEY)`)
		db.exec(`INSERT INTO r VALUES (1), (2), (3), (4)`)
		cfg := db.config(keyMode, modeIncrementing, keyIncColumn, "id", keyTopicPrefix, "r-", keyPollInterval, "100")
		tk := openSource(t, cfg)
		recs := pollN(t, tk, 4)
		tk.Close()
		altered := committedJSON(t, recs[0].SourcePartition, `{"incrementing": 2}`)
		tk2 := openSource(t, cfg, altered)
		if got := fmt.Sprint(ids(pollN(t, tk2, 2))); got != "[3 4]" {
			t.Fatalf("resumed at {incrementing: 2}: ids %s, want [3 4]", got)
		}
		// The timestamp form, as Confluent writes it, resumes too.
		db.exec(`CREATE TABLE rt (id int PRIMARY KEY, m ` + map[dbKind]string{postgres: "timestamp", mysqlDB: "datetime(6)"}[db.kind] + ` NOT NULL)`)
		db.exec(`INSERT INTO rt VALUES (0, '2024-04-30 23:59:59.999'), (1, '2024-05-01 00:00:00'), (2, '2024-05-01 00:00:00.5'), (3, '2024-05-02 00:00:00')`)
		tcfg := db.config(keyMode, modeTimestamp, keyTsColumn, "m", keyTopicPrefix, "rt-", keyPollInterval, "100", keyWhitelist, "rt")
		part := sdk.Partition{"protocol": "1", "table": map[dbKind]string{postgres: "postgres.public.rt", mysqlDB: "test.rt"}[db.kind]}
		ms := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		tk3 := openSource(t, tcfg, committedJSON(t, part, fmt.Sprintf(`{"timestamp": %d, "timestamp_nanos": 0}`, ms)))
		// Resuming at a timestamp reads the rows at it again (others may share it),
		// none before it.
		if got := fmt.Sprint(ids(pollN(t, tk3, 3))); got != "[1 2 3]" {
			t.Fatalf("resumed at timestamp 2024-05-01: ids %s, want [1 2 3]", got)
		}
	})
}
