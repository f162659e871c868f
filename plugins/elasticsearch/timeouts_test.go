package main

// Tests of the timeouts (read.timeout.ms, flush.timeout.ms, connection.timeout.ms) and of
// bulk answers the fake server does not give by itself (a version conflict on an
// upsert). They go through esProxy, which holds bulk requests until a test releases
// them, so what times out never depends on how fast the machine is.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// esProxy serves a fake Elasticsearch (testsvc) through a handler that can hold every
// _bulk request until released and answer a version conflict for one document id.
type esProxy struct {
	es  *testsvc.Elasticsearch
	URL string

	mu       sync.Mutex
	hold     chan struct{} // non-nil: _bulk requests wait until it is closed
	conflict string        // non-empty: this id's bulk items answer 409 version_conflict_engine_exception
	held     atomic.Int32  // _bulk requests that arrived while holding
}

func startProxy(t *testing.T) *esProxy {
	t.Helper()
	p := &esProxy{es: startES(t)}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		p.release()
		srv.Close()
	})
	return p
}

// holdBulk makes _bulk requests wait, unanswered, until release.
func (p *esProxy) holdBulk() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hold == nil {
		p.hold = make(chan struct{})
	}
}

// release answers the held _bulk requests and stops holding.
func (p *esProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hold != nil {
		close(p.hold)
		p.hold = nil
	}
}

func (p *esProxy) conflictOn(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conflict = id
}

func (p *esProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/_bulk") {
		p.es.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	hold, conflict := p.hold, p.conflict
	p.mu.Unlock()
	if hold != nil {
		p.held.Add(1)
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if conflict == "" {
		p.es.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.es.ServeHTTP(rec, r)
	var resp struct {
		Took   int                         `json:"took"`
		Errors bool                        `json:"errors"`
		Items  []map[string]map[string]any `json:"items"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	for _, item := range resp.Items {
		for _, res := range item {
			if res["_id"] == conflict {
				resp.Errors = true
				res["status"] = 409
				res["error"] = map[string]any{"type": versionConflict,
					"reason": fmt.Sprintf("[%s]: version conflict, required seqNo [1], primary term [1]. current document has seqNo [2] and primary term [1]", conflict)}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// TestSlowServerTimesOutRetriably checks read.timeout.ms: a bulk request the server does
// not answer fails the Put retriably with a timeout, and once the server answers again
// the Put succeeds. The server holds the request until released, so the timeout is
// certain however loaded the machine is; the requests that must succeed have a second.
func TestSlowServerTimesOutRetriably(t *testing.T) {
	p := startProxy(t)
	tk := openTask(t, baseConfig(p.URL, map[string]string{keyReadTimeoutMs: "1000", keyMaxRetries: "1", keyFlushTimeoutMs: "10000"}))
	put(t, tk, row(0, "a", 1, "x")) // the index exists: the next put is bulk requests only
	p.holdBulk()
	err := tk.Put(context.Background(), []sdk.SinkRecord{row(1, "b", 2, "y")})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Fatalf("put against a server that does not answer: want a retriable (Unavailable) error of the read timeout, got %v", err)
	}
	if n := p.held.Load(); n != 2 {
		t.Errorf("%d bulk requests reached the server, want 2 (one and max.retries=1 retry)", n)
	}
	p.release()
	put(t, tk, row(1, "b", 2, "y"))
	if _, _, ok := p.es.Doc("orders", "b"); !ok {
		t.Error("document b missing after the server answered again")
	}
}

// TestFlushTimeoutEndsAPutRetriably checks flush.timeout.ms: a Put whose bulk request is
// not answered ends, retriable and naming the key, when flush.timeout.ms has passed,
// although read.timeout.ms and max.retries would have it wait far longer.
func TestFlushTimeoutEndsAPutRetriably(t *testing.T) {
	p := startProxy(t)
	tk := openTask(t, baseConfig(p.URL, map[string]string{keyFlushTimeoutMs: "300", keyReadTimeoutMs: "5000", keyMaxRetries: "1"}))
	put(t, tk, row(0, "a", 1, "x"))
	p.holdBulk()
	err := tk.Put(context.Background(), []sdk.SinkRecord{row(1, "b", 2, "y")})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), keyFlushTimeoutMs+"=300") {
		t.Fatalf("put against a server that does not answer: want a retriable (Unavailable) error naming %s=300, got %v", keyFlushTimeoutMs, err)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); got[tp0] != 1 {
		t.Errorf("flush after the timed-out put reports %v, want %v at 1 (offset 1 not written)", got, tp0)
	}
	p.release()
	put(t, tk, row(1, "b", 2, "y"))
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); got[tp0] != 2 {
		t.Errorf("flush after the put went through reports %v, want %v at 2", got, tp0)
	}
}

// TestConnectionTimeout checks connection.timeout.ms: against an address whose listen
// queue is full (the kernel drops the SYNs, as a firewalled or overloaded host does),
// opening a task fails with the dial's own timeout, not the later deadline of the whole
// first request (read.timeout.ms is ten seconds here).
func TestConnectionTimeout(t *testing.T) {
	addr := fullListener(t)
	raw := baseConfig("http://"+addr, map[string]string{keyConnTimeoutMs: "200", keyReadTimeoutMs: "10000"})
	err := (&task{}).Open(context.Background(), sdk.TaskContext{Config: mustParse(t, raw)}, nil)
	if err == nil || !strings.Contains(err.Error(), "dial tcp "+addr+": i/o timeout") {
		t.Fatalf("open against a host that does not accept connections: %v, want the dial's i/o timeout (connection.timeout.ms)", err)
	}
}

// fullListener returns the address of a TCP socket listening with a backlog of zero
// whose one queue slot is taken: it accepts no further connection, and their SYNs go
// unanswered.
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the accept queue; the kernel completes this one handshake for the listener.
	c, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return addr
}

// TestUpsertVersionConflictIsNotAnError checks that a version conflict answered for an
// update (write.method=upsert; another writer changed the document between the read
// and the write of the update, retry_on_conflict times) is not an error: the Put
// succeeds and Flush reports the whole batch, as Confluent ignores such conflicts.
func TestUpsertVersionConflictIsNotAnError(t *testing.T) {
	p := startProxy(t)
	tk := openTask(t, baseConfig(p.URL, map[string]string{keyWriteMethod: "upsert"}))
	p.conflictOn("b")
	put(t, tk, row(0, "a", 1, "x"), row(1, "b", 2, "y"), row(2, "c", 3, "z"))
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3}); got[tp0] != 3 {
		t.Errorf("flush reports %v, want %v at 3: a version conflict is not a failure", got, tp0)
	}
	for _, id := range []string{"a", "c"} {
		if _, _, ok := p.es.Doc("orders", id); !ok {
			t.Errorf("document %s missing", id)
		}
	}
}
