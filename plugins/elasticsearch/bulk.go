package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// malformedTypes are the item errors that mean the document itself is at fault, which
// behavior.on.malformed.documents decides about (Confluent's list, plus the
// document_parsing_exception Elasticsearch 8.8+ answers for what was
// mapper_parsing_exception).
var malformedTypes = map[string]bool{
	"mapper_parsing_exception":            true,
	"document_parsing_exception":          true,
	"illegal_argument_exception":          true,
	"action_request_validation_exception": true,
	"strict_dynamic_mapping_exception":    true,
}

// versionConflict is the item error of an external version at or below the stored one
// (a record written again after a replay) or of a create on an existing id: not an
// error, as Confluent ignores it.
const versionConflict = "version_conflict_engine_exception"

// writer sends actions to Elasticsearch in bulk requests.
type writer struct {
	es   *elasticsearch.Client
	cfg  *config
	log  hclog.Logger
	rnd  func(int64) int64
	bufs sync.Pool
}

// itemFailure is a bulk item Elasticsearch refused for good.
type itemFailure struct {
	op     *op
	status int
	typ    string
	reason string
}

// write writes ops (the actions of recs) and returns nil when every one was applied or
// decided about (ignored malformed documents, version conflicts). Actions go in lanes of
// up to max.in.flight.requests concurrent bulk requests of at most batch.size actions
// and bulk.size.bytes; actions on one document id share a lane, so they are applied in
// record order. A refused document (behavior fail, or an error that is not about the
// document) is a plain error naming the record; an outage that outlasts max.retries is a
// retriable one.
func (w *writer) write(ctx context.Context, ops []op, recs []sdk.SinkRecord) error {
	if len(ops) == 0 {
		return nil
	}
	lanes := min(w.cfg.maxInFlight, (len(ops)+w.cfg.batchSize-1)/w.cfg.batchSize)
	if lanes <= 1 {
		return w.lane(ctx, ops, recs)
	}
	byLane := make([][]op, lanes)
	rr := 0
	for _, o := range ops {
		var l int
		if o.id == "" {
			l, rr = rr%lanes, rr+1
		} else {
			h := fnv.New32a()
			h.Write([]byte(o.index))
			h.Write([]byte{0})
			h.Write([]byte(o.id))
			l = int(h.Sum32() % uint32(lanes))
		}
		byLane[l] = append(byLane[l], o)
	}
	errs := make([]error, lanes)
	var wg sync.WaitGroup
	for i := range byLane {
		if len(byLane[i]) == 0 {
			continue
		}
		wg.Go(func() { errs[i] = w.lane(ctx, byLane[i], recs) })
	}
	wg.Wait()
	// An outage wins over a refused document: the kernel then retries the batch rather
	// than putting its records one at a time against an unavailable cluster.
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if isRetriable(err) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// lane sends ops in order, one bulk request at a time.
func (w *writer) lane(ctx context.Context, ops []op, recs []sdk.SinkRecord) error {
	chunk := make([]*op, 0, min(len(ops), w.cfg.batchSize))
	size := int64(0)
	for i := range ops {
		o := &ops[i]
		n := int64(len(o.doc)) + 128
		if len(chunk) > 0 && (len(chunk) >= w.cfg.batchSize || (w.cfg.bulkSizeBytes > 0 && size+n > w.cfg.bulkSizeBytes)) {
			if err := w.send(ctx, chunk, recs); err != nil {
				return err
			}
			chunk, size = chunk[:0], 0
		}
		chunk = append(chunk, o)
		size += n
	}
	return w.send(ctx, chunk, recs)
}

// send writes one chunk, retrying what Elasticsearch answered 429 or 5xx for (the whole
// request, or the items alone) up to max.retries times with Confluent's backoff.
func (w *writer) send(ctx context.Context, chunk []*op, recs []sdk.SinkRecord) error {
	pending := chunk
	buf := w.buffer()
	defer w.bufs.Put(buf)
	for attempt := 0; ; attempt++ {
		*buf = encodeBulk((*buf)[:0], pending, w.cfg.maxInFlight)
		retry, failures, err := w.bulk(ctx, *buf, pending)
		if err != nil && ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return retriable("writing %d records took longer than %s=%d; the kernel will put them again", len(pending), keyFlushTimeoutMs, w.cfg.flushTimeout.Milliseconds())
			}
			return ctx.Err()
		}
		var fatal *requestError
		if errors.As(err, &fatal) && !fatal.retriable {
			return fatal
		}
		if len(failures) > 0 {
			return w.failure(failures, recs)
		}
		if err == nil && len(retry) == 0 {
			return nil
		}
		what := fmt.Sprintf("%d of %d actions", len(retry), len(pending))
		if err != nil {
			what = err.Error()
		} else {
			pending = retry
		}
		if attempt >= w.cfg.maxRetries {
			first := pending[0]
			r := &recs[first.rec]
			return retriable("bulk request still failing after %s=%d retries (%s); first record topic=%s partition=%d offset=%d; nothing of this batch is committed and the kernel will put it again",
				keyMaxRetries, w.cfg.maxRetries, what, r.Topic, r.Partition, r.Offset)
		}
		wait := retryWait(attempt+1, w.cfg.retryBackoff, w.rnd)
		w.log.Warn("bulk request failed; retrying", "attempt", attempt+1, "of", w.cfg.maxRetries, "backoff", wait, "failed", what)
		if err := sleep(ctx, wait); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return retriable("writing %d records took longer than %s=%d; the kernel will put them again", len(pending), keyFlushTimeoutMs, w.cfg.flushTimeout.Milliseconds())
			}
			return err
		}
	}
}

func (w *writer) buffer() *[]byte {
	if b, ok := w.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

// failure is the error of refused documents: it names the first record and counts the
// others. It is not retriable: the kernel puts the batch's records one at a time, and
// the one refused alone fails the task or goes to the dead letter queue as
// errors.tolerance says.
func (w *writer) failure(fs []itemFailure, recs []sdk.SinkRecord) error {
	f := fs[0]
	r := &recs[f.op.rec]
	more := ""
	if len(fs) > 1 {
		more = fmt.Sprintf(" (and %d more refused in this bulk request)", len(fs)-1)
	}
	hint := ""
	if malformedTypes[f.typ] {
		hint = fmt.Sprintf("; set %s=warn or ignore to skip such documents", keyMalformed)
	}
	return fmt.Errorf("elasticsearch refused the document of topic=%s partition=%d offset=%d (index %s, id %q, %s): status %d %s: %s%s%s",
		r.Topic, r.Partition, r.Offset, f.op.index, f.op.id, f.op.kind, f.status, f.typ, f.reason, more, hint)
}

// requestError is a bulk request that failed as a whole.
type requestError struct {
	status    int
	msg       string
	retriable bool
}

func (e *requestError) Error() string { return e.msg }

// bulk sends one bulk body. It returns the actions to retry (429 and 5xx items), the
// refused ones, or the request's own failure.
func (w *writer) bulk(ctx context.Context, body []byte, pending []*op) (retry []*op, failures []itemFailure, err error) {
	res, err := esapi.BulkRequest{Body: bytes.NewReader(body), Header: http.Header{"Content-Type": {"application/x-ndjson"}}}.Do(ctx, w.es)
	if err != nil {
		return nil, nil, &requestError{msg: "bulk request: " + err.Error(), retriable: true}
	}
	defer res.Body.Close()
	resp, rerr := io.ReadAll(res.Body)
	if rerr != nil {
		return nil, nil, &requestError{msg: "bulk response: " + rerr.Error(), retriable: true}
	}
	switch st := res.StatusCode; {
	case st == 429 || st >= 500:
		return nil, nil, &requestError{status: st, msg: fmt.Sprintf("bulk request answered %d: %s", st, errorReason(resp)), retriable: true}
	case st == 401 || st == 403:
		// Credentials or privileges: no record is at fault, so none may be dead-lettered.
		return nil, nil, &requestError{status: st, msg: fmt.Sprintf("bulk request answered %d: %s; check %s and %s", st, errorReason(resp), keyUsername, keyPassword), retriable: true}
	case st >= 300:
		return nil, nil, &requestError{status: st, msg: fmt.Sprintf("elasticsearch refused the bulk request of %d actions: status %d: %s", len(pending), st, errorReason(resp))}
	}
	if noErrors(resp) {
		return nil, nil, nil
	}
	var parsed struct {
		Errors bool                         `json:"errors"`
		Items  []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(resp, &parsed); err != nil {
		return nil, nil, &requestError{msg: "bulk response is not JSON: " + err.Error(), retriable: true}
	}
	if len(parsed.Items) != len(pending) {
		return nil, nil, &requestError{msg: fmt.Sprintf("bulk response has %d items for %d actions", len(parsed.Items), len(pending)), retriable: true}
	}
	for i, item := range parsed.Items {
		var it struct {
			Status int `json:"status"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		}
		for _, raw := range item {
			_ = json.Unmarshal(raw, &it)
		}
		o := pending[i]
		switch {
		case it.Error == nil && (it.Status < 300 || (o.kind == "delete" && it.Status == 404)):
		case it.Error != nil && it.Error.Type == versionConflict:
			w.log.Debug("ignoring a version conflict: the document holds this record or a later one", "index", o.index, "id", o.id)
		case it.Status == 429 || it.Status >= 500:
			retry = append(retry, o)
		case it.Error != nil && malformedTypes[it.Error.Type] && w.cfg.malformed != malformedFail:
			if w.cfg.malformed == malformedWarn {
				w.log.Warn("elasticsearch refused a malformed document; skipping it as behavior.on.malformed.documents=warn",
					"index", o.index, "id", o.id, "error", it.Error.Type+": "+it.Error.Reason)
			}
		default:
			f := itemFailure{op: o, status: it.Status}
			if it.Error != nil {
				f.typ, f.reason = it.Error.Type, it.Error.Reason
			}
			failures = append(failures, f)
		}
	}
	return retry, failures, nil
}

// noErrors says whether a bulk response says "errors":false before its items, as
// Elasticsearch writes it: the common case needs no parsing of the items.
func noErrors(resp []byte) bool {
	head := resp[:min(len(resp), 96)]
	i := bytes.Index(head, []byte(`"errors":`))
	if i < 0 {
		return false
	}
	return bytes.HasPrefix(bytes.TrimLeft(head[i+len(`"errors":`):], " "), []byte("false"))
}

// encodeBulk appends the NDJSON body of ops: an action line, then the document (index,
// create), the update body (doc with doc_as_upsert) or nothing (delete), each ending in
// a newline, as the _bulk API requires.
func encodeBulk(dst []byte, ops []*op, maxInFlight int) []byte {
	for _, o := range ops {
		dst = append(dst, `{"`...)
		dst = append(dst, o.kind...)
		dst = append(dst, `":{"_index":`...)
		dst = data.AppendJSONString(dst, o.index)
		if o.id != "" {
			dst = append(dst, `,"_id":`...)
			dst = data.AppendJSONString(dst, o.id)
		}
		if o.external {
			dst = append(dst, `,"version":`...)
			dst = strconv.AppendInt(dst, o.version, 10)
			dst = append(dst, `,"version_type":"external"`...)
		}
		if o.kind == "update" {
			dst = append(dst, `,"retry_on_conflict":`...)
			dst = strconv.AppendInt(dst, int64(min(maxInFlight, 5)), 10)
		}
		dst = append(dst, "}}\n"...)
		switch o.kind {
		case "update":
			dst = append(dst, `{"doc":`...)
			dst = append(dst, o.doc...)
			dst = append(dst, `,"doc_as_upsert":true}`...)
			dst = append(dst, '\n')
		case "delete":
		default:
			dst = append(dst, o.doc...)
			dst = append(dst, '\n')
		}
	}
	return dst
}
