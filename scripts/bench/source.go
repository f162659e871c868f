package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sourceResult is one timed run of the source benchmark.
type sourceResult struct {
	rate    float64       // records per second, from start to the last record on the topic
	startup time.Duration // from start to the first record on the topic
	cpu     cpuUsage      // CPU of our processes (harness, broker, kernel, plugins) and others
}

// benchSource compares datagen → kernel → topic with the raw sarama async producer
// sending the same records with the same settings, tasks tasks (and topic partitions) at
// once, alternating which goes first.
func benchSource(ctx context.Context, env *benchEnv, t *table, tasks int) error {
	name := fmt.Sprintf("source%d", tasks)
	a, err := startAgent(env, name, env.profilePath(name+"-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	partitions := int32(tasks)
	n := env.records

	runRaw := func(topic string) (sourceResult, error) {
		meter := newCPUMeter(pipelineParts(env, a)...)
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- produceRaw(env.kafka.brokers, topic, n, env.size, tasks) }()
		first, last, err := env.kafka.watchTopic(ctx, topic, partitions, n, 5*time.Minute)
		if perr := <-done; err == nil {
			err = perr
		}
		cpu := meter.stop()
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, err
	}
	runKernel := func(topic string) (sourceResult, error) {
		conn := topic
		meter := newCPUMeter(pipelineParts(env, a)...)
		start := time.Now()
		err := createConnector(ctx, a.client, conn, map[string]string{
			"connector.class": "datagen", "tasks.max": strconv.Itoa(tasks), "topic": topic,
			"count": strconv.FormatInt(n, 10), "record.size": strconv.Itoa(env.size), "value.type": "bytes",
			"value.converter": byteArrayConverter,
		})
		if err != nil {
			return sourceResult{}, err
		}
		first, last, err := env.kafka.watchTopic(ctx, topic, partitions, n, 5*time.Minute)
		cpu := meter.stop()
		if starts, serr := metricSum(ctx, a, "tributary_task_starts_total", conn); serr == nil && starts != float64(tasks) {
			fmt.Printf("   note: the kernel started the connector's %d task(s) %.0f times\n", tasks, starts)
		}
		var dup *tooManyError
		if errors.As(err, &dup) {
			// Duplicates: at-least-once allows them after a task restart, but none was
			// provoked here. Time the run all the same, and report what was read back.
			time.Sleep(time.Second)
			note := dup.Error()
			if au, aerr := env.kafka.audit(topic, partitions, taskShares(n, tasks)); aerr == nil {
				note = fmt.Sprintf("%s: %s kernel run %s read back %v", name, topic, last.Sub(start).Round(time.Millisecond), au)
			}
			env.anomaly(note)
			err = nil
		}
		if err != nil {
			if st, serr := connectorStatus(ctx, a.client, conn); serr == nil {
				err = fmt.Errorf("%w; connector status %v", err, st)
			}
			if au, aerr := env.kafka.audit(topic, partitions, taskShares(n, tasks)); aerr == nil {
				err = fmt.Errorf("%w; read back: %v", err, au)
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
			topic := fmt.Sprintf("%s-%s-%d", name, which, run)
			if err := env.kafka.createTopic(topic, partitions); err != nil {
				return err
			}
			var r sourceResult
			var err error
			if which == "raw" {
				r, err = runRaw(topic)
				raws = append(raws, r)
			} else {
				r, err = runKernel(topic)
				kernels = append(kernels, r)
			}
			if err != nil {
				return fmt.Errorf("run %d %s: %w", run+1, which, err)
			}
			fmt.Printf("   run %d %-6s %12s  first record after %-7s  CPU %5.2fs (%.2f µs/rec)  others' load %.2f cores\n",
				run+1, which, rate(r.rate), ms(r.startup), r.cpu.ours.Seconds(), float64(r.cpu.ours.Microseconds())/float64(n), r.cpu.others)
			fmt.Printf("          CPU seconds by process: %s\n", r.cpu)
			env.kafka.deleteTopic(topic)
			time.Sleep(500 * time.Millisecond) // let the stopped task and deleted topic settle
		}
	}

	rawRate, kRate := median(rates(raws)), median(rates(kernels))
	ratio := kRate / rawRate
	metric := fmt.Sprintf("%d task, %s×%dB, to topic", tasks, short(n), env.size)
	if tasks > 1 {
		metric = fmt.Sprintf("%d tasks/partitions, %s×%dB", tasks, short(n), env.size)
	}
	t.add(row{group: "source throughput", metric: metric, value: rate(kRate), baseline: rate(rawRate),
		ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.90×",
		verdict: verdict(ratio >= 0.9, fmt.Sprintf("%.0f%% short", (0.9-ratio)/0.9*100))})
	t.add(row{group: "", metric: "  CPU per record (all our processes)",
		value:    fmt.Sprintf("%.2f µs", medianCPU(kernels, n)),
		baseline: fmt.Sprintf("%.2f µs", medianCPU(raws, n)),
		ratio:    fmt.Sprintf("%.2f×", medianCPU(kernels, n)/medianCPU(raws, n))})
	t.add(row{group: "", metric: "  CPU per record by process", value: cpuSplit(kernels, n), baseline: cpuSplit(raws, n)})
	t.add(row{group: "", metric: "  create → first record on topic", value: ms(medianDuration(startups(kernels))),
		baseline: ms(medianDuration(startups(raws)))})
	return nil
}

// cpuSplit formats the median CPU per record of each process that used a noticeable
// share, in microseconds: "kernel 6.10 + plugins 2.40 + broker 1.20".
func cpuSplit(rs []sourceResult, n int64) string {
	var parts []string
	for _, name := range []string{"kernel", "plugins", "harness", "broker"} {
		per := make([]float64, len(rs))
		for i, r := range rs {
			per[i] = float64(r.cpu.parts[name].Microseconds()) / float64(n)
		}
		if m := median(per); m >= 0.05 {
			label := name
			if name == "harness" {
				label = "harness (raw client, watcher)"
			}
			parts = append(parts, fmt.Sprintf("%s %.2f", label, m))
		}
	}
	return strings.Join(parts, " + ") + " µs"
}

func rates(rs []sourceResult) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.rate
	}
	return out
}

func startups(rs []sourceResult) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = r.startup
	}
	return out
}

// medianCPU is the median CPU time per record in microseconds.
func medianCPU(rs []sourceResult, n int64) float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = float64(r.cpu.ours.Microseconds()) / float64(n)
	}
	return median(out)
}

// short formats a record count: 1M, 200k.
func short(n int64) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return strconv.FormatInt(n, 10)
}
