package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// change is one generated change: an upsert of a row, or a delete (a tombstone).
type change struct {
	id     int
	delete bool
	name   *string
	qty    int64
	price  int64 // cents
	ts     time.Time
}

const (
	changeKeySchema   = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"orders.Key"}`
	changeValueSchema = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},` +
		`{"type":"int64","optional":false,"field":"qty"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},` +
		`{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}],"optional":false,"name":"orders.Value"}`
)

func (c change) json() (key, value string) {
	key = fmt.Sprintf(`{"schema":%s,"payload":{"id":%d}}`, changeKeySchema, c.id)
	if c.delete {
		return key, ""
	}
	name := "null"
	if c.name != nil {
		name = fmt.Sprintf("%q", *c.name)
	}
	price := base64.StdEncoding.EncodeToString(data.AppendTwosComplement(nil, big.NewInt(c.price)))
	value = fmt.Sprintf(`{"schema":%s,"payload":{"id":%d,"name":%s,"qty":%d,"price":%q,"ts":%d}}`,
		changeValueSchema, c.id, name, c.qty, price, c.ts.UnixMilli())
	return key, value
}

// generateChanges returns n changes of keys 1..keys: three in five are upserts (inserts
// or updates), one in five deletes, and the state they leave, rendered as rows.
func generateChanges(n, keys int) ([]change, map[int]change) {
	rnd := rand.New(rand.NewPCG(12, 34))
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	state := map[int]change{}
	out := make([]change, n)
	for i := range out {
		c := change{id: 1 + rnd.IntN(keys)}
		if rnd.IntN(5) == 0 {
			c.delete = true
			delete(state, c.id)
		} else {
			if rnd.IntN(4) != 0 {
				s := fmt.Sprintf("name-%d-%d", c.id, i)
				c.name = &s
			}
			c.qty = rnd.Int64N(1 << 40)
			c.price = rnd.Int64N(2_000_000) - 1_000_000
			c.ts = base.Add(time.Duration(i) * 1237 * time.Millisecond)
			state[c.id] = c
		}
		out[i] = c
	}
	return out, state
}

// renderState renders rows as the test's SELECT of the target prints them.
func renderState(state map[int]change) string {
	ids := make([]int, 0, len(state))
	for id := range state {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var b strings.Builder
	for i, id := range ids {
		c := state[id]
		name := "NULL"
		if c.name != nil {
			name = *c.name
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d\t%s\t%d\t%s\t%s", id, name, c.qty, data.Decimal{Unscaled: big.NewInt(c.price), Scale: 2}, c.ts.UTC().Format("2006-01-02 15:04:05.000"))
	}
	return b.String()
}

func (db *testDB) selectOrders(table string) string {
	if db.kind == postgres {
		return db.exec(`SELECT id, coalesce(name, 'NULL'), qty, price, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.MS') FROM ` + table + ` ORDER BY id`)
	}
	return db.exec(`SELECT id, IFNULL(name, 'NULL'), qty, price, LEFT(DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), 23) FROM ` + table + ` ORDER BY id`)
}

// TestUpsertAndDeleteKeepTargetEqualAfter10000Changes writes 10,000 generated changes
// (upserts and tombstones of 500 keys; a generator, not the CDC connector) with
// insert.mode=upsert, delete.enabled=true and auto.create into a new table, SIGKILLs the
// sink plugin once after a Put it did not flush, and replays from the last offset Flush
// reported, as the kernel would: the table ends equal to the state the changes leave.
func TestUpsertAndDeleteKeepTargetEqualAfter10000Changes(t *testing.T) {
	bothDatabases(t, func(t *testing.T, db *testDB) {
		changes, state := generateChanges(10_000, 500)
		var kvs []string
		for _, c := range changes {
			k, v := c.json()
			kvs = append(kvs, k, v)
		}
		recs := fromJSON(t, "orders", 0, kvs...)
		cfg := db.config(keyInsertMode, "upsert", keyPKMode, pkRecordKey, keyDeleteEnabled, "true", keyAutoCreate, "true",
			keyTableFormat, "orders_copy", keyBatchSize, "300")
		c := launch(t, sinkClass)
		openSinkHandle(t, c, "a", cfg, "orders")
		const batch = 500
		committed := int64(0)
		killed := false
		for at := int64(0); at < int64(len(recs)); {
			end := min(at+batch, int64(len(recs)))
			if !killed && at >= 5000 {
				// Put without a flush, then the plugin dies: the kernel replays from
				// the last flushed offset.
				if _, err := c.Sink.Put(context.Background(), &pluginv1.PutRequest{Handle: "a", Records: recs[at:end]}); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Kill(c.Pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
				c = launch(t, sinkClass)
				openSinkHandle(t, c, "b", cfg, "orders")
				at = committed
				continue
			}
			handle := "a"
			if killed {
				handle = "b"
			}
			committed = putAndFlush(t, c, handle, recs[at:end])
			at = end
		}
		if got, want := db.selectOrders("orders_copy"), renderState(state); got != want {
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("target differs from the changes' state at row %d: %q, want %q (%d rows, want %d)", i, gl[i], wl[i], len(gl), len(wl))
				}
			}
			t.Fatalf("target holds %d rows, want %d", len(gl), len(wl))
		}
	})
}
