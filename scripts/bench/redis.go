package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/redis/go-redis/v9"
)

// redisPipeline is the most commands the raw client sends in one pipeline: the kernel's
// largest Put (kernel/runtime maxPutRecords), which the sink writes as one pipeline.
const redisPipeline = 4096

// benchRedis compares topic → kernel → Redis sink → redis-server with a raw sarama
// partition consumer feeding a go-redis pipeline the same commands — SET <topic>:<key>
// <value>, pipelines of what the consumer has ready, at most redisPipeline — to the same
// redis-server (no persistence), in the same run. The topic holds JSON documents of
// about -size bytes keyed by their sequence number; the sink reads them with the
// StringConverter (keys) and the ByteArrayConverter (values) as Redis Inc's connector
// with redis.type=STRING, so both write the same bytes. A run ends when DBSIZE is the
// record count. It also samples the plugin's peak RSS.
func benchRedis(ctx context.Context, env *benchEnv, t *table) error {
	n := env.records
	topic := "redis-in"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return err
	}
	defer env.kafka.deleteTopic(topic)
	if err := produceJSONDocs(env.kafka.brokers, topic, n, env.size); err != nil {
		return fmt.Errorf("fill %s: %w", topic, err)
	}
	srv, addr, err := startBenchRedis(env)
	if err != nil {
		return err
	}
	defer srv.stop(5 * time.Second)
	rc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	a, err := startAgent(env, "redis", env.profilePath("redis-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	parts := func() []cpuPart {
		return append(pipelineParts(env, a), cpuPart{name: "redis-server", read: func() time.Duration { return cpuTime(srv.pid()) }})
	}

	runRaw := func() (sourceResult, error) {
		meter := newCPUMeter(parts()...)
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- consumeToRedis(env.kafka.brokers, topic, n, addr) }()
		first, last, err := watchRedis(ctx, rc, n, 5*time.Minute)
		if cerr := <-done; err == nil {
			err = cerr
		}
		cpu := meter.stop()
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, err
	}
	var peakKB atomic.Int64
	runKernel := func(run int) (sourceResult, error) {
		conn := fmt.Sprintf("redis-%d", run)
		meter := newCPUMeter(parts()...)
		stopRSS := samplePluginRSS(a.pid(), "tributary-redis", &peakKB)
		start := time.Now()
		err := createConnector(ctx, a.client, conn, map[string]string{
			"connector.class": "com.redis.kafka.connect.RedisSinkConnector", "tasks.max": "1",
			"topics": topic, "redis.uri": "redis://" + addr, "redis.type": "STRING",
			"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
			"value.converter": byteArrayConverter,
		})
		if err != nil {
			stopRSS()
			return sourceResult{}, err
		}
		first, last, err := watchRedis(ctx, rc, n, 5*time.Minute)
		cpu := meter.stop()
		stopRSS()
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
			if err := rc.FlushAll(ctx).Err(); err != nil {
				return fmt.Errorf("FLUSHALL: %w", err)
			}
			var r sourceResult
			var err error
			if which == "raw" {
				r, err = runRaw()
				raws = append(raws, r)
			} else {
				r, err = runKernel(run)
				kernels = append(kernels, r)
			}
			if err == nil && run == 0 {
				err = checkRedis(ctx, rc, topic, n, env.size)
			}
			if err != nil {
				return fmt.Errorf("run %d %s: %w", run+1, which, err)
			}
			fmt.Printf("   run %d %-6s %12s  first key after %-7s  CPU %5.2fs (%.2f µs/rec)  others' load %.2f cores\n",
				run+1, which, rate(r.rate), ms(r.startup), r.cpu.ours.Seconds(), float64(r.cpu.ours.Microseconds())/float64(n), r.cpu.others)
			fmt.Printf("          CPU seconds by process: %s\n", r.cpu)
			time.Sleep(500 * time.Millisecond)
		}
	}

	rawRate, kRate := median(rates(raws)), median(rates(kernels))
	ratio := kRate / rawRate
	t.add(row{group: "redis sink", metric: fmt.Sprintf("1 task, %s×~%dB SETs, to redis-server", short(n), env.size),
		value: rate(kRate), baseline: rate(rawRate) + " (go-redis pipeline)", ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.80×",
		verdict: verdict(ratio >= 0.8, fmt.Sprintf("%.0f%% short", (0.8-ratio)/0.8*100))})
	t.add(row{group: "", metric: "  CPU per record (all our processes, redis-server included)",
		value:    fmt.Sprintf("%.2f µs", medianCPU(kernels, n)),
		baseline: fmt.Sprintf("%.2f µs", medianCPU(raws, n)),
		ratio:    fmt.Sprintf("%.2f×", medianCPU(kernels, n)/medianCPU(raws, n))})
	t.add(row{group: "", metric: "  CPU per record by process", value: cpuSplit(kernels, n), baseline: cpuSplit(raws, n)})
	t.add(row{group: "", metric: "  create → first key", value: ms(medianDuration(startups(kernels))),
		baseline: ms(medianDuration(startups(raws)))})
	t.add(row{group: "", metric: "  plugin peak RSS under load: tributary-redis", value: mb(peakKB.Load())})
	return nil
}

// startBenchRedis runs redis-server on a free port with no persistence, its files in
// the scratch directory, and waits until it answers PING.
func startBenchRedis(env *benchEnv) (*proc, string, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", fmt.Errorf("needs redis-server (apt-get install redis-server): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	p, err := start(env.dir, "redis-server", nil, path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", env.dir, "--protected-mode", "no")
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	err = waitFor(context.Background(), "redis-server answering PING", 10*time.Second, 20*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return true, fmt.Errorf("redis-server exited: %s", tail(p.out.String(), 2000))
		}
		return c.Ping(context.Background()).Err() == nil, nil
	})
	if err != nil {
		p.stop(time.Second)
		return nil, "", err
	}
	return p, addr, nil
}

// consumeToRedis is the raw sink: a sarama partition consumer feeding go-redis
// pipelines of SET <topic>:<key> <value>, each of the messages the consumer has ready (at
// most redisPipeline), sent before the next is filled, as the sink writes a Put.
func consumeToRedis(brokers []string, topic string, n int64, addr string) error {
	rc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer rc.Close()
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
	ctx := context.Background()
	prefix := topic + ":"
	pipe := rc.Pipeline()
	queued := 0
	send := func() error {
		if queued == 0 {
			return nil
		}
		cmds, err := pipe.Exec(ctx)
		queued = 0
		if err != nil {
			return err
		}
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	for got := int64(0); got < n; got++ {
		var m *sarama.ConsumerMessage
		select {
		case m = <-pc.Messages():
		default:
			if err := send(); err != nil { // nothing ready: write what we have
				return err
			}
			select {
			case m = <-pc.Messages():
			case e := <-pc.Errors():
				return e.Err
			}
		}
		pipe.Set(ctx, prefix+string(m.Key), m.Value, 0)
		if queued++; queued >= redisPipeline {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// watchRedis polls DBSIZE until it reaches want and returns when the first key and the
// last were there.
func watchRedis(ctx context.Context, rc *redis.Client, want int64, timeout time.Duration) (first, last time.Time, err error) {
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		got, err := rc.DBSize(ctx).Result()
		if err != nil {
			return first, now, fmt.Errorf("DBSIZE: %w", err)
		}
		if got > 0 && first.IsZero() {
			first = now
		}
		if got >= want {
			return first, now, nil
		}
		if now.After(deadline) {
			return first, now, fmt.Errorf("redis holds %d of %d keys after %s", got, want, timeout)
		}
		select {
		case <-ctx.Done():
			return first, now, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// checkRedis verifies that Redis holds <topic>:0 … <topic>:n-1, each the document produced.
func checkRedis(ctx context.Context, rc *redis.Client, topic string, n int64, size int) error {
	if got := rc.DBSize(ctx).Val(); got != n {
		return fmt.Errorf("DBSIZE %d, want %d", got, n)
	}
	for lo := int64(0); lo < n; lo += 1000 {
		keys := make([]string, 0, 1000)
		for seq := lo; seq < min(lo+1000, n); seq++ {
			keys = append(keys, topic+":"+strconv.FormatInt(seq, 10))
		}
		vals, err := rc.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		for i, v := range vals {
			seq := lo + int64(i)
			if s, ok := v.(string); !ok || s != string(esDoc(nil, seq, size)) {
				return fmt.Errorf("GET %s = %.80v, want document %d", keys[i], v, seq)
			}
		}
	}
	return nil
}
