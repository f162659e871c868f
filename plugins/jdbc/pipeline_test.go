package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestPipelineSurvivesKernelSIGKILL runs table → JDBC source → topic → JDBC sink → table
// under `tributary dev`, on PostgreSQL and on MariaDB, for the incrementing and the
// timestamp+incrementing modes at once (a source and a sink per mode). It waits until the
// kernel has committed source offsets covering at least a third of the rows, reads them
// through the offsets API, SIGKILLs the kernel (and with it the plugin), starts it again
// on the same data and changes more rows: each target ends equal to its source row by row
// (no gap), and each topic holds at most as many duplicates as there were rows after the
// offset committed before the kill (only the records polled after the last commit are
// read again).
func TestPipelineSurvivesKernelSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev, the plugin and the databases")
	}
	for _, kind := range []dbKind{postgres, mysqlDB} {
		t.Run(string(kind), func(t *testing.T) { pipelineSurvivesKill(t, startDB(t, kind)) })
	}
}

func pipelineSurvivesKill(t *testing.T, db *testDB) {
	const rows, added = 3000, 1000
	modes := []struct{ mode, table string }{{modeTsInc, "tsinc"}, {modeIncrementing, "inc"}}
	for _, m := range modes {
		if db.kind == postgres {
			db.exec(`CREATE TABLE ` + m.table + ` (id serial PRIMARY KEY, v text, amount numeric(10,2), m timestamptz(3) NOT NULL DEFAULT clock_timestamp())`)
			db.exec(fmt.Sprintf(`INSERT INTO %s (v, amount) SELECT 'v' || g, g / 100.0 FROM generate_series(1, %d) g`, m.table, rows))
		} else {
			db.exec(`CREATE TABLE ` + m.table + ` (id int AUTO_INCREMENT PRIMARY KEY, v varchar(20), amount decimal(10,2), m datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`)
			db.exec(fmt.Sprintf(`INSERT INTO %s (v, amount) SELECT concat('v', seq), seq / 100.0 FROM seq_1_to_%d`, m.table, rows))
		}
	}
	ports := freePorts(t, 6)
	dataDir := t.TempDir()
	k := startDev(t, dataDir, ports)
	sc := saramaConfig()
	admin, err := sarama.NewClusterAdmin(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modes {
		if err := admin.CreateTopic("jdbc-"+m.table, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
			t.Fatal(err)
		}
	}
	admin.Close()
	for _, m := range modes {
		k.PutConnector(t, "src-"+m.table, fmt.Sprintf(`{"connector.class":%q,"tasks.max":"1","connection.url":%q,"connection.user":%q,"connection.password":%q,
			"mode":%q,"incrementing.column.name":"id","timestamp.column.name":"m","table.whitelist":%q,
			"topic.prefix":"jdbc-","poll.interval.ms":"100","batch.max.rows":"100",
			"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}`,
			sourceClass, db.url, db.user, db.pass, m.mode, m.table))
		k.PutConnector(t, "sink-"+m.table, fmt.Sprintf(`{"connector.class":%q,"tasks.max":"1","topics":%q,"connection.url":%q,"connection.user":%q,"connection.password":%q,
			"insert.mode":"upsert","pk.mode":"record_value","pk.fields":"id","auto.create":"true","table.name.format":%q,
			"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}`,
			sinkClass, "jdbc-"+m.table, db.url, db.user, db.pass, "dst_"+m.table))
	}

	// The kill comes once the kernel has committed offsets covering at least a third of
	// the rows of each source; what it had committed then bounds the replay.
	committed := map[string]int64{}
	for _, m := range modes {
		pollUntil(t, 60*time.Second, "src-"+m.table+"'s committed offset to cover a third of the rows", func() (bool, string) {
			committed[m.table] = committedIncrementing(t, k, "src-"+m.table)
			return committed[m.table] >= rows/3, fmt.Sprintf("incrementing %d", committed[m.table])
		})
	}
	k.Kill()
	for _, m := range modes {
		if db.kind == postgres {
			db.exec(fmt.Sprintf(`INSERT INTO %s (v, amount) SELECT 'w' || g, -g / 100.0 FROM generate_series(1, %d) g`, m.table, added))
		} else {
			db.exec(fmt.Sprintf(`INSERT INTO %s (v, amount) SELECT concat('w', seq), -seq / 100.0 FROM seq_1_to_%d`, m.table, added))
		}
	}
	// Only timestamp+incrementing reads updates.
	updated := rows / 10
	if db.kind == postgres {
		db.exec(`UPDATE tsinc SET v = 'updated', m = clock_timestamp() WHERE id % 10 = 0 AND id <= ` + strconv.Itoa(rows))
	} else {
		db.exec(`UPDATE tsinc SET v = 'updated', m = CURRENT_TIMESTAMP(3) WHERE id % 10 = 0 AND id <= ` + strconv.Itoa(rows))
	}
	k = startDev(t, dataDir, ports)

	client, err := sarama.NewClient(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, m := range modes {
		diff := fmt.Sprintf(`SELECT count(*) FROM ((SELECT id, v, amount, m FROM %[1]s EXCEPT SELECT id, v, amount, m FROM dst_%[1]s) UNION ALL (SELECT id, v, amount, m FROM dst_%[1]s EXCEPT SELECT id, v, amount, m FROM %[1]s)) x`, m.table)
		pollUntil(t, 120*time.Second, "dst_"+m.table+" equal to "+m.table+" after the kernel's SIGKILL", func() (bool, string) {
			got, err := db.query(diff)
			return err == nil && got == "0", fmt.Sprint(got, " rows differ ", err)
		})
		// Every record is in the topic once the target is equal; count the ones read
		// twice: the same row (and, in timestamp+incrementing, the same version of it).
		values := topicValues(t, client, "jdbc-"+m.table)
		seen, ids, dups := map[string]bool{}, map[int64]bool{}, 0
		for _, v := range values {
			var rec struct {
				Payload struct {
					ID int64 `json:"id"`
					M  int64 `json:"m"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(v, &rec); err != nil {
				t.Fatalf("record %s: %v", v, err)
			}
			ids[rec.Payload.ID] = true
			key := strconv.FormatInt(rec.Payload.ID, 10)
			if m.mode == modeTsInc {
				key += "@" + strconv.FormatInt(rec.Payload.M, 10)
			}
			if seen[key] {
				dups++
			}
			seen[key] = true
		}
		// Every row is on the topic. Under timestamp+incrementing a row updated while the
		// kernel was down is there in its old version too if it had been read before the
		// kill (after the last commit or not), and in its new one only otherwise: how many
		// depends on how far the task had read, so the versions are bounded, not counted.
		if len(ids) != rows+added {
			t.Errorf("%s: the topic holds %d distinct rows, want %d (%d rows, %d added)", m.mode, len(ids), rows+added, rows, added)
		}
		most := rows + added
		if m.mode == modeTsInc {
			most += updated
		}
		if len(seen) < rows+added || len(seen) > most {
			t.Errorf("%s: the topic holds %d distinct row versions, want %d to %d", m.mode, len(seen), rows+added, most)
		}
		again := rows - int(committed[m.table])
		if dups > again {
			t.Errorf("%s: %d records read twice; the offset committed before the kill was incrementing %d, so at most the %d rows after it may be read again",
				m.mode, dups, committed[m.table], again)
		}
		t.Logf("%s: %d records, %d read twice (at most %d: committed incrementing %d before the kill)", m.mode, len(values), dups, again, committed[m.table])
	}
}

// topicValues reads every record value of partition 0 of topic, up to its end now.
func topicValues(t *testing.T, client sarama.Client, topic string) [][]byte {
	t.Helper()
	newest, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.AsyncClose()
	var out [][]byte
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for int64(len(out)) < newest {
		select {
		case m := <-pc.Messages():
			out = append(out, m.Value)
		case <-timeout.C:
			t.Fatalf("read %d of the %d records of %s within 30s", len(out), newest, topic)
		}
	}
	return out
}
