package main

// The pipeline users come for, end to end on real parts: PostgreSQL (logical replication),
// the Debezium-compatible CDC source, the kfake broker, the Confluent-compatible
// Elasticsearch sink and an Elasticsearch look-alike, deployed from the demo's manifests
// (scripts/examples/postgres-to-elasticsearch) with only hosts, ports and the secrets path
// changed — and the plugin and the kernel SIGKILLed while changes stream.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	"github.com/tributary-dev/tributary/plugins/testsvc/esfake"
)

const exampleDir = "../../scripts/examples/postgres-to-elasticsearch"

// cdcPipeline is the demo deployed on one node.
type cdcPipeline struct {
	pg     *testsvc.Postgres
	inv    *testsvc.Postgres // the same server, database inventory
	es     *testsvc.Elasticsearch
	broker string
	agent  *agent
}

// startCDCPipeline starts PostgreSQL with the demo's inventory schema and user, the
// Elasticsearch look-alike, a broker and a node, and applies the demo's three manifests
// as run.sh does.
func startCDCPipeline(t *testing.T) *cdcPipeline {
	t.Helper()
	dir := t.TempDir()
	p := &cdcPipeline{pg: testsvc.StartPostgres(t), es: testsvc.StartElasticsearch(t, esfake.Options{})}
	p.pg.Exec("CREATE DATABASE inventory")
	inv := *p.pg
	inv.DB = "inventory"
	p.inv = &inv
	schema, err := os.ReadFile(filepath.Join(exampleDir, "inventory.sql"))
	if err != nil {
		t.Fatal(err)
	}
	p.inv.Exec(string(schema))
	secrets, err := filepath.Abs(filepath.Join(exampleDir, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	creds := readProperties(t, filepath.Join(secrets, "postgres-credentials.properties"))
	user := creds["username"]
	p.inv.Exec(fmt.Sprintf(`CREATE ROLE %s WITH LOGIN REPLICATION PASSWORD '%s';
		GRANT USAGE ON SCHEMA inventory TO %[1]s; GRANT CREATE ON DATABASE inventory TO %[1]s;
		ALTER TABLE inventory.customers OWNER TO %[1]s; ALTER TABLE inventory.orders OWNER TO %[1]s`, user, creds["password"]))

	p.broker = startBrokerProc(t)
	p.agent = startAgent(t, agentOpts{id: "cdc1", broker: p.broker, dataDir: filepath.Join(dir, "node")})
	for _, f := range []string{"postgres-source.yaml", "elasticsearch-sink.yaml", "elasticsearch-sink-unwrap.yaml"} {
		b, err := os.ReadFile(filepath.Join(exampleDir, f))
		if err != nil {
			t.Fatal(err)
		}
		m := strings.NewReplacer(
			"database.hostname: postgres", "database.hostname: "+p.pg.Host,
			"database.port: 5432", fmt.Sprintf("database.port: %d", p.pg.Port),
			"http://elasticsearch:9200", p.es.URL,
			"/opt/kafka/external-configuration/connector-config", secrets,
		).Replace(string(b))
		path := filepath.Join(dir, f)
		if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := p.agent.cli(t, "apply", "-f", path); err != nil {
			t.Fatalf("tributary apply -f %s: %v\n%s", f, err, out)
		}
	}
	cl := p.agent.client(t)
	for _, c := range []string{"inventory-connector", "elasticsearch-sink", "elasticsearch-sink-unwrap"} {
		waitStatus(t, cl, c, 60*time.Second, "all tasks RUNNING", allTasks("RUNNING"))
	}
	return p
}

// readProperties reads a Java properties file of key=value lines.
func readProperties(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && !strings.HasPrefix(k, "#") {
			m[k] = v
		}
	}
	return m
}

// rowChange is one change the workload made, as the test expects it on the topic: the
// row's key, the operation and a value unique to this change (the "mark").
type rowChange struct {
	id   int64
	op   string // c, u, d (r for the snapshot)
	mark string // customers: first_name; orders: quantity; "" for a delete
}

// workload makes random inserts, updates and deletes in both tables, a few per
// transaction, and remembers each change in commit order (one connection: commit order is
// the order it ran them). Customers it inserted are the only ones it deletes, and orders
// only ever point at the four seeded customers, so no foreign key ever refuses a delete.
type workload struct {
	conn      *pgx.Conn
	rng       *rand.Rand
	seq       int
	done      atomic.Int64
	customers map[int64]bool // live customers the workload inserted
	orders    map[int64]bool // live orders
	changes   map[string][]rowChange
}

func newWorkload(t *testing.T, dsn string) *workload {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	w := &workload{conn: conn, rng: rand.New(rand.NewPCG(11, 17)), customers: map[int64]bool{},
		orders: map[int64]bool{1: true, 2: true, 3: true}, changes: map[string][]rowChange{}}
	return w
}

func (w *workload) record(table string, c rowChange) { w.changes[table] = append(w.changes[table], c) }

func pick(rng *rand.Rand, m map[int64]bool) int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids[rng.IntN(len(ids))]
}

// run makes n changes.
func (w *workload) run(ctx context.Context, n int) error {
	for target := int(w.done.Load()) + n; int(w.done.Load()) < target; {
		tx, err := w.conn.Begin(ctx)
		if err != nil {
			return err
		}
		type made struct {
			table string
			c     rowChange
		}
		var batch []made
		for k := 1 + w.rng.IntN(6); k > 0; k-- {
			w.seq++
			table, c, err := w.change(ctx, tx)
			if err != nil {
				tx.Rollback(ctx)
				return err
			}
			batch = append(batch, made{table, c})
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		for _, m := range batch {
			w.record(m.table, m.c)
		}
		w.done.Add(int64(len(batch)))
	}
	return nil
}

// change makes one change in tx. The live-row sets are updated at once: a failed
// transaction fails the test anyway.
func (w *workload) change(ctx context.Context, tx pgx.Tx) (string, rowChange, error) {
	mark := fmt.Sprintf("m%d", w.seq)
	switch r := w.rng.IntN(10); {
	case r < 3 || len(w.customers) == 0: // insert a customer
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO inventory.customers (first_name, last_name, email)
			VALUES ($1, 'Load', $2) RETURNING id`, mark, mark+"@example.com").Scan(&id)
		w.customers[id] = true
		return "customers", rowChange{id, "c", mark}, err
	case r < 5: // update a customer (seeded or not)
		id := pick(w.rng, w.customers)
		if w.rng.IntN(3) == 0 {
			id = int64(1 + w.rng.IntN(4))
		}
		_, err := tx.Exec(ctx, `UPDATE inventory.customers SET first_name = $1 WHERE id = $2`, mark, id)
		return "customers", rowChange{id, "u", mark}, err
	case r < 6: // delete a customer the workload inserted
		id := pick(w.rng, w.customers)
		delete(w.customers, id)
		_, err := tx.Exec(ctx, `DELETE FROM inventory.customers WHERE id = $1`, id)
		return "customers", rowChange{id, "d", ""}, err
	case r < 8 || len(w.orders) == 0: // insert an order
		var id int64
		q := 100000 + w.seq
		err := tx.QueryRow(ctx, `INSERT INTO inventory.orders (order_date, purchaser, quantity, price)
			VALUES ('2026-12-04', $1, $2, 9.99) RETURNING id`, 1+w.rng.IntN(4), q).Scan(&id)
		w.orders[id] = true
		return "orders", rowChange{id, "c", fmt.Sprint(q)}, err
	case r < 9: // update an order
		id := pick(w.rng, w.orders)
		q := 100000 + w.seq
		_, err := tx.Exec(ctx, `UPDATE inventory.orders SET quantity = $1 WHERE id = $2`, q, id)
		return "orders", rowChange{id, "u", fmt.Sprint(q)}, err
	default: // delete an order
		id := pick(w.rng, w.orders)
		delete(w.orders, id)
		_, err := tx.Exec(ctx, `DELETE FROM inventory.orders WHERE id = $1`, id)
		return "orders", rowChange{id, "d", ""}, err
	}
}

// debeziumEvent is the part of a change event (JsonConverter, schemas.enable=true) the
// test checks.
type debeziumEvent struct {
	Payload struct {
		Op     string                     `json:"op"`
		Before map[string]json.RawMessage `json:"before"`
		After  map[string]json.RawMessage `json:"after"`
		Source struct {
			Connector string `json:"connector"`
			Name      string `json:"name"`
			Table     string `json:"table"`
			LSN       int64  `json:"lsn"`
		} `json:"source"`
	} `json:"payload"`
}

type eventKey struct {
	Payload struct {
		ID int64 `json:"id"`
	} `json:"payload"`
}

// checkTopic reads a change topic and checks that, per key, the changes arrived in commit
// order with none lost; it returns the number of duplicates (re-deliveries from a replay)
// and how many separate runs of the topic they form.
func checkTopic(t *testing.T, broker, topic string, markField string, want map[int64][]rowChange) (dups, runs int) {
	t.Helper()
	got := map[int64][]rowChange{}
	seen := map[string]bool{}
	tombstones := map[int64]int{}
	inRun := false
	for _, m := range consumeAll(t, broker, topic) {
		var k eventKey
		if err := json.Unmarshal(m.Key, &k); err != nil {
			t.Fatalf("%s offset %d: key %q is not the key struct as JSON: %v", topic, m.Offset, m.Key, err)
		}
		if m.Value == nil {
			tombstones[k.Payload.ID]++
			continue
		}
		var ev debeziumEvent
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatalf("%s offset %d: value is not a change event: %v\n%s", topic, m.Offset, err, m.Value)
		}
		e := ev.Payload
		if e.Source.Connector != "postgresql" || e.Source.Name != "dbserver1" || "dbserver1.inventory."+e.Source.Table != topic {
			t.Fatalf("%s offset %d: source block %+v, want connector postgresql, name dbserver1, table of the topic", topic, m.Offset, e.Source)
		}
		c := rowChange{id: k.Payload.ID, op: e.Op}
		if e.Op != "d" {
			c.mark = strings.Trim(string(e.After[markField]), `"`)
		}
		id := fmt.Sprintf("%d/%s/%s/%d", c.id, c.op, c.mark, e.Source.LSN)
		if seen[id] {
			dups++
			if !inRun {
				runs++
			}
			inRun = true
			continue
		}
		inRun = false
		seen[id] = true
		got[c.id] = append(got[c.id], c)
	}
	for id, w := range want {
		g := got[id]
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s key %d: changes arrived as\n  %v\nwant (commit order)\n  %v", topic, id, g, w)
		}
		deletes := 0
		for _, c := range w {
			if c.op == "d" {
				deletes++
			}
		}
		if tombstones[id] < deletes {
			t.Errorf("%s key %d: %d deletes but %d tombstones", topic, id, deletes, tombstones[id])
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: key %d has changes %v nobody made", topic, id, got[id])
		}
	}
	return dups, runs
}

// tableRows returns each row of an inventory table as its columns' text.
func tableRows(t *testing.T, pg *testsvc.Postgres, query string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, l := range strings.Split(pg.Exec(query), "\n") {
		if id, rest, ok := strings.Cut(l, "|"); ok {
			rows[id] = rest
		}
	}
	return rows
}

// waitIndexMatches waits until the index holds exactly the table's rows, each document's
// fields (found by doc, which returns nil while a document is not what it must become)
// equal to the row's.
func waitIndexMatches(t *testing.T, es *testsvc.Elasticsearch, index string, rows map[string]string, doc func(json.RawMessage) []string, timeout time.Duration) {
	t.Helper()
	var diff string
	var docs map[string]json.RawMessage
	if testsvc.WaitFor(timeout, func() bool {
		docs = es.Docs(index)
		diff = ""
		if len(docs) != len(rows) {
			diff = fmt.Sprintf("%d documents, %d rows", len(docs), len(rows))
		}
		for id, row := range rows {
			d, ok := docs[id]
			if !ok {
				diff += fmt.Sprintf("; row %s has no document", id)
				continue
			}
			if got := strings.Join(doc(d), "|"); got != row {
				diff += fmt.Sprintf("; document %s holds %q, row %q", id, got, row)
			}
		}
		return diff == ""
	}) {
		return
	}
	if len(diff) > 2000 {
		diff = diff[:2000] + "…"
	}
	n := 0
	for id, d := range docs {
		if _, ok := rows[id]; !ok && n < 3 {
			n++
			t.Logf("document %s has no row: %.600s", id, d)
		}
	}
	t.Fatalf("index %s does not match the table after %s: %s", index, timeout, diff)
}

// fields returns the named fields of a JSON object as text (strings unquoted).
func fields(obj map[string]json.RawMessage, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.Trim(string(obj[n]), `"`)
	}
	return out
}

func TestPostgresToElasticsearchPipeline(t *testing.T) {
	e2e(t)
	p := startCDCPipeline(t)
	cl := p.agent.client(t)

	// The snapshot: the seeded rows become documents.
	waitIndexMatches(t, p.es, "customers", tableRows(t, p.inv, "SELECT id, first_name, last_name, email FROM inventory.customers"),
		func(d json.RawMessage) []string {
			var row map[string]json.RawMessage
			json.Unmarshal(d, &row)
			return fields(row, "first_name", "last_name", "email")
		}, 60*time.Second)

	// 10,000 changes in many transactions; the plugin and then the kernel are SIGKILLed
	// while they stream.
	ctx, cancel := context.WithCancel(context.Background())
	w := newWorkload(t, fmt.Sprintf("host=%s port=%d user=postgres dbname=inventory sslmode=disable", p.pg.Host, p.pg.Port))
	for _, c := range strings.Split(p.inv.Exec("SELECT id, first_name FROM inventory.customers ORDER BY id"), "\n") {
		id, name, _ := strings.Cut(c, "|")
		var n int64
		fmt.Sscan(id, &n)
		w.record("customers", rowChange{n, "r", name})
	}
	for _, o := range strings.Split(p.inv.Exec("SELECT id, quantity FROM inventory.orders ORDER BY id"), "\n") {
		id, q, _ := strings.Cut(o, "|")
		var n int64
		fmt.Sscan(id, &n)
		w.record("orders", rowChange{n, "r", q})
	}
	const total = 10000
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		errc <- w.run(ctx, total)
	}()
	// A test that fails midway stops the workload before its connection closes.
	t.Cleanup(func() { cancel(); <-done })

	testsvc.Eventually(t, 60*time.Second, "3,000 changes made", func() bool { return w.done.Load() >= 3000 })
	pids := childPIDs(p.agent.cmd.Process.Pid, "tributary-postgres")
	if len(pids) != 1 {
		t.Fatalf("want one tributary-postgres process under the node, found %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILLed the CDC plugin after %d changes", w.done.Load())
	waitStatus(t, cl, "inventory-connector", 60*time.Second, "RUNNING again after the plugin restart", allTasks("RUNNING"))

	testsvc.Eventually(t, 60*time.Second, "6,500 changes made", func() bool { return w.done.Load() >= 6500 })
	p.agent.kill9()
	t.Logf("SIGKILLed the kernel after %d changes", w.done.Load())
	p.agent.restart(t)
	cl = p.agent.client(t)
	if err := <-errc; err != nil {
		t.Fatalf("workload: %v", err)
	}
	for _, c := range []string{"inventory-connector", "elasticsearch-sink", "elasticsearch-sink-unwrap"} {
		waitStatus(t, cl, c, 60*time.Second, "all tasks RUNNING after the kernel restart", allTasks("RUNNING"))
	}

	// The final indexes equal the final tables: the row documents (ExtractNewRecordState)
	// and the change-event documents (the whole envelope; the latest event's after).
	customers := tableRows(t, p.inv, "SELECT id, first_name, last_name, email FROM inventory.customers")
	orders := tableRows(t, p.inv, "SELECT id, purchaser, quantity FROM inventory.orders")
	waitIndexMatches(t, p.es, "customers", customers, func(d json.RawMessage) []string {
		var row map[string]json.RawMessage
		json.Unmarshal(d, &row)
		return fields(row, "first_name", "last_name", "email")
	}, 180*time.Second)
	envelopeAfter := func(names ...string) func(json.RawMessage) []string {
		return func(d json.RawMessage) []string {
			var ev struct {
				After map[string]json.RawMessage `json:"after"`
			}
			json.Unmarshal(d, &ev)
			return fields(ev.After, names...)
		}
	}
	waitIndexMatches(t, p.es, "dbserver1.inventory.customers", customers, envelopeAfter("first_name", "last_name", "email"), 60*time.Second)
	waitIndexMatches(t, p.es, "dbserver1.inventory.orders", orders, envelopeAfter("purchaser", "quantity"), 60*time.Second)

	// Every change reached its topic, per key in commit order, none lost.
	for table, field := range map[string]string{"customers": "first_name", "orders": "quantity"} {
		want := map[int64][]rowChange{}
		for _, c := range w.changes[table] {
			want[c.id] = append(want[c.id], c)
		}
		dups, runs := checkTopic(t, p.broker, "dbserver1.inventory."+table, field, want)
		t.Logf("dbserver1.inventory.%s: %d changes, %d duplicates in %d run(s), lost 0", table, len(w.changes[table]), dups, runs)
		// Re-deliveries come only from the window after the last commit before each
		// SIGKILL: at most one run per kill.
		if runs > 2 {
			t.Errorf("dbserver1.inventory.%s: duplicates form %d separate runs; only the uncommitted window before each of the 2 kills may repeat", table, runs)
		}
	}
}
