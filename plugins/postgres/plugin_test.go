package main

// Tests of the built tributary-postgres binary, launched as the kernel launches it: by
// the plugin host, and by the conformance kit behind `tributary plugins test`.

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/conformance"
	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func TestConformanceKit(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 20) g`)
	results := conformance.Run(context.Background(), pluginBinary(t), conformance.Options{Class: className, Config: baseConfig(pg)})
	for _, r := range results {
		if r.Status != conformance.Pass {
			t.Errorf("%s %s: %s: %s", r.Class, r.Check, r.Status, r.Detail)
		}
	}
	if len(results) < 10 {
		t.Errorf("ran only %d checks: %+v", len(results), results)
	}
}

// TestServedThroughPluginHost opens the connector in the built binary under the kernel's
// plugin host, snapshots a row and streams an insert, and checks the bytes
// JsonConverter(schemas.enable=true) makes of a record: Debezium's envelope.
func TestServedThroughPluginHost(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE public.customers (id int PRIMARY KEY, first_name varchar(255) NOT NULL, email text);
		INSERT INTO customers VALUES (1001, 'Sally', 'sally@example.com')`)
	c := launch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	desc, err := c.Plugin.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil || len(desc.Connectors) != 1 || desc.Connectors[0].Name != "postgres-source" {
		t.Fatalf("describe: %v, %v", desc, err)
	}
	for _, k := range desc.Connectors[0].Config {
		if k.Name == keyPassword && !k.Secret {
			t.Fatal("database.password is not a secret key")
		}
	}
	if _, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "a", Connector: "inventory"},
		ConnectorClass: className, Config: baseConfig(pg)}); err != nil {
		t.Fatalf("open: %v", err)
	}
	poll := func(n int) []*pluginv1.Record {
		var out []*pluginv1.Record
		deadline := time.Now().Add(20 * time.Second)
		for len(out) < n && time.Now().Before(deadline) {
			resp, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "a", MaxRecords: 100, TimeoutMs: 200})
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
	snap := poll(1)
	pg.Exec(`INSERT INTO customers VALUES (1002, 'George', NULL)`)
	ins := poll(1)

	conv, err := convert.New("org.apache.kafka.connect.json.JsonConverter", map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	keyConv, err := convert.New("org.apache.kafka.connect.json.JsonConverter", map[string]string{"schemas.enable": "true"}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*pluginv1.Record{snap[0], ins[0]} {
		keyJSON, err := keyConv.FromConnect(r.Topic, r.KeySchema, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		wantKey := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.public.customers.Key"},"payload":{"id":` + map[bool]string{true: "1001", false: "1002"}[r == snap[0]] + `}}`
		if string(keyJSON) != wantKey {
			t.Errorf("key JSON\n%s\nwant\n%s", keyJSON, wantKey)
		}
		b, err := conv.FromConnect(r.Topic, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Schema  json.RawMessage `json:"schema"`
			Payload map[string]json.RawMessage
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("value JSON %s: %v", b, err)
		}
		if got := string(env.Schema); got != wantEnvelopeSchema {
			t.Errorf("envelope schema\n%s\nwant\n%s", got, wantEnvelopeSchema)
		}
		var keys []string
		for k := range env.Payload {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if got, want := strings.Join(keys, ","), "after,before,op,source,transaction,ts_ms"; got != want {
			t.Errorf("envelope payload keys %s, want Debezium's %s", got, want)
		}
		if !strings.Contains(string(b), `"payload":{"before":null,"after":{"id":`) || !strings.Contains(string(b), `"connector":"postgresql","name":"dbserver1"`) {
			t.Errorf("payload %s", b)
		}
	}
	if !strings.Contains(mustJSON(t, conv, ins[0]), `"after":{"id":1002,"first_name":"George","email":null},"source":{"version":"2.5.4.Final","connector":"postgresql","name":"dbserver1","ts_ms":`) {
		t.Errorf("insert payload %s", mustJSON(t, conv, ins[0]))
	}
	if !strings.Contains(mustJSON(t, conv, snap[0]), `"snapshot":"last","db":"postgres","sequence":"[null,`) || !strings.Contains(mustJSON(t, conv, snap[0]), `"op":"r"`) {
		t.Errorf("snapshot payload %s", mustJSON(t, conv, snap[0]))
	}
	if _, err := c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: "a"}); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, conv convert.Converter, r *pluginv1.Record) string {
	b, err := conv.FromConnect(r.Topic, r.ValueSchema, r.Value)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantEnvelopeSchema is the envelope schema Debezium 2.5 writes through JsonConverter for
// the customers table above.
const wantEnvelopeSchema = `{"type":"struct","fields":[` +
	`{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":true,"field":"email"}],"optional":true,"name":"dbserver1.public.customers.Value","field":"before"},` +
	`{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":true,"field":"email"}],"optional":true,"name":"dbserver1.public.customers.Value","field":"after"},` +
	`{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},` +
	`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},` +
	`{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},` +
	`{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"},` +
	`{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},` +
	`{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}],` +
	`"optional":false,"name":"dbserver1.public.customers.Envelope","version":1}`

// pluginBinary returns the tributary-postgres binary under test (see testsvc.Built).
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-postgres", ".")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}
