package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// postgresPluginBinary returns the CDC connector's binary (see testsvc.Built).
func postgresPluginBinary(t *testing.T) string {
	t.Helper()
	return testsvc.Built(t, "plugins/tributary-postgres", "../postgres")
}

// TestCDCChangesKeepTheTargetEqual streams 10,000 mixed changes (inserts, updates,
// deletes) of a PostgreSQL table through the CDC connector (tributary-postgres,
// Debezium envelopes, ExtractNewRecordState) and the JDBC sink (upsert, delete.enabled,
// pk.mode=record_key, auto.create) into a MariaDB table, under `tributary dev`: the
// target ends equal to the source row by row.
func TestCDCChangesKeepTheTargetEqual(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev, two plugins, PostgreSQL and MariaDB")
	}
	pg := startDB(t, postgres)
	my := startDB(t, mysqlDB)
	pg.exec(`CREATE TABLE orders (id int PRIMARY KEY, name text, qty bigint NOT NULL, price numeric(12,2) NOT NULL, placed timestamptz(3) NOT NULL);
		ALTER TABLE orders REPLICA IDENTITY FULL`)
	k := startDev(t, t.TempDir(), freePorts(t, 6), postgresPluginBinary(t))
	host, port := "127.0.0.1", strings.TrimPrefix(strings.Split(strings.TrimPrefix(pg.url, "jdbc:postgresql://"), "/")[0], "127.0.0.1:")
	k.PutConnector(t, "cdc", fmt.Sprintf(`{"connector.class":"io.debezium.connector.postgresql.PostgresConnector","tasks.max":"1",
		"database.hostname":%q,"database.port":%q,"database.user":"postgres","database.dbname":"postgres","database.sslmode":"disable",
		"topic.prefix":"dbserver1","table.include.list":"public.orders","time.precision.mode":"connect",
		"key.converter":"org.apache.kafka.connect.json.JsonConverter","key.converter.schemas.enable":"true",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}`, host, port))
	k.PutConnector(t, "sink", fmt.Sprintf(`{"connector.class":%q,"tasks.max":"1","topics":"dbserver1.public.orders",
		"connection.url":%q,"connection.user":%q,"connection.password":%q,
		"insert.mode":"upsert","pk.mode":"record_key","delete.enabled":"true","auto.create":"true","table.name.format":"orders_copy",
		"transforms":"unwrap","transforms.unwrap.type":"io.debezium.transforms.ExtractNewRecordState",
		"transforms.unwrap.delete.tombstone.handling.mode":"tombstone",
		"key.converter":"org.apache.kafka.connect.json.JsonConverter","key.converter.schemas.enable":"true",
		"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.schemas.enable":"true"}`, sinkClass, my.url, my.user, my.pass))

	// 10,000 changes in transactions of 100: inserts of new keys, updates and deletes of
	// existing ones.
	rnd := rand.New(rand.NewPCG(7, 8))
	var live []int
	next := 1
	changes := 0
	for changes < 10_000 {
		var b strings.Builder
		b.WriteString("BEGIN;")
		for range 100 {
			switch r := rnd.IntN(10); {
			case r < 5 || len(live) < 50:
				fmt.Fprintf(&b, "INSERT INTO orders VALUES (%d, %s, %d, %d.%02d, '2024-01-01 00:00:00+00'::timestamptz + interval '%d millisecond');",
					next, nameOrNull(rnd, next), rnd.Int64N(1<<40), rnd.IntN(1_000_000)-500_000, rnd.IntN(100), rnd.IntN(1<<30))
				live = append(live, next)
				next++
			case r < 8:
				id := live[rnd.IntN(len(live))]
				fmt.Fprintf(&b, "UPDATE orders SET name = %s, qty = qty + 1, placed = placed + interval '1 second' WHERE id = %d;", nameOrNull(rnd, id), id)
			default:
				i := rnd.IntN(len(live))
				fmt.Fprintf(&b, "DELETE FROM orders WHERE id = %d;", live[i])
				live = append(live[:i], live[i+1:]...)
			}
			changes++
		}
		b.WriteString("COMMIT")
		pg.exec(b.String())
	}
	want := pg.exec(`SELECT id, coalesce(name, 'NULL'), qty, price, to_char(placed AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') FROM orders ORDER BY id`)
	var got string
	pollUntil(t, 180*time.Second, "the MariaDB table equal to the PostgreSQL one", func() (bool, string) {
		out, err := my.query(`SELECT id, IFNULL(name, 'NULL'), qty, price, LEFT(DATE_FORMAT(placed, '%Y-%m-%d %H:%i:%s.%f'), 23) FROM orders_copy ORDER BY id`)
		got = out
		return err == nil && out == want, fmt.Sprintf("%d rows, want %d (err %v)", strings.Count(out, "\n")+1, strings.Count(want, "\n")+1, err)
	})
	if strings.Count(want, "\n") < 100 {
		t.Fatalf("the source holds only %d rows: the test changed too little", strings.Count(want, "\n")+1)
	}
	_ = got
}

func nameOrNull(rnd *rand.Rand, id int) string {
	if rnd.IntN(4) == 0 {
		return "NULL"
	}
	return fmt.Sprintf("'name-%d-%d'", id, rnd.IntN(1000))
}
