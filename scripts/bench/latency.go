package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/datagen/record"
)

const (
	latencyRate = 10_000 // records per second
	warmUp      = 2 * time.Second
)

// benchLatency measures end-to-end latency at a fixed rate: datagen (timestamp=true,
// 10k records/s) → kernel → topic → kernel → file sink, one node. Each value carries the
// time datagen generated it, in the plugin's Poll. Two clocks read it:
//
//   - topic: a probe sarama consumer (the runtime's settings, as the sink task's own
//     consumer) timestamps each record on receipt: poll → produce → fetchable;
//   - file: a tailer reads the sink's output file every millisecond and timestamps each
//     line when it appears: the whole path, including the file sink's buffering (it
//     writes at its Flush, every offset flush interval, or per 256 KiB).
//
// The plugin's Put happens between the two. Records of the first 2 s are left out.
func benchLatency(ctx context.Context, env *benchEnv, t *table, measure time.Duration) error {
	a, err := startAgent(env, "latency", env.profilePath("latency-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	total := int64((warmUp + measure).Seconds() * latencyRate)
	skip := uint64(warmUp.Seconds() * latencyRate)

	var p50s, p99s, maxs, tp50s, tp99s []time.Duration
	for run := range env.n {
		topic := fmt.Sprintf("latency-%d", run)
		if err := env.kafka.createTopic(topic, 1); err != nil {
			return err
		}
		out := filepath.Join(env.dir, topic+".txt")
		sink, src := topic+"-sink", topic+"-gen"
		err := createConnector(ctx, a.client, sink, map[string]string{
			"connector.class": "FileStreamSink", "topics": topic, "file": out, "value.converter": byteArrayConverter})
		if err != nil {
			return err
		}
		if _, err := waitRunning(ctx, a.client, sink, 30*time.Second); err != nil {
			return err
		}

		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var topicLat []time.Duration
		var probeErr error
		wg.Go(func() { topicLat, probeErr = probeTopic(rctx, env.kafka.brokers, topic, total, skip) })
		fileLat := make(chan []time.Duration, 1)
		tailErr := make(chan error, 1)
		go func() {
			l, err := tailFile(rctx, out, total, skip, env.size)
			fileLat <- l
			tailErr <- err
		}()

		err = createConnector(ctx, a.client, src, map[string]string{
			"connector.class": "datagen", "topic": topic, "rate": strconv.Itoa(latencyRate),
			"count": strconv.FormatInt(total, 10), "timestamp": "true", "record.size": strconv.Itoa(env.size),
			"value.type": "bytes", "value.converter": byteArrayConverter})
		var lat []time.Duration
		if err == nil {
			select {
			case lat = <-fileLat:
				err = <-tailErr
			case <-time.After(warmUp + measure + time.Minute):
				err = fmt.Errorf("the file did not get %d lines in time", total)
			}
		}
		cancel()
		wg.Wait()
		if err == nil && probeErr != nil && ctx.Err() == nil {
			err = probeErr
		}
		_ = deleteConnector(ctx, a.client, src)
		_ = deleteConnector(ctx, a.client, sink)
		env.kafka.deleteTopic(topic)
		os.Remove(out)
		if err != nil {
			return fmt.Errorf("run %d: %w", run+1, err)
		}
		slices.Sort(lat)
		slices.Sort(topicLat)
		p50, p99, mx := percentile(lat, 50), percentile(lat, 99), lat[len(lat)-1]
		tp50, tp99 := percentile(topicLat, 50), percentile(topicLat, 99)
		fmt.Printf("   run %d  %d records at %d/s: to topic p50 %s p99 %s; to file p50 %s p99 %s max %s\n",
			run+1, len(lat), latencyRate, ms(tp50), ms(tp99), ms(p50), ms(p99), ms(mx))
		p50s, p99s, maxs, tp50s, tp99s = append(p50s, p50), append(p99s, p99), append(maxs, mx), append(tp50s, tp50), append(tp99s, tp99)
		time.Sleep(500 * time.Millisecond)
	}
	t.add(row{group: "end-to-end latency", metric: fmt.Sprintf("poll → file sink output, %dk rec/s, p50 / p99", latencyRate/1000),
		value: ms(medianDuration(p50s)) + " / " + ms(medianDuration(p99s)), target: "(none)",
		verdict: fmt.Sprintf("flush %s", env.flush)})
	t.add(row{group: "", metric: "  poll → on topic (probe consumer), p50 / p99",
		value: ms(medianDuration(tp50s)) + " / " + ms(medianDuration(tp99s))})
	t.add(row{group: "", metric: "  poll → file sink output, max", value: ms(medianDuration(maxs))})
	return nil
}

// probeTopic consumes the topic and returns, for records from seq skip on, the time from
// generation to receipt.
func probeTopic(ctx context.Context, brokers []string, topic string, total int64, skip uint64) ([]time.Duration, error) {
	c, err := sarama.NewConsumer(brokers, saramaConfig())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		return nil, err
	}
	defer func() {
		pc.AsyncClose()
		for range pc.Messages() {
		}
	}()
	lat := make([]time.Duration, 0, total)
	for got := int64(0); got < total; {
		select {
		case <-ctx.Done():
			return lat, ctx.Err()
		case e := <-pc.Errors():
			return lat, e.Err
		case m := <-pc.Messages():
			now := time.Now().UnixNano()
			got++
			if h, ok := record.Parse(m.Value); ok && h.Seq >= skip {
				lat = append(lat, time.Duration(now-h.UnixNanos))
			}
		}
	}
	return lat, nil
}

// tailFile follows the output file, polling every millisecond, until it holds total
// lines, and returns for lines from seq skip on the time from generation to appearing.
func tailFile(ctx context.Context, path string, total int64, skip uint64, size int) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, total)
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	buf := make([]byte, 0, 4<<20)
	chunk := make([]byte, 1<<20)
	var lines int64
	for lines < total {
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil && !os.IsNotExist(err) {
				return lat, err
			}
		}
		if f != nil {
			for {
				k, err := f.Read(chunk)
				now := time.Now().UnixNano()
				buf = append(buf, chunk[:k]...)
				start := 0
				for {
					i := bytes.IndexByte(buf[start:], '\n')
					if i < 0 {
						break
					}
					line := buf[start : start+i]
					start += i + 1
					lines++
					if len(line) != size {
						return lat, fmt.Errorf("line %d has %d bytes, want %d", lines, len(line), size)
					}
					if h, ok := record.Parse(line); ok && h.Seq >= skip {
						lat = append(lat, time.Duration(now-h.UnixNanos))
					}
				}
				buf = append(buf[:0], buf[start:]...) // keep the partial line only
				if err == io.EOF || k == 0 {
					break
				}
				if err != nil {
					return lat, err
				}
			}
		}
		if lines >= total {
			break
		}
		select {
		case <-ctx.Done():
			return lat, fmt.Errorf("the file holds %d of %d lines: %w", lines, total, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return lat, nil
}
