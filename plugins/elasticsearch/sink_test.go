package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	"github.com/tributary-dev/tributary/plugins/testsvc/esfake"
)

func put(t *testing.T, tk *task, recs ...sdk.SinkRecord) {
	t.Helper()
	if err := tk.Put(context.Background(), recs); err != nil {
		t.Fatalf("put: %v", err)
	}
}

// TestInsertIndexesByKeyWithExternalVersions checks key.ignore=false: the document id is
// the key, the version the offset, and a replay of older records changes nothing.
func TestInsertIndexesByKeyWithExternalVersions(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, nil))
	put(t, tk, row(0, "a", 1, "first"), row(1, "b", 2, "second"), row(2, "a", 1, "changed"))
	if d := docOf(t, es, "orders", "a"); d["name"] != "changed" || d["id"] != float64(1) {
		t.Errorf("document a = %v, want the last write {id:1 name:changed}", d)
	}
	if _, v, _ := es.Doc("orders", "a"); v != 2 {
		t.Errorf("document a has version %d, want the offset 2 of its last record", v)
	}
	// A replay (after a crash before the commit) writes older versions: conflicts, ignored.
	put(t, tk, row(0, "a", 1, "first"), row(1, "b", 2, "second"))
	if d := docOf(t, es, "orders", "a"); d["name"] != "changed" {
		t.Errorf("after a replay document a = %v, want it unchanged (name changed)", d)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3}); got[tp0] != 3 {
		t.Errorf("flush = %v, want %v", got, 3)
	}
}

// TestKeyIgnoreUsesTopicPartitionOffset checks key.ignore=true ids.
func TestKeyIgnoreUsesTopicPartitionOffset(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyKeyIgnore: "true"}))
	r := row(5, "", 1, "x")
	r.Key, r.KeySchema = nil, nil
	put(t, tk, r, row(6, "a", 2, "y"))
	got := keys(es.Docs("orders"))
	if len(got) != 2 || es.Docs("orders")["orders+0+5"] == nil || es.Docs("orders")["orders+0+6"] == nil {
		t.Errorf("document ids %v, want orders+0+5 and orders+0+6", got)
	}
}

// TestUpsertMergesPartialDocuments checks write.method=upsert: update with doc_as_upsert.
func TestUpsertMergesPartialDocuments(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyWriteMethod: "upsert", keySchemaIgnore: "true"}))
	put(t, tk, mapRecord(0, "k", map[string]any{"a": int64(1), "b": "x"}))
	put(t, tk, mapRecord(1, "k", map[string]any{"b": "y"}))
	if d := docOf(t, es, "orders", "k"); d["a"] != float64(1) || d["b"] != "y" {
		t.Errorf("document k = %v, want {a:1 b:y} (the second write merged into the first)", d)
	}
}

// TestUpsertDeleteSurvivesReplay replays an upsert and the delete after it, as a
// restarted task re-puts what was not committed: the document stays deleted. (With an
// external version on the delete, as Confluent sends it, the replayed delete conflicts
// with the version the replayed upsert left, and the document comes back.)
func TestUpsertDeleteSurvivesReplay(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyWriteMethod: "upsert", keyNullValues: "delete"}))
	batch := []sdk.SinkRecord{row(7, "a", 1, "x"), tombstone(8, "a")}
	put(t, tk, batch...)
	if _, _, ok := es.Doc("orders", "a"); ok {
		t.Fatal("document a still there after its tombstone")
	}
	put(t, tk, batch...) // the replay
	if d, v, ok := es.Doc("orders", "a"); ok {
		t.Errorf("the replayed upsert and delete left document a (version %d): %s", v, d)
	}
}

// TestTombstones checks behavior.on.null.values.
func TestTombstones(t *testing.T) {
	for _, tc := range []struct {
		behavior string
		wantDoc  bool
		wantErr  string
	}{
		{"delete", false, ""},
		{"ignore", true, ""},
		{"fail", true, "null value"},
	} {
		t.Run(tc.behavior, func(t *testing.T) {
			es := startES(t)
			tk := openTask(t, baseConfig(es.URL, map[string]string{keyNullValues: tc.behavior}))
			put(t, tk, row(0, "a", 1, "x"))
			err := tk.Put(context.Background(), []sdk.SinkRecord{tombstone(1, "a")})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "offset=1") {
					t.Fatalf("want an error naming offset=1 and %q, got %v", tc.wantErr, err)
				}
				if status.Code(err) == codes.Unavailable {
					t.Errorf("a null value is the record's fault, want a non-retriable error, got %v", err)
				}
			} else if err != nil {
				t.Fatalf("put tombstone: %v", err)
			}
			if _, _, ok := es.Doc("orders", "a"); ok != tc.wantDoc {
				t.Errorf("document a present = %v after the tombstone, want %v", ok, tc.wantDoc)
			}
		})
	}
}

// TestNullKeyIsADataErrorUnlessDropped checks a null key with key.ignore=false.
func TestNullKeyIsADataErrorUnlessDropped(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keySchemaIgnore: "true"}))
	err := tk.Put(context.Background(), []sdk.SinkRecord{mapRecord(4, nil, map[string]any{"a": 1})})
	if err == nil || !strings.Contains(err.Error(), "can not be null") || !strings.Contains(err.Error(), "offset=4") {
		t.Fatalf("want a DataException-like error naming offset=4, got %v", err)
	}
	tk2 := openTask(t, baseConfig(es.URL, map[string]string{keySchemaIgnore: "true", keyDropInvalid: "true"}))
	put(t, tk2, mapRecord(4, nil, map[string]any{"a": 1}), mapRecord(5, "k", map[string]any{"a": 2}))
	if got := keys(es.Docs("orders")); len(got) != 1 || got[0] != "k" {
		t.Errorf("documents %v, want only k (the null-key record dropped)", got)
	}
	if got := flushOf(t, tk2, map[sdk.TopicPartition]int64{tp0: 6}); got[tp0] != 6 {
		t.Errorf("flush = %v, want 6 (a dropped record counts as done)", got)
	}
}

// rows returns n records with keys k0..k(n-1) from offset 0.
func rows(n int) []sdk.SinkRecord {
	out := make([]sdk.SinkRecord, n)
	for i := range out {
		out[i] = row(int64(i), fmt.Sprintf("k%d", i), int64(i), "v")
	}
	return out
}

// TestRejectionsAreRetriedAndNothingIsLost checks 429 and 5xx answers, of whole
// requests and of items, across concurrent bulk requests.
func TestRejectionsAreRetriedAndNothingIsLost(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(*esfake.Server)
	}{
		{"429 storm", func(s *esfake.Server) { s.RejectBulk(4, 429) }},
		{"503", func(s *esfake.Server) { s.RejectBulk(2, 503) }},
		{"429 items", func(s *esfake.Server) { s.RejectItems(150, 429) }},
		{"500 items", func(s *esfake.Server) { s.RejectItems(30, 500) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := startES(t)
			tk := openTask(t, baseConfig(es.URL, map[string]string{keyBatchSize: "100", keyMaxRetries: "8"}))
			tc.inject(es.Server)
			put(t, tk, rows(1000)...)
			if n := len(es.Docs("orders")); n != 1000 {
				t.Errorf("%d documents, want all 1000", n)
			}
			if c := es.Counters(); c.Rejected == 0 {
				t.Errorf("counters %+v: no rejection was answered, the test tested nothing", c)
			}
			if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 1000}); got[tp0] != 1000 {
				t.Errorf("flush = %v, want 1000", got)
			}
		})
	}
}

// TestOutageOutlastingRetriesIsRetriableAndNotCommitted checks max.retries.
func TestOutageOutlastingRetriesIsRetriableAndNotCommitted(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyMaxRetries: "2"}))
	put(t, tk, row(0, "a", 1, "x"))
	es.RejectBulk(100, 503)
	err := tk.Put(context.Background(), []sdk.SinkRecord{row(1, "b", 2, "y")})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "max.retries=2") {
		t.Fatalf("want a retriable (Unavailable) error naming max.retries=2, got %v", err)
	}
	if c := es.Counters(); c.Rejected != 3 {
		t.Errorf("%d rejected requests, want 3 (the first try and 2 retries)", c.Rejected)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); got[tp0] != 1 {
		t.Errorf("flush = %v, want 1: the failed record's offset must not be reported", got)
	}
}

// TestMalformedDocuments checks behavior.on.malformed.documents with a field mapped as an
// integer that a record fills with text.
func TestMalformedDocuments(t *testing.T) {
	for _, behavior := range []string{"fail", "warn", "ignore"} {
		t.Run(behavior, func(t *testing.T) {
			es := startES(t)
			es.Map("orders", "n", "integer")
			tk := openTask(t, baseConfig(es.URL, map[string]string{keyMalformed: behavior, keySchemaIgnore: "true"}))
			recs := []sdk.SinkRecord{
				mapRecord(0, "ok1", map[string]any{"n": int64(1)}),
				mapRecord(1, "bad", map[string]any{"n": "not a number"}),
				mapRecord(2, "ok2", map[string]any{"n": "3"}),
			}
			err := tk.Put(context.Background(), recs)
			if behavior == "fail" {
				if err == nil || !strings.Contains(err.Error(), "offset=1") || !strings.Contains(err.Error(), "mapper_parsing_exception") {
					t.Fatalf("want an error naming offset=1 and mapper_parsing_exception, got %v", err)
				}
				if status.Code(err) == codes.Unavailable {
					t.Fatalf("a malformed document must be a non-retriable error (so the kernel dead-letters it), got %v", err)
				}
				// The kernel then puts the records one at a time: only the bad one fails.
				for _, r := range recs {
					err := tk.Put(context.Background(), []sdk.SinkRecord{r})
					if (err != nil) != (r.Key == "bad") {
						t.Errorf("put of %v alone: err %v", r.Key, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("put with behavior %s: %v", behavior, err)
			}
			if got := es.Docs("orders"); len(got) != 2 || got["ok1"] == nil || got["ok2"] == nil {
				t.Errorf("documents %v, want ok1 and ok2", keys(got))
			}
			if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3}); got[tp0] != 3 {
				t.Errorf("flush = %v, want 3", got)
			}
		})
	}
}

// TestFlushReportsOnlyWrittenRecords checks that a failed Put's records are not reported.
func TestFlushReportsOnlyWrittenRecords(t *testing.T) {
	es := startES(t)
	es.Map("orders", "n", "integer")
	tk := openTask(t, baseConfig(es.URL, map[string]string{keySchemaIgnore: "true"}))
	other := sdk.TopicPartition{Topic: "orders", Partition: 1}
	put(t, tk, mapRecord(0, "a", map[string]any{"n": 1}), mapRecord(1, "b", map[string]any{"n": 2}))
	if err := tk.Put(context.Background(), []sdk.SinkRecord{mapRecord(2, "c", map[string]any{"n": "x"})}); err == nil {
		t.Fatal("a malformed document with behavior fail: want an error")
	}
	got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3, other: 10})
	if got[tp0] != 2 {
		t.Errorf("flush of %v = %d, want 2 (offset 2 failed)", tp0, got[tp0])
	}
	if _, ok := got[other]; ok {
		t.Errorf("flush reported %v, a partition nothing was written to: %v", other, got)
	}
}

// TestDataStreamCreatesWithTimestamp checks data.stream.type/dataset.
func TestDataStreamCreatesWithTimestamp(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyDataStreamType: "LOGS", keyDataStreamDataset: "shop", keyKeyIgnore: "true"}))
	put(t, tk, row(0, "a", 1, "x"))
	docs := es.Docs("logs-shop-orders")
	if len(docs) != 1 {
		t.Fatalf("data stream logs-shop-orders holds %d documents (indices %v), want 1", len(docs), es.Indices())
	}
	for _, src := range docs {
		if !strings.Contains(string(src), `"@timestamp":1700000000000`) {
			t.Errorf("document %s has no @timestamp of the record's time", src)
		}
	}
}

// TestDataStreamCreateConflictIsNotAnError checks that a replayed record written to a
// data stream under its key (op_type create on an existing id) is not an error.
func TestDataStreamCreateConflictIsNotAnError(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyDataStreamType: "metrics", keyDataStreamDataset: "shop"}))
	put(t, tk, row(0, "a", 1, "x"))
	put(t, tk, row(0, "a", 1, "x")) // a replay after a crash
	if n := es.Count("metrics-shop-orders"); n != 1 {
		t.Errorf("%d documents in metrics-shop-orders, want 1", n)
	}
}

// TestTLSAndBasicAuth checks HTTPS with a PEM CA and basic auth, and that wrong
// credentials are an outage (retriable), not a refused record.
func TestTLSAndBasicAuth(t *testing.T) {
	srvTLS, ca := selfSigned(t)
	es := testsvc.StartElasticsearch(t, esfake.Options{Username: "elastic", Password: "s3cret", TLS: srvTLS})
	sec := map[string]string{keyUsername: "elastic", keyPassword: "s3cret", keySecurityProtocol: "SSL",
		keyTruststoreType: "PEM", keyTruststoreLocation: ca}
	tk := openTask(t, baseConfig(es.URL, sec))
	put(t, tk, row(0, "a", 1, "x"))
	if _, _, ok := es.Doc("orders", "a"); !ok {
		t.Fatal("document a missing after a put over TLS with basic auth")
	}

	raw := baseConfig(es.URL, sec)
	raw[keyPassword] = "wrong"
	cfg := mustParse(t, raw)
	bad := &task{}
	err := bad.Open(context.Background(), sdk.TaskContext{Config: cfg}, nil)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("open with a wrong password: want an error with 401, got %v", err)
	}

	noCA := baseConfig(es.URL, map[string]string{keyUsername: "elastic", keyPassword: "s3cret", keySecurityProtocol: "SSL"})
	err = (&task{}).Open(context.Background(), sdk.TaskContext{Config: mustParse(t, noCA)}, nil)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("open without the CA: want a certificate error, got %v", err)
	}
}

// TestConcurrentLanesKeepPerDocumentOrder checks that with many small concurrent bulk
// requests, the writes of one document id are applied in record order: upserts carry no
// versions, so only the lane per id keeps the last write last.
func TestConcurrentLanesKeepPerDocumentOrder(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyBatchSize: "7", keyMaxInFlight: "5",
		keyWriteMethod: "upsert", keySchemaIgnore: "true"}))
	var recs []sdk.SinkRecord
	for i := range 1000 {
		recs = append(recs, mapRecord(int64(i), fmt.Sprintf("k%d", i%13), map[string]any{"last": int64(i)}))
	}
	put(t, tk, recs...)
	if c := es.Counters(); c.Bulk < 100 {
		t.Errorf("%d bulk requests, want at least 1000/7 (batch.size=7)", c.Bulk)
	}
	for k := range 13 {
		want := 0
		for i := range 1000 {
			if i%13 == k {
				want = i
			}
		}
		if d := docOf(t, es, "orders", fmt.Sprintf("k%d", k)); d["last"] != float64(want) {
			t.Errorf("document k%d has last=%v, want %d (its last record)", k, d["last"], want)
		}
	}
}

// TestBulkSizeBytesAndCompression checks that bulk.size.bytes splits a batch and that
// gzip request bodies arrive whole.
func TestBulkSizeBytesAndCompression(t *testing.T) {
	es := startES(t)
	tk := openTask(t, baseConfig(es.URL, map[string]string{keyBulkSizeBytes: "4096", keyCompression: "true"}))
	put(t, tk, rows(500)...)
	if n := es.Count("orders"); n != 500 {
		t.Errorf("%d documents, want 500", n)
	}
	if c := es.Counters(); c.Bulk < 10 || c.BadRequests != 0 {
		t.Errorf("counters %+v: want many bulk requests of at most 4 KiB and no bad request", c)
	}
}
