package main

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStreamInProcess measures the task alone (no kernel, no Kafka): records per
// second decoded from the slot into Debezium envelopes, for rows inserted in
// transactions of 1000; the CPU the process spent per record while polling (user +
// system, so the reader goroutine's and the runtime's too); and records per non-empty
// poll, each of which costs the kernel a round trip when the task runs as a plugin.
func BenchmarkStreamInProcess(b *testing.B) {
	pg := startPGB(b)
	pg.Exec(`CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, qty int, price numeric(10,2), updated timestamptz)`)
	const rows = 100_000
	var total, polls int
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		cfg := baseConfig(pg, "snapshot.mode", "no_data", "slot.name", "bench", "slot.drop.on.stop", "true")
		tk := openTaskB(b, cfg)
		pg.Exec(`DO $$ BEGIN FOR b IN 0..99 LOOP
			INSERT INTO bench_rows SELECT g, 'name-' || g, g % 100, g / 100.0, now() FROM generate_series(` + itoa(i*rows) + ` + b * 1000 + 1, ` + itoa(i*rows) + ` + (b + 1) * 1000) g;
			COMMIT; END LOOP; END $$`)
		b.StartTimer()
		cpu0 := processCPU(b)
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
			if len(recs) > 0 {
				polls++
			}
		}
		b.StopTimer()
		cpu += processCPU(b) - cpu0
		tk.Close()
		total += got
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(total)/float64(max(polls, 1)), "records/poll")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(total, 1)), "cpu-ns/record")
}

// processCPU returns the user and system CPU time the test process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
