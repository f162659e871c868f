package main

// Tests and helpers that read and change a connector's offsets through the Kafka Connect
// REST API of a `tributary dev` node, as a user does.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// connectOffset is one entry of GET /connectors/{name}/offsets (KIP-875's shape).
type connectOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// restCall sends a request with a JSON body (or none) and returns the status code and
// the response body.
func restCall(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// mustREST is restCall failing the test unless the answer is 2xx.
func mustREST(t *testing.T, method, url, body string) string {
	t.Helper()
	code, out := restCall(t, method, url, body)
	if code/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, code, out)
	}
	return out
}

// committedOffsets returns the offsets the kernel has committed for connector name.
func committedOffsets(t *testing.T, k *testsvc.Dev, name string) []connectOffset {
	t.Helper()
	out := mustREST(t, http.MethodGet, k.REST+"/connectors/"+name+"/offsets", "")
	var resp struct {
		Offsets []connectOffset `json:"offsets"`
	}
	d := json.NewDecoder(bytes.NewReader([]byte(out)))
	d.UseNumber()
	if err := d.Decode(&resp); err != nil {
		t.Fatalf("GET offsets of %s: %v in %s", name, err, out)
	}
	return resp.Offsets
}

// committedIncrementing returns the incrementing value of the one committed offset of
// a source connector reading one table, or -1 when none is committed yet.
func committedIncrementing(t *testing.T, k *testsvc.Dev, name string) int64 {
	t.Helper()
	offs := committedOffsets(t, k, name)
	if len(offs) == 0 {
		return -1
	}
	if len(offs) > 1 {
		t.Fatalf("connector %s has %d committed partitions, want one: %v", name, len(offs), offs)
	}
	n, ok := offs[0].Offset[offIncrementing].(json.Number)
	if !ok {
		t.Fatalf("connector %s's offset %v has no incrementing number", name, offs[0].Offset)
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSourceResumesFromAnOffsetAlteredThroughTheAPI runs the source under `tributary dev`,
// on PostgreSQL and on MariaDB, until it has committed the offset of all ten rows, stops it
// (PUT …/stop), sets its offset to {"incrementing": 4} with PATCH …/offsets in KIP-875's
// shape and the partition the README documents for each database, adds two rows and
// resumes it: the topic then holds, after the first ten records, rows 5 to 12 exactly —
// none at or before the altered offset, every one after it.
func TestSourceResumesFromAnOffsetAlteredThroughTheAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev, the plugin and the databases")
	}
	bothDatabases(t, func(t *testing.T, db *testDB) { resumeFromAlteredOffset(t, db) })
}

func resumeFromAlteredOffset(t *testing.T, db *testDB) {
	db.exec(`CREATE TABLE r (` + db.autoInc() + `, v varchar(20) NOT NULL)`)
	db.exec(`INSERT INTO r (v) VALUES ('v1'), ('v2'), ('v3'), ('v4'), ('v5'), ('v6'), ('v7'), ('v8'), ('v9'), ('v10')`)
	k := startDev(t, t.TempDir(), freePorts(t, 6))
	sc := saramaConfig()
	admin, err := sarama.NewClusterAdmin(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTopic("alt-r", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	cfg, _ := json.Marshal(map[string]string{"connector.class": sourceClass, "tasks.max": "1", "connection.url": db.url,
		"connection.user": db.user, "connection.password": db.pass, "mode": "incrementing", "incrementing.column.name": "id",
		"table.whitelist": "r", "topic.prefix": "alt-", "poll.interval.ms": "100",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true"})
	k.PutConnector(t, "alt", string(cfg))
	pollUntil(t, 60*time.Second, "the offset of all ten rows committed", func() (bool, string) {
		n := committedIncrementing(t, k, "alt")
		return n == 10, fmt.Sprintf("incrementing %d", n)
	})

	base := k.REST + "/connectors/alt"
	mustREST(t, http.MethodPut, base+"/stop", "")
	pollUntil(t, 30*time.Second, "the connector STOPPED", func() (bool, string) {
		_, out := restCall(t, http.MethodGet, base+"/status", "")
		return strings.Contains(out, `"STOPPED"`), out
	})
	// The partition as the README documents it: db.schema.table on PostgreSQL, db.table on
	// MySQL and MariaDB.
	dbName := db.url[strings.LastIndex(db.url, "/")+1:]
	if i := strings.IndexAny(dbName, "?;"); i >= 0 {
		dbName = dbName[:i]
	}
	fqn := dbName + ".r"
	if db.kind == postgres {
		fqn = dbName + ".public.r"
	}
	mustREST(t, http.MethodPatch, base+"/offsets", `{"offsets":[{"partition":{"protocol":"1","table":"`+fqn+`"},"offset":{"incrementing":4}}]}`)
	if n := committedIncrementing(t, k, "alt"); n != 4 {
		t.Fatalf("after PATCH …/offsets the committed offset is incrementing %d, want 4", n)
	}
	db.exec(`INSERT INTO r (v) VALUES ('v11'), ('v12')`)
	mustREST(t, http.MethodPut, base+"/resume", "")
	pollUntil(t, 60*time.Second, "the offset of row 12 committed after the resume", func() (bool, string) {
		n := committedIncrementing(t, k, "alt")
		return n == 12, fmt.Sprintf("incrementing %d", n)
	})

	client, err := sarama.NewClient(k.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var got []int64
	for _, v := range topicValues(t, client, "alt-r") {
		var rec struct {
			Payload struct {
				ID int64 `json:"id"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			t.Fatalf("record %s: %v", v, err)
		}
		got = append(got, rec.Payload.ID)
	}
	want := "[1 2 3 4 5 6 7 8 9 10] [5 6 7 8 9 10 11 12]"
	if len(got) < 10 || fmt.Sprint(got[:10], got[10:]) != want {
		t.Fatalf("topic ids %v; want %s (all ten rows, then from the row after the altered offset {incrementing: 4})", got, want)
	}
}
