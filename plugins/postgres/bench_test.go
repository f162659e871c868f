package main

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStreamInProcess measures the task alone (no kernel, no Kafka): records per
// second decoded from the slot into Debezium envelopes, for rows inserted in
// transactions of 1000.
func BenchmarkStreamInProcess(b *testing.B) {
	pg := startPGB(b)
	pg.Exec(`CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, qty int, price numeric(10,2), updated timestamptz)`)
	const rows = 100_000
	var total int
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		cfg := baseConfig(pg, "snapshot.mode", "no_data", "slot.name", "bench", "slot.drop.on.stop", "true")
		tk := openTaskB(b, cfg)
		pg.Exec(`DO $$ BEGIN FOR b IN 0..99 LOOP
			INSERT INTO bench_rows SELECT g, 'name-' || g, g % 100, g / 100.0, now() FROM generate_series(` + itoa(i*rows) + ` + b * 1000 + 1, ` + itoa(i*rows) + ` + (b + 1) * 1000) g;
			COMMIT; END LOOP; END $$`)
		b.StartTimer()
		got := 0
		deadline := time.Now().Add(2 * time.Minute)
		for got < rows && time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			recs, err := tk.Poll(ctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				b.Fatal(err)
			}
			got += len(recs)
		}
		b.StopTimer()
		tk.Close()
		total += got
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}
