package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestPipelineSurvivesKernelSIGKILL runs table → JDBC source → topic → JDBC sink → table
// under `tributary dev`, SIGKILLs the kernel (and with it the plugin) mid-stream, starts it
// again on the same data, and changes more rows: the target ends equal to the source row
// by row (no gap), and the topic holds each change at most a bounded number of extra
// times (the records polled after the last offset commit).
func TestPipelineSurvivesKernelSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev, the plugin and PostgreSQL")
	}
	db := startDB(t, postgres)
	db.exec(`CREATE TABLE src (id serial PRIMARY KEY, v text, amount numeric(10,2), m timestamptz(3) NOT NULL DEFAULT clock_timestamp())`)
	db.exec(`INSERT INTO src (v, amount) SELECT 'v' || g, g / 100.0 FROM generate_series(1, 3000) g`)
	ports := freePorts(t, 6)
	dataDir := t.TempDir()
	k := startDev(t, dataDir, ports)
	sc := saramaConfig()
	admin, err := sarama.NewClusterAdmin(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTopic("jdbc-src", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	k.PutConnector(t, "src", fmt.Sprintf(`{"connector.class":%q,"tasks.max":"1","connection.url":%q,"connection.user":%q,
		"mode":"timestamp+incrementing","incrementing.column.name":"id","timestamp.column.name":"m","table.whitelist":"src",
		"topic.prefix":"jdbc-","poll.interval.ms":"100","batch.max.rows":"100",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}`, sourceClass, db.url, db.user))
	k.PutConnector(t, "sink", fmt.Sprintf(`{"connector.class":%q,"tasks.max":"1","topics":"jdbc-src","connection.url":%q,"connection.user":%q,
		"insert.mode":"upsert","pk.mode":"record_value","pk.fields":"id","auto.create":"true","table.name.format":"dst",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}`, sinkClass, db.url, db.user))

	pollUntil(t, 60*time.Second, "the first rows in the target", func() (bool, string) {
		n, _ := strconv.Atoi(db.exec("SELECT count(*) FROM pg_tables WHERE tablename = 'dst'"))
		if n == 0 {
			return false, "no table dst"
		}
		got := db.exec("SELECT count(*) FROM dst")
		c, _ := strconv.Atoi(got)
		return c >= 500, got + " rows"
	})
	k.Kill()
	db.exec(`INSERT INTO src (v, amount) SELECT 'w' || g, -g / 100.0 FROM generate_series(1, 1000) g`)
	db.exec(`UPDATE src SET v = 'updated', m = clock_timestamp() WHERE id % 10 = 0`)
	k = startDev(t, dataDir, ports)

	diff := `SELECT count(*) FROM ((SELECT id, v, amount, m FROM src EXCEPT SELECT id, v, amount, m FROM dst) UNION ALL (SELECT id, v, amount, m FROM dst EXCEPT SELECT id, v, amount, m FROM src)) x`
	pollUntil(t, 120*time.Second, "the target equal to the source after the kernel's SIGKILL", func() (bool, string) {
		got, err := db.query(diff)
		return err == nil && got == "0", got + " rows differ"
	})
	client, err := sarama.NewClient(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	newest, err := client.GetOffset("jdbc-src", 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	// Every row at least once; at most its insert, its update, and a re-read of what
	// was read before the kill.
	rows, most := int64(4000), int64(4000+400+3000)
	if newest < rows || newest > most {
		t.Fatalf("the topic holds %d records for 4000 rows (400 updated); want between %d and %d", newest, rows, most)
	}
	t.Logf("topic records %d for 4000 rows, 400 of them updated", newest)
}
