package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/datagen/record"
)

// sinkWriteThreshold is what the file sink buffers before writing between flushes
// (plugins/file's writeThreshold); the raw consumer buffers the same.
const sinkWriteThreshold = 256 << 10

// benchSink compares topic → kernel → file sink with a raw sarama partition consumer
// writing the same lines to a file: both buffer 256 KiB, write whole lines, and write and
// fsync every flush interval (the agent's offset.flush.interval, when the kernel calls
// the sink's Flush) and once more at the end. A run ends when the file holds every line.
func benchSink(ctx context.Context, env *benchEnv, t *table) error {
	n := env.records
	topic := "sink-in"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return err
	}
	defer env.kafka.deleteTopic(topic)
	if err := produceRaw(env.kafka.brokers, topic, n, env.size, 1); err != nil {
		return fmt.Errorf("fill %s: %w", topic, err)
	}
	a, err := startAgent(env, "sink", env.profilePath("sink-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	wantBytes := n * int64(env.size+1)

	runRaw := func(out string) (sourceResult, error) {
		meter := newCPUMeter(pipelineParts(env, a)...)
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- consumeToFile(env.kafka.brokers, topic, n, out, env.flush) }()
		first, last, err := watchFile(ctx, out, wantBytes, 5*time.Minute)
		if cerr := <-done; err == nil {
			err = cerr
		}
		cpu := meter.stop()
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, err
	}
	runKernel := func(out string, run int) (sourceResult, error) {
		conn := fmt.Sprintf("sink-%d", run)
		meter := newCPUMeter(pipelineParts(env, a)...)
		start := time.Now()
		err := createConnector(ctx, a.client, conn, map[string]string{
			"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": out,
			"value.converter": byteArrayConverter,
		})
		if err != nil {
			return sourceResult{}, err
		}
		first, last, err := watchFile(ctx, out, wantBytes, 5*time.Minute)
		cpu := meter.stop()
		if err != nil {
			if st, serr := connectorStatus(ctx, a.client, conn); serr == nil {
				err = fmt.Errorf("%w; connector status %v", err, st)
			}
		}
		if derr := deleteConnector(ctx, a.client, conn); err == nil {
			err = derr
		}
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, err
	}

	var raws, kernels []sourceResult
	for run := range env.n {
		order := []string{"raw", "kernel"}
		if run%2 == 1 {
			order = []string{"kernel", "raw"}
		}
		for _, which := range order {
			out := filepath.Join(env.dir, fmt.Sprintf("sink-%s-%d.txt", which, run))
			var r sourceResult
			var err error
			if which == "raw" {
				r, err = runRaw(out)
				raws = append(raws, r)
			} else {
				r, err = runKernel(out, run)
				kernels = append(kernels, r)
			}
			var dup *tooManyError
			if errors.As(err, &dup) {
				env.anomaly(fmt.Sprintf("sink: %s run %d: %s has %d bytes, more than the %d of %d lines (duplicates)", which, run+1, out, dup.got, dup.want, n))
				err = nil
			} else if err == nil && run == 0 {
				err = checkLines(out, n, env.size)
			}
			if err != nil {
				return fmt.Errorf("run %d %s: %w", run+1, which, err)
			}
			fmt.Printf("   run %d %-6s %12s  first line after %-7s  CPU %5.2fs (%.2f µs/rec)  others' load %.2f cores\n",
				run+1, which, rate(r.rate), ms(r.startup), r.cpu.ours.Seconds(), float64(r.cpu.ours.Microseconds())/float64(n), r.cpu.others)
			fmt.Printf("          CPU seconds by process: %s\n", r.cpu)
			os.Remove(out)
			time.Sleep(500 * time.Millisecond)
		}
	}

	rawRate, kRate := median(rates(raws)), median(rates(kernels))
	ratio := kRate / rawRate
	t.add(row{group: "sink throughput", metric: fmt.Sprintf("1 task, %s×%dB, to file", short(n), env.size),
		value: rate(kRate), baseline: rate(rawRate), ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.80×",
		verdict: verdict(ratio >= 0.8, fmt.Sprintf("%.0f%% short", (0.8-ratio)/0.8*100))})
	t.add(row{group: "", metric: "  CPU per record (all our processes)",
		value:    fmt.Sprintf("%.2f µs", medianCPU(kernels, n)),
		baseline: fmt.Sprintf("%.2f µs", medianCPU(raws, n)),
		ratio:    fmt.Sprintf("%.2f×", medianCPU(kernels, n)/medianCPU(raws, n))})
	t.add(row{group: "", metric: "  CPU per record by process", value: cpuSplit(kernels, n), baseline: cpuSplit(raws, n)})
	t.add(row{group: "", metric: "  create → first line in file", value: ms(medianDuration(startups(kernels))),
		baseline: ms(medianDuration(startups(raws)))})
	return nil
}

// consumeToFile is the raw sink: a sarama partition consumer with the runtime's settings
// appending each value as a line, buffered as the file sink buffers, written and fsynced
// every flush interval and at the end.
func consumeToFile(brokers []string, topic string, n int64, path string, flush time.Duration) error {
	c, err := sarama.NewConsumer(brokers, saramaConfig())
	if err != nil {
		return fmt.Errorf("raw consumer: %w", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		return fmt.Errorf("consume %s: %w", topic, err)
	}
	defer func() {
		pc.AsyncClose()
		for range pc.Messages() {
		}
	}()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 0, sinkWriteThreshold+4096)
	write := func() error {
		_, err := f.Write(buf)
		buf = buf[:0]
		return err
	}
	tick := time.NewTicker(flush)
	defer tick.Stop()
	for got := int64(0); got < n; {
		select {
		case m := <-pc.Messages():
			buf = append(buf, m.Value...)
			buf = append(buf, '\n')
			got++
			if len(buf) >= sinkWriteThreshold {
				if err := write(); err != nil {
					return err
				}
			}
		case e := <-pc.Errors():
			return e.Err
		case <-tick.C:
			if len(buf) > 0 {
				if err := write(); err != nil {
					return err
				}
				if err := f.Sync(); err != nil {
					return err
				}
			}
		}
	}
	if err := write(); err != nil {
		return err
	}
	return f.Sync()
}

// watchFile polls a file's size until it reaches want bytes and returns when the first
// byte and the last were there.
func watchFile(ctx context.Context, path string, want int64, timeout time.Duration) (first, last time.Time, err error) {
	deadline := time.Now().Add(timeout)
	var size int64
	for {
		now := time.Now()
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		if size > 0 && first.IsZero() {
			first = now
		}
		if size >= want {
			if size > want {
				return first, now, &tooManyError{topic: path, got: size, want: want}
			}
			return first, now, nil
		}
		if now.After(deadline) {
			return first, now, fmt.Errorf("%s has %d of %d bytes after %s", path, size, want, timeout)
		}
		select {
		case <-ctx.Done():
			return first, now, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// checkLines verifies that the file holds n lines of size bytes with sequence numbers
// 0..n-1 in order: nothing lost, duplicated or reordered.
func checkLines(path string, n int64, size int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var i int64
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) != size {
			return fmt.Errorf("%s line %d has %d bytes, want %d", path, i+1, len(line), size)
		}
		if h, ok := record.Parse(line); size >= record.HeaderLen && (!ok || h.Seq != uint64(i)) {
			return fmt.Errorf("%s line %d: sequence %d (header ok %v), want %d", path, i+1, h.Seq, ok, i)
		}
		i++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if i != n {
		return fmt.Errorf("%s has %d lines, want %d", path, i, n)
	}
	return nil
}
