package herder

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/kafka"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// benchRecords is how many 100-byte records each benchmark round moves.
const benchRecords = 200_000

// BenchmarkSourceVsRawProducer compares a source task's pipeline (plugin Poll over gRPC →
// converter → producer → ack tracking; offset commits running alongside) with the raw
// sarama async producer it wraps, against the same in-process kfake broker. Each round
// runs both, each into a fresh topic, and reports both rates and their ratio:
//
//	go test -run - -bench SourceVsRaw -benchtime 5x ./kernel/runtime
func BenchmarkSourceVsRawProducer(b *testing.B) {
	h := newHarness(b, "n1")
	rt, _ := h.start("n1")
	value := make([]byte, 100)
	var rawSum, srcSum float64
	round := 0
	for b.Loop() {
		round++
		raw := fmt.Sprintf("raw%d", round)
		h.createTopic(raw, 1)
		p, err := sarama.NewAsyncProducer(h.brokers, kafka.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		go func() {
			for range benchRecords {
				p.Input() <- &sarama.ProducerMessage{Topic: raw, Partition: -1, Value: sarama.ByteEncoder(value)}
			}
		}()
		for range benchRecords {
			select {
			case <-p.Successes():
			case err := <-p.Errors():
				b.Fatal(err)
			}
		}
		rawRate := float64(benchRecords) / time.Since(start).Seconds()
		p.Close()

		name := fmt.Sprintf("src%d", round)
		h.createTopic(name, 1)
		c := genConnector(name, map[string]string{"topic": name, "name": name, "count": fmt.Sprint(benchRecords),
			"batch": "1024", "value.bytes": "100"})
		c.Config["value.converter"] = "bytearray"
		start = time.Now()
		h.putConnector(c)
		h.assign(name, 0, "n1")
		for {
			if ti, ok := taskInfo(rt, name, 0); ok && ti.Records == benchRecords {
				break
			}
			time.Sleep(time.Millisecond)
		}
		srcRate := float64(benchRecords) / time.Since(start).Seconds()
		last := fmt.Sprintf(`{"n":%d}`, benchRecords-1)
		eventually(b, "every offset is committed", func() bool {
			return h.sourceOffset(name, fmt.Sprintf(`{"g":%q}`, name)) == last
		})
		h.setTarget(name, clusterv1.TargetState_TARGET_STATE_STOPPED)
		rawSum += rawRate
		srcSum += srcRate
	}
	b.ReportMetric(rawSum/float64(round), "raw-rec/s")
	b.ReportMetric(srcSum/float64(round), "source-rec/s")
	b.ReportMetric(srcSum/rawSum, "ratio")
}

// BenchmarkSinkVsRawConsumer compares a sink task's pipeline (partition consumer →
// converters → plugin Put over gRPC, with Flush and commits alongside) with a raw sarama
// partition consumer reading the same topic:
//
//	go test -run - -bench SinkVsRaw -benchtime 5x ./kernel/runtime
func BenchmarkSinkVsRawConsumer(b *testing.B) {
	h := newHarness(b, "n1")
	rt, _ := h.start("n1")
	h.plugins.sink.discard = true
	var rawSum, sinkSum float64
	round := 0
	for b.Loop() {
		round++
		topic := fmt.Sprintf("in%d", round)
		h.createTopic(topic, 1)
		b.StopTimer()
		h.produceBytes(topic, benchRecords, 100)
		b.StartTimer()

		c, err := sarama.NewConsumer(h.brokers, kafka.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
		if err != nil {
			b.Fatal(err)
		}
		for range benchRecords {
			<-pc.Messages()
		}
		rawRate := float64(benchRecords) / time.Since(start).Seconds()
		pc.AsyncClose()
		c.Close()

		name := fmt.Sprintf("sink%d", round)
		conn := sinkConnector(name, topic, 1)
		conn.Config["value.converter"] = "bytearray"
		start = time.Now()
		h.putConnector(conn)
		h.assign(name, 0, "n1")
		for {
			if ti, ok := taskInfo(rt, name, 0); ok && ti.Records == benchRecords {
				break
			}
			time.Sleep(time.Millisecond)
		}
		sinkRate := float64(benchRecords) / time.Since(start).Seconds()

		h.setTarget(name, clusterv1.TargetState_TARGET_STATE_STOPPED)
		rawSum += rawRate
		sinkSum += sinkRate
	}
	b.ReportMetric(rawSum/float64(round), "raw-rec/s")
	b.ReportMetric(sinkSum/float64(round), "sink-rec/s")
	b.ReportMetric(sinkSum/rawSum, "ratio")
}

func (h *harness) produceBytes(topic string, n, size int) {
	h.t.Helper()
	p, err := sarama.NewAsyncProducer(h.brokers, kafka.DefaultConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	value := make([]byte, size)
	go func() {
		for range n {
			p.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: -1, Value: sarama.ByteEncoder(value)}
		}
	}()
	for range n {
		select {
		case <-p.Successes():
		case err := <-p.Errors():
			h.t.Fatal(err)
		}
	}
	p.Close()
}
