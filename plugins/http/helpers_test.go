package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// cfg builds a config from key/value pairs.
func cfg(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// with returns a copy of base with the pairs set.
func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range cfg(kv...) {
		m[k] = v
	}
	return m
}

// openTask opens a task of class with raw (defaults applied) at the committed offsets,
// closing it when the test ends.
func openTask(t *testing.T, class string, raw map[string]string, committed ...sdk.CommittedOffset) *task {
	t.Helper()
	def := confluentDef
	if isCastorm(class) {
		def = castormDef
	}
	c, errs := def.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	tk := &task{}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr})
	if err := tk.Open(context.Background(), sdk.TaskContext{Handle: "h", Connector: "c", Class: class, Config: c, Logger: log, Committed: committed}); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = tk.Close() })
	return tk
}

// poll polls until n records came (failing the test after testsvc.WaitLimit, or on a
// Poll error).
func poll(t *testing.T, tk *task, n int) []sdk.SourceRecord {
	t.Helper()
	var out []sdk.SourceRecord
	deadline := time.Now().Add(testsvc.WaitLimit)
	for len(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("polled %d records in %v, want %d: %v", len(out), testsvc.WaitLimit, n, describe(out))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		recs, err := tk.Poll(ctx)
		cancel()
		if err != nil {
			t.Fatalf("poll after %d records: %v", len(out), err)
		}
		out = append(out, recs...)
	}
	return out
}

// pollErr polls until Poll fails and returns the error.
func pollErr(t *testing.T, tk *task) error {
	t.Helper()
	deadline := time.Now().Add(testsvc.WaitLimit)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		recs, err := tk.Poll(ctx)
		cancel()
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			t.Fatalf("want a failure, polled %v", describe(recs))
		}
	}
	t.Fatalf("no failure within %v", testsvc.WaitLimit)
	return nil
}

// quiet checks that no record comes in a few polls (the API has no more).
func quiet(t *testing.T, tk *task) {
	t.Helper()
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		recs, err := tk.Poll(ctx)
		cancel()
		if err != nil || len(recs) > 0 {
			t.Fatalf("want nothing more, polled %v, %v", describe(recs), err)
		}
	}
}

// ids returns the "id" of each record's value (a JSON object), as "entity/id".
func ids(t *testing.T, recs []sdk.SourceRecord) string {
	t.Helper()
	var out []string
	for _, r := range recs {
		m, ok := r.Value.(data.Map)
		if !ok {
			t.Fatalf("record value %T %v is not a JSON object", r.Value, r.Value)
		}
		var id, ent any
		for _, e := range m {
			switch e.Key {
			case "id":
				id = e.Value
			case "entity":
				ent = e.Value
			}
		}
		out = append(out, fmt.Sprintf("%v/%v", ent, id))
	}
	return strings.Join(out, " ")
}

// want returns "entity/from … entity/to-1".
func want(entity string, from, to int) string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s/%d", entity, i))
	}
	return strings.Join(out, " ")
}

func describe(recs []sdk.SourceRecord) string {
	var b strings.Builder
	for _, r := range recs {
		o, _ := json.Marshal(r.SourceOffset)
		fmt.Fprintf(&b, "[%s %v %s] ", r.Topic, r.Value, o)
	}
	return b.String()
}

// committedAt returns the position of rec, as the kernel would have committed it.
func committedAt(rec sdk.SourceRecord) sdk.CommittedOffset {
	return sdk.CommittedOffset{Partition: rec.SourcePartition, Offset: rec.SourceOffset}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.RemoveBuilt()
	os.Exit(code)
}
