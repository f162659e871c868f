package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// BenchmarkSourceBulkPoll reads a table of 100k rows with a bulk task, in the plugin
// process alone (no kernel): the connector's own cost per row.
func BenchmarkSourceBulkPoll(b *testing.B) {
	pg := testsvc.StartPostgres(b)
	pg.Exec(`CREATE TABLE bench_src (id bigint PRIMARY KEY, name text NOT NULL, qty int, price double precision, ts timestamptz);
		INSERT INTO bench_src SELECT g, 'name-' || g, g % 100, g / 100.0, now() FROM generate_series(1, 100000) g`)
	raw := map[string]string{keyURL: fmt.Sprintf("jdbc:postgresql://%s:%d/%s", pg.Host, pg.Port, pg.DB), keyUser: pg.User,
		keyMode: modeBulk, keyTopicPrefix: "b-", keyPollInterval: "1", keyBatchMaxRows: "5000"}
	cfg, errs := sourceDef.Parse(raw)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	tk := &sourceTask{}
	if err := tk.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: hclog.NewNullLogger()}); err != nil {
		b.Fatal(err)
	}
	defer tk.Close()
	b.ResetTimer()
	rows := 0
	for rows < b.N {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		recs, err := tk.Poll(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		rows += len(recs)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
