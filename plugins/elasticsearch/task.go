package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// task is one sink task. Put writes its batch to Elasticsearch before returning; Flush
// reports, per partition, the offset after the last record of a Put that succeeded.
type task struct {
	cfg  *config
	log  hclog.Logger
	es   *elasticsearch.Client
	tr   *http.Transport
	conv *converter
	w    *writer
	// created holds the indices and data streams known to exist.
	created map[string]bool
	// done is, per partition, the next offset after the records written (or decided
	// about) by Puts that returned nil.
	done map[sdk.TopicPartition]int64
	ops  []op
}

func (t *task) Open(ctx context.Context, tc sdk.TaskContext, _ []sdk.TopicPartition) error {
	cfg, errs := parseConfig(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.cfg, t.log = cfg, tc.Logger
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	if cfg.typeName != "" {
		t.log.Warn("type.name is ignored: Elasticsearch 8 has no mapping types", "type.name", cfg.typeName)
	}
	es, tr, err := newClient(cfg)
	if err != nil {
		return err
	}
	t.es, t.tr = es, tr
	cctx, cancel := context.WithTimeout(ctx, cfg.connTimeout+cfg.readTimeout+timeoutSlack)
	defer cancel()
	v, err := clusterInfo(cctx, es)
	if err != nil {
		return fmt.Errorf("elasticsearch: could not connect to %s: %w", strings.Join(cfg.urls, ","), err)
	}
	if !strings.HasPrefix(v, "8.") && !strings.HasPrefix(v, "9.") {
		t.log.Warn("the cluster is not Elasticsearch 8 or 9; this connector writes as to 8.x", "version", v)
	}
	t.conv = newConverter(cfg)
	t.w = &writer{es: es, cfg: cfg, log: t.log}
	t.created = map[string]bool{}
	t.done = map[sdk.TopicPartition]int64{}
	return nil
}

// timeoutSlack is added to the connect and read timeouts of the first request.
const timeoutSlack = 2 * time.Second

// Put converts the records to bulk actions and writes them, returning when every one is
// applied or decided about. A record that cannot be converted, or that Elasticsearch
// refuses under behavior fail, is a plain error naming it (drop.invalid.message drops
// the first kind); an outage that outlasts max.retries or flush.timeout.ms is retriable.
func (t *task) Put(ctx context.Context, records []sdk.SinkRecord) error {
	ops := t.ops[:0]
	for i := range records {
		o, ok, err := t.conv.convert(&records[i], i)
		if err != nil {
			if _, isData := errors.AsType[*dataError](err); isData && t.cfg.dropInvalid {
				t.log.Error("dropping a record that cannot be converted, as drop.invalid.message=true", "err", err)
				continue
			}
			return fmt.Errorf("elasticsearch: %w", err)
		}
		if ok {
			ops = append(ops, o)
		}
	}
	t.ops = ops
	wctx, cancel := context.WithTimeout(ctx, t.cfg.flushTimeout)
	defer cancel()
	if err := t.ensureIndices(wctx, ops); err != nil {
		return err
	}
	if err := t.w.write(wctx, ops, records); err != nil {
		return err
	}
	for i := range records {
		tp := sdk.TopicPartition{Topic: records[i].Topic, Partition: records[i].Partition}
		if next := records[i].Offset + 1; next > t.done[tp] {
			if _, known := t.done[tp]; !known {
				tp.Topic = strings.Clone(tp.Topic) // the record's strings share the batch's memory
			}
			t.done[tp] = next
		}
	}
	clear(t.ops)
	return nil
}

// ensureIndices creates the indices (or data streams) of ops that do not exist yet, as
// Confluent's sink does on a topic's first record.
func (t *task) ensureIndices(ctx context.Context, ops []op) error {
	for i := range ops {
		name := ops[i].index
		if t.created[name] {
			continue
		}
		if err := t.ensureIndex(ctx, name); err != nil {
			return err
		}
		t.created[name] = true
	}
	return nil
}

func (t *task) ensureIndex(ctx context.Context, name string) error {
	var lastErr string
	for attempt := 0; ; attempt++ {
		status, body, err := t.createIndex(ctx, name)
		switch {
		case err == nil && (status < 300 || strings.Contains(string(body), "resource_already_exists_exception")):
			return nil
		case err != nil && ctx.Err() != nil:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return retriable("creating index %s took longer than %s", name, keyFlushTimeoutMs)
			}
			return ctx.Err()
		case err == nil && status < 500 && status != 429 && status != 401 && status != 403:
			return fmt.Errorf("elasticsearch: creating index %s: status %d: %s", name, status, errorReason(body))
		}
		lastErr = fmt.Sprintf("status %d: %s", status, errorReason(body))
		if err != nil {
			lastErr = err.Error()
		}
		if attempt >= t.cfg.maxRetries {
			return retriable("creating index %s still failing after %s=%d retries: %s", name, keyMaxRetries, t.cfg.maxRetries, lastErr)
		}
		if err := sleep(ctx, retryWait(attempt+1, t.cfg.retryBackoff, nil)); err != nil {
			return retriable("creating index %s: %v", name, err)
		}
	}
}

// createIndex checks whether name exists and creates it (as a data stream when the
// connector writes to data streams) when it does not.
func (t *task) createIndex(ctx context.Context, name string) (int, []byte, error) {
	res, err := esapi.IndicesExistsRequest{Index: []string{name}}.Do(ctx, t.es)
	if err != nil {
		return 0, nil, err
	}
	res.Body.Close()
	if res.StatusCode == 200 {
		return 200, nil, nil
	}
	if res.StatusCode != 404 {
		return res.StatusCode, nil, nil
	}
	if t.cfg.isDataStream() {
		res, err = esapi.IndicesCreateDataStreamRequest{Name: name}.Do(ctx, t.es)
	} else {
		res, err = esapi.IndicesCreateRequest{Index: name}.Do(ctx, t.es)
	}
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, body, nil
}

// Flush reports, for each partition given, the offset after the last record a Put wrote:
// Put writes synchronously, so there is nothing left to send. A partition whose last
// Put failed reports what the Puts before it wrote, however far the kernel has moved on
// (the kernel dead-letters what it gives up on; such a record is committed with the next
// one written after it).
func (t *task) Flush(_ context.Context, offsets map[sdk.TopicPartition]int64) (map[sdk.TopicPartition]int64, error) {
	out := make(map[sdk.TopicPartition]int64, len(offsets))
	for tp, off := range offsets {
		if d, ok := t.done[tp]; ok {
			out[tp] = min(off, d)
		}
	}
	return out, nil
}

func (t *task) Close() error {
	if t.tr != nil {
		t.tr.CloseIdleConnections()
	}
	return nil
}
