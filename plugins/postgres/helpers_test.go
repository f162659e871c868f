package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// startPG starts a PostgreSQL for one test, skipping under -short.
func startPG(t *testing.T) *testsvc.Postgres {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	return testsvc.StartPostgres(t)
}

// baseConfig is a connector config for pg, with extra keys on top.
func baseConfig(pg *testsvc.Postgres, extra ...string) map[string]string {
	c := map[string]string{
		"connector.class":   className,
		"database.hostname": pg.Host,
		"database.port":     strconv.Itoa(pg.Port),
		"database.user":     pg.User,
		"database.dbname":   pg.DB,
		"database.sslmode":  "disable",
		"topic.prefix":      "dbserver1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

// openTask opens a task on raw (defaults applied, as the SDK applies them) resuming
// from committed; it is closed when the test ends.
func openTask(t *testing.T, raw map[string]string, committed ...sdk.CommittedOffset) *task {
	t.Helper()
	cfg, errs := configDef.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	tk := &task{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})
	if err := tk.Open(ctx, sdk.TaskContext{Config: cfg, Logger: log, Committed: committed}); err != nil {
		tk.Close()
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { tk.Close() })
	return tk
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// pollUntil polls tk until it has returned at least n records or within passes; every
// record is checked against its schemas.
func pollUntil(t *testing.T, tk *task, n int, within time.Duration) []sdk.SourceRecord {
	t.Helper()
	var all []sdk.SourceRecord
	deadline := time.Now().Add(within)
	for len(all) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		recs, err := tk.Poll(ctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			t.Fatalf("poll: %v", err)
		}
		for _, r := range recs {
			if err := data.Validate(r.KeySchema, r.Key); err != nil {
				t.Fatalf("record key does not fit its schema: %v", err)
			}
			if err := data.Validate(r.ValueSchema, r.Value); err != nil {
				t.Fatalf("record value does not fit its schema: %v", err)
			}
		}
		all = append(all, recs...)
	}
	if len(all) < n {
		t.Fatalf("polled %d records within %s, want at least %d", len(all), within, n)
	}
	return all
}

// pollQuiet polls for d and returns whatever came.
func pollQuiet(t *testing.T, tk *task, d time.Duration) []sdk.SourceRecord {
	t.Helper()
	var all []sdk.SourceRecord
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		recs, err := tk.Poll(ctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			t.Fatalf("poll: %v", err)
		}
		all = append(all, recs...)
	}
	return all
}

// committedOf returns the committed offset of the last record, as the kernel would
// hand it to a restarted task.
func committedOf(r sdk.SourceRecord) sdk.CommittedOffset {
	// Through JSON, as the kernel stores offsets: numbers come back as json.Number.
	b, _ := json.Marshal(r.SourceOffset)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	_ = d.Decode(&m)
	return sdk.CommittedOffset{Partition: r.SourcePartition, Offset: sdk.OffsetOf(m)}
}

// op returns a change record's op, "" for a tombstone or a heartbeat.
func op(r sdk.SourceRecord) string {
	st, ok := r.Value.(*data.Struct)
	if !ok {
		return ""
	}
	if _, has := st.Schema().Field("op"); !has {
		return ""
	}
	return st.String("op")
}

func after(r sdk.SourceRecord) *data.Struct  { return r.Value.(*data.Struct).Struct("after") }
func before(r sdk.SourceRecord) *data.Struct { return r.Value.(*data.Struct).Struct("before") }
func source(r sdk.SourceRecord) *data.Struct { return r.Value.(*data.Struct).Struct("source") }

func taskContext(cfg sdk.Config, committed ...sdk.CommittedOffset) sdk.TaskContext {
	return sdk.TaskContext{Config: cfg, Logger: hclog.NewNullLogger(), Committed: committed}
}

func startPGB(b *testing.B) *testsvc.Postgres {
	b.Helper()
	return testsvc.StartPostgres(b)
}

func openTaskB(b *testing.B, raw map[string]string) *task {
	b.Helper()
	cfg, errs := configDef.Parse(raw)
	if len(errs) > 0 {
		b.Fatalf("config: %v", errs)
	}
	tk := &task{}
	if err := tk.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: hclog.NewNullLogger()}); err != nil {
		tk.Close()
		b.Fatalf("open: %v", err)
	}
	return tk
}

func itoa(n int) string { return strconv.Itoa(n) }

func bytesReaderOf(b []byte) *bytes.Reader { return bytes.NewReader(b) }
