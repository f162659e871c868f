package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/tributary-dev/tributary/plugins/testsvc/esfake"
)

// esBatch and esInFlight are the Elasticsearch sink's defaults (batch.size,
// max.in.flight.requests); the raw bulk indexer gets the same bounds.
const (
	esBatch    = 2000
	esInFlight = 5
)

// benchElasticsearch compares topic → kernel → Elasticsearch sink → esfake with a raw
// sarama partition consumer feeding go-elasticsearch's esutil.BulkIndexer the same
// documents (same ids, external versions and bulk size) to the same esfake server, which
// runs in this harness. The topic holds JSON documents {"seq":N,"pad":"…"} of about
// -size bytes keyed by N, read by the sink with JsonConverter (schemas.enable=false) and
// StringConverter keys, key.ignore=false and schema.ignore=true: the seed's settings. A
// run ends when the index holds every document. It also samples the plugin's peak RSS.
func benchElasticsearch(ctx context.Context, env *benchEnv, t *table) error {
	n := env.records
	topic := "es-in"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return err
	}
	defer env.kafka.deleteTopic(topic)
	if err := produceJSONDocs(env.kafka.brokers, topic, n, env.size); err != nil {
		return fmt.Errorf("fill %s: %w", topic, err)
	}
	es := esfake.New(esfake.Options{})
	url, err := es.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer es.Close()
	a, err := startAgent(env, "es", env.profilePath("es-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	index := topic // the sink's index: the topic lowercased

	runRaw := func() (sourceResult, error) {
		meter := newCPUMeter(pipelineParts(env, a)...)
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- consumeToBulkIndexer(env.kafka.brokers, topic, n, url, index) }()
		first, last, err := watchIndex(ctx, es, index, n, 5*time.Minute)
		if cerr := <-done; err == nil {
			err = cerr
		}
		cpu := meter.stop()
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, err
	}
	var peakKB atomic.Int64
	runKernel := func(run int) (sourceResult, error) {
		conn := fmt.Sprintf("es-%d", run)
		meter := newCPUMeter(pipelineParts(env, a)...)
		stopRSS := samplePluginRSS(a.pid(), "tributary-elasticsearch", &peakKB)
		start := time.Now()
		err := createConnector(ctx, a.client, conn, map[string]string{
			"connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", "tasks.max": "1",
			"topics": topic, "connection.url": url, "key.ignore": "false", "schema.ignore": "true", "type.name": "_doc",
			"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
		})
		if err != nil {
			stopRSS()
			return sourceResult{}, err
		}
		first, last, err := watchIndex(ctx, es, index, n, 5*time.Minute)
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
			es.DeleteIndex(index)
			var r sourceResult
			var err error
			if which == "raw" {
				r, err = runRaw()
				raws = append(raws, r)
			} else {
				r, err = runKernel(run)
				kernels = append(kernels, r)
			}
			var dup *tooManyError
			if errors.As(err, &dup) {
				env.anomaly(fmt.Sprintf("elasticsearch: %s run %d: index %s has %d documents, more than the %d records", which, run+1, index, dup.got, n))
				err = nil
			} else if err == nil && run == 0 {
				err = checkDocs(es, index, n)
			}
			if err != nil {
				return fmt.Errorf("run %d %s: %w", run+1, which, err)
			}
			fmt.Printf("   run %d %-6s %12s  first doc after %-7s  CPU %5.2fs (%.2f µs/rec)  others' load %.2f cores\n",
				run+1, which, rate(r.rate), ms(r.startup), r.cpu.ours.Seconds(), float64(r.cpu.ours.Microseconds())/float64(n), r.cpu.others)
			fmt.Printf("          CPU seconds by process: %s\n", r.cpu)
			time.Sleep(500 * time.Millisecond)
		}
	}
	es.DeleteIndex(index)

	rawRate, kRate := median(rates(raws)), median(rates(kernels))
	ratio := kRate / rawRate
	t.add(row{group: "elasticsearch sink", metric: fmt.Sprintf("1 task, %s×~%dB JSON docs, to esfake", short(n), env.size),
		value: rate(kRate), baseline: rate(rawRate) + " (esutil.BulkIndexer)", ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.80×",
		verdict: verdict(ratio >= 0.8, fmt.Sprintf("%.0f%% short", (0.8-ratio)/0.8*100))})
	t.add(row{group: "", metric: "  CPU per record (all our processes)",
		value:    fmt.Sprintf("%.2f µs", medianCPU(kernels, n)),
		baseline: fmt.Sprintf("%.2f µs", medianCPU(raws, n)),
		ratio:    fmt.Sprintf("%.2f×", medianCPU(kernels, n)/medianCPU(raws, n))})
	t.add(row{group: "", metric: "  CPU per record by process", value: cpuSplit(kernels, n), baseline: cpuSplit(raws, n)})
	t.add(row{group: "", metric: "  create → first document", value: ms(medianDuration(startups(kernels))),
		baseline: ms(medianDuration(startups(raws)))})
	t.add(row{group: "", metric: "  plugin peak RSS under load: tributary-elasticsearch", value: mb(peakKB.Load())})
	return nil
}

// esDoc appends the JSON document of record seq, padded to about size bytes.
func esDoc(dst []byte, seq int64, size int) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"pad":"`...)
	for pad := size - (len(dst) + 2); pad > 0; pad-- {
		dst = append(dst, 'x')
	}
	return append(dst, `"}`...)
}

// produceJSONDocs fills topic with n JSON documents keyed by their sequence number.
func produceJSONDocs(brokers []string, topic string, n int64, size int) error {
	p, err := sarama.NewAsyncProducer(brokers, saramaConfig())
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	acked := make(chan error, 1)
	go func() {
		var firstErr error
		for i := int64(0); i < n; i++ {
			select {
			case <-p.Successes():
			case e := <-p.Errors():
				if firstErr == nil {
					firstErr = e.Err
				}
			}
		}
		acked <- firstErr
	}()
	for seq := int64(0); seq < n; seq++ {
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: 0,
			Key: sarama.StringEncoder(strconv.FormatInt(seq, 10)), Value: sarama.ByteEncoder(esDoc(nil, seq, size))}
	}
	err = <-acked
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// consumeToBulkIndexer is the raw sink: a sarama partition consumer feeding an
// esutil.BulkIndexer with esInFlight workers and a flush size of about esBatch actions,
// each document indexed by its key with the offset as external version, as the sink
// writes it.
func consumeToBulkIndexer(brokers []string, topic string, n int64, url, index string) error {
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{url}, DisableRetry: true})
	if err != nil {
		return err
	}
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
	var failMu sync.Mutex
	var failure error
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client: es, Index: index, NumWorkers: esInFlight, FlushBytes: esBatch * (len(esDoc(nil, n, 0)) + 120),
		FlushInterval: time.Second,
		OnError: func(_ context.Context, err error) {
			failMu.Lock()
			failure = cmpErr(failure, err)
			failMu.Unlock()
		},
	})
	if err != nil {
		return err
	}
	onFailure := func(_ context.Context, it esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
		if res.Error.Type == "version_conflict_engine_exception" {
			return
		}
		failMu.Lock()
		failure = cmpErr(failure, fmt.Errorf("item %s: %d %s: %s (%v)", it.DocumentID, res.Status, res.Error.Type, res.Error.Reason, err))
		failMu.Unlock()
	}
	ctx := context.Background()
	for got := int64(0); got < n; got++ {
		var m *sarama.ConsumerMessage
		select {
		case m = <-pc.Messages():
		case e := <-pc.Errors():
			return e.Err
		}
		v := m.Offset
		err := bi.Add(ctx, esutil.BulkIndexerItem{Action: "index", DocumentID: string(m.Key),
			Version: &v, VersionType: "external", Body: bytes.NewReader(m.Value), OnFailure: onFailure})
		if err != nil {
			return err
		}
	}
	if err := bi.Close(ctx); err != nil {
		return err
	}
	failMu.Lock()
	defer failMu.Unlock()
	return failure
}

func cmpErr(prev, err error) error {
	if prev != nil {
		return prev
	}
	return err
}

// watchIndex polls the index's document count until it reaches want and returns when
// the first document and the last were there.
func watchIndex(ctx context.Context, es *esfake.Server, index string, want int64, timeout time.Duration) (first, last time.Time, err error) {
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		got := int64(es.Count(index))
		if got > 0 && first.IsZero() {
			first = now
		}
		if got >= want {
			if got > want {
				return first, now, &tooManyError{topic: index, got: got, want: want}
			}
			return first, now, nil
		}
		if now.After(deadline) {
			return first, now, fmt.Errorf("index %s has %d of %d documents after %s", index, got, want, timeout)
		}
		select {
		case <-ctx.Done():
			return first, now, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// checkDocs verifies that the index holds documents 0..n-1, each the one produced.
func checkDocs(es *esfake.Server, index string, n int64) error {
	docs := es.Docs(index)
	if int64(len(docs)) != n {
		return fmt.Errorf("index %s has %d documents, want %d", index, len(docs), n)
	}
	for seq := range n {
		src, ok := docs[strconv.FormatInt(seq, 10)]
		if !ok {
			return fmt.Errorf("index %s lacks document %d", index, seq)
		}
		if !strings.Contains(string(src), `"seq":`+strconv.FormatInt(seq, 10)) {
			return fmt.Errorf("document %d is %.80s: wrong seq", seq, src)
		}
	}
	return nil
}

// samplePluginRSS records the largest RSS of the agent's child process named name every
// 100ms until the returned func is called.
func samplePluginRSS(agentPid int, name string, peak *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, c := range children(agentPid) {
				if c.name == name {
					if kb, err := rssKB(c.pid); err == nil && kb > peak.Load() {
						peak.Store(kb)
					}
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
