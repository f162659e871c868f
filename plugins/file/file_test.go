package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

func taskContext(t testing.TB, c sdk.Connector, raw map[string]string) sdk.TaskContext {
	t.Helper()
	cfg, errs := c.Definition().Config.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config %v: %v", raw, errs)
	}
	return sdk.TaskContext{Handle: "h", Connector: "test", Config: cfg, Logger: hclog.NewNullLogger()}
}

func openSource(t testing.TB, path string, batch int, offsets ...sdk.CommittedOffset) *sourceTask {
	t.Helper()
	task := sourceConnector{}.NewSourceTask().(*sourceTask)
	tc := taskContext(t, sourceConnector{}, map[string]string{"file": path, "topic": "lines", "batch.size": fmt.Sprint(batch)})
	tc.Committed = offsets
	if err := task.Open(context.Background(), tc); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = task.Close() })
	return task
}

// poll polls once with a short timeout.
func poll(t testing.TB, task *sourceTask, timeout time.Duration) []sdk.SourceRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	recs, err := task.Poll(ctx)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return recs
}

// lineOffsets renders records as "value@position" for comparison.
func lineOffsets(recs []sdk.SourceRecord) string {
	var parts []string
	for _, r := range recs {
		pos, _ := r.SourceOffset.Int("position")
		parts = append(parts, fmt.Sprintf("%q@%d", r.Value, pos))
	}
	return strings.Join(parts, " ")
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t testing.TB, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

func TestSourceSplitsLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, "a\nbb\r\nc\rd\n\nlast")
	task := openSource(t, path, 100)
	recs := poll(t, task, 50*time.Millisecond)
	want := `"a"@2 "bb"@6 "c"@8 "d"@10 ""@11`
	if got := lineOffsets(recs); got != want {
		t.Fatalf("lines:\n got %s\nwant %s", got, want)
	}
	r := recs[0]
	if r.Topic != "lines" || r.KafkaPartition != nil || r.Key != nil || !r.Timestamp.IsZero() {
		t.Fatalf("record envelope = topic %q partition %v key %v ts %v", r.Topic, r.KafkaPartition, r.Key, r.Timestamp)
	}
	if fmt.Sprint(r.SourcePartition) != fmt.Sprint(sdk.Partition{"filename": path}) {
		t.Fatalf("source partition = %v, want filename %s", r.SourcePartition, path)
	}
	if r.ValueSchema != data.StringSchema {
		t.Fatalf("value schema = %v, want a required STRING", r.ValueSchema)
	}
	// Every record is one the SDK accepts for sending (TestLinesSurviveTheWire decodes
	// them on the kernel's side of the wire).
	if err := sdk.ValidateRecords(recs); err != nil {
		t.Fatal(err)
	}

	// "last" has no terminator yet: nothing more until it arrives.
	if recs := poll(t, task, 60*time.Millisecond); len(recs) != 0 {
		t.Fatalf("a partial last line was emitted: %s", lineOffsets(recs))
	}
	appendFile(t, path, " line\r") // a trailing \r might be the start of \r\n: still wait
	if recs := poll(t, task, 60*time.Millisecond); len(recs) != 0 {
		t.Fatalf("a line ending in a lone trailing \\r was emitted early: %s", lineOffsets(recs))
	}
	appendFile(t, path, "\nnext\n")
	if got, want := lineOffsets(poll(t, task, time.Second)), `"last line"@22 "next"@27`; got != want {
		t.Fatalf("after the newline arrived:\n got %s\nwant %s", got, want)
	}
}

func TestSourceBatchSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, "1\n2\n3\n4\n5\n")
	task := openSource(t, path, 2)
	var sizes []int
	for range 4 {
		sizes = append(sizes, len(poll(t, task, 30*time.Millisecond)))
	}
	if fmt.Sprint(sizes) != "[2 2 1 0]" {
		t.Fatalf("batch sizes = %v, want [2 2 1 0]", sizes)
	}
}

func TestSourceResumesFromCommittedPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, "one\ntwo\nthree\n")
	first := poll(t, openSource(t, path, 2), 50*time.Millisecond)
	if len(first) != 2 {
		t.Fatalf("got %d lines, want 2", len(first))
	}
	committed := sdk.CommittedOffset{Partition: first[1].SourcePartition, Offset: first[1].SourceOffset}
	other := sdk.CommittedOffset{Partition: sdk.Partition{"filename": "/elsewhere"}, Offset: sdk.IntOffset("position", 1)}

	task := openSource(t, path, 10, other, committed)
	if got, want := lineOffsets(poll(t, task, 50*time.Millisecond)), `"three"@14`; got != want {
		t.Fatalf("after resume: got %s, want %s", got, want)
	}

	// Offsets as the kernel hands them over (numbers as json.Number) match too.
	kafka := sdk.CommittedOffset{Partition: sdk.Partition{"filename": path}, Offset: sdk.OffsetOf(map[string]any{"position": json.Number("4")})}
	task = openSource(t, path, 10, kafka)
	if got := lineOffsets(poll(t, task, 50*time.Millisecond)); !strings.HasPrefix(got, `"two"@`) {
		t.Fatalf("after resume from a Kafka Connect offset: got %s, want two and three", got)
	}

	bad := sdk.CommittedOffset{Partition: first[1].SourcePartition, Offset: sdk.StringOffset("position", "x")}
	task = sourceConnector{}.NewSourceTask().(*sourceTask)
	tc := taskContext(t, sourceConnector{}, map[string]string{"file": path, "topic": "t"})
	tc.Committed = []sdk.CommittedOffset{bad}
	err := task.Open(context.Background(), tc)
	if err == nil || !strings.Contains(err.Error(), "invalid position") {
		t.Fatalf("open with a malformed offset: %v", err)
	}
}

func TestSourceFollowsAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, "")
	task := openSource(t, path, 10)
	// The poll's context has a deadline nobody reaches: only the appended line can end
	// this Poll (or the guard below, which fails the test).
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(24*time.Hour))
	defer cancel()
	type result struct {
		recs []sdk.SourceRecord
		err  error
	}
	done := make(chan result, 1)
	go func() {
		recs, err := task.Poll(ctx)
		done <- result{recs, err}
	}()
	appendFile(t, path, "appended\n")
	var r result
	select {
	case r = <-done:
	case <-time.After(testsvc.WaitLimit):
		t.Fatalf("Poll still waiting %v after a line was appended: it waits for its context instead", testsvc.WaitLimit)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got, want := lineOffsets(r.recs), `"appended"@9`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// With nothing to read, Poll returns empty, and only after its context ends (the
	// order of the two events, not how long either took: load only delays the return).
	idle, cancelIdle := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancelIdle()
	recs, err := task.Poll(idle)
	if err != nil || len(recs) != 0 {
		t.Fatalf("idle poll: %d records, %v", len(recs), err)
	}
	if idle.Err() == nil {
		t.Fatal("an idle Poll returned before its context ended")
	}
}

func TestSourceLongLinesAndInvalidUTF8(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	long := strings.Repeat("x", 3*readBufferSize+17)
	writeFile(t, path, "short\n"+long+"\nbad\xff\xfebytes\né\n")
	recs := poll(t, openSource(t, path, 100), 50*time.Millisecond)
	if len(recs) != 4 {
		t.Fatalf("got %d lines, want 4", len(recs))
	}
	if recs[1].Value != long {
		t.Fatalf("the long line came back with %d bytes, want %d", len(recs[1].Value.(string)), len(long))
	}
	if got := recs[2].Value; got != "bad\uFFFDbytes" {
		t.Fatalf("invalid UTF-8 line = %q", got)
	}
	if got := recs[3].Value; got != "é" {
		t.Fatalf("line after an invalid one = %q", got)
	}
	if pos, _ := recs[3].SourceOffset.Int("position"); pos != int64(6+len(long)+1+11+3) {
		t.Fatalf("offset of the last line = %d, want %d", pos, 6+len(long)+1+11+3)
	}
	if err := sdk.ValidateRecords(recs); err != nil {
		t.Fatalf("records cannot be sent: %v", err)
	}
}

func TestSourceMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "does-not-exist.txt")
	task := sourceConnector{}.NewSourceTask()
	err := task.Open(context.Background(), taskContext(t, sourceConnector{}, map[string]string{"file": path, "topic": "t"}))
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open of a missing file: %v; want an error naming %s", err, path)
	}
	if err := task.Close(); err != nil {
		t.Fatalf("close after a failed open: %v", err)
	}
}

func TestSourceConfig(t *testing.T) {
	c := sourceConnector{}
	def := c.Definition()
	if def.Name != "file-source" || def.Type != sdk.Source || fmt.Sprint(def.Aliases) != "[org.apache.kafka.connect.file.FileStreamSourceConnector FileStreamSource]" {
		t.Fatalf("definition = %+v", def)
	}
	cfg, errs := def.Config.Parse(map[string]string{"file": "f", "topic": "t", "batch.size": "0"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if errs := c.Validate(cfg); len(errs) != 1 || errs[0].Key != "batch.size" {
		t.Fatalf("validate batch.size=0: %v", errs)
	}
	tasks, err := c.TaskConfigs(cfg, 5)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks.max 5 gave %d tasks (%v), want 1", len(tasks), err)
	}
	if _, errs := def.Config.Parse(map[string]string{"topic": "t"}); len(errs) != 1 || errs[0].Key != "file" {
		t.Fatalf("missing file: %v", errs)
	}
}

func TestSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	open := func() sdk.SinkTask {
		task := sinkConnector{}.NewSinkTask()
		tc := taskContext(t, sinkConnector{}, map[string]string{"file": path, "topics": "a"})
		if err := task.Open(context.Background(), tc, []sdk.TopicPartition{{Topic: "a"}}); err != nil {
			t.Fatal(err)
		}
		return task
	}
	task := open()
	ctx := context.Background()
	row := data.StructOf("row", data.NewField("id", data.Int64Schema), data.NewField("name", data.StringSchema))
	recs := []sdk.SinkRecord{
		{Value: "plain text"},
		{Value: []byte("raw bytes")},
		{Value: nil},
		{Value: int64(42)},
		{Value: data.NewStruct(row).Put("id", int64(1)).Put("name", "x"), ValueSchema: row},
	}
	if err := task.Put(ctx, recs); err != nil {
		t.Fatal(err)
	}
	offsets := map[sdk.TopicPartition]int64{{Topic: "a", Partition: 0}: 5, {Topic: "a", Partition: 1}: 9}
	got, err := task.Flush(ctx, offsets)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(offsets) {
		t.Fatalf("flush returned %v, want %v", got, offsets)
	}
	want := "plain text\nraw bytes\nnull\n42\n{\"id\":1,\"name\":\"x\"}\n"
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Fatalf("file after flush = %q, want %q", b, want)
	}
	// Put without flush, then Close: close writes what was put.
	if err := task.Put(ctx, []sdk.SinkRecord{{Value: "tail"}}); err != nil {
		t.Fatal(err)
	}
	if err := task.Close(); err != nil {
		t.Fatal(err)
	}
	// A new task appends.
	task = open()
	if err := task.Put(ctx, []sdk.SinkRecord{{Value: "again"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := task.Flush(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := task.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != want+"tail\nagain\n" {
		t.Fatalf("file after reopen = %q", b)
	}
}

func TestSinkLargeBatchWritesWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	task := sinkConnector{}.NewSinkTask()
	if err := task.Open(context.Background(), taskContext(t, sinkConnector{}, map[string]string{"file": path}), nil); err != nil {
		t.Fatal(err)
	}
	defer task.Close()
	line := strings.Repeat("y", 999)
	recs := make([]sdk.SinkRecord, 1000)
	for i := range recs {
		recs[i] = sdk.SinkRecord{Value: line}
	}
	if err := task.Put(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	// Before any flush, what reached the file is whole lines.
	b, _ := os.ReadFile(path)
	if len(b) == 0 || len(b)%1000 != 0 {
		t.Fatalf("%d bytes written before the flush; want a non-zero multiple of the 1000-byte line", len(b))
	}
	if _, err := task.Flush(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != 1000*1000 {
		t.Fatalf("file has %d bytes after flush, want %d", len(b), 1000*1000)
	}
}

func BenchmarkSourcePoll(b *testing.B) {
	path := filepath.Join(b.TempDir(), "in.txt")
	line := strings.Repeat("v", 99) + "\n"
	const lines = 200_000
	writeFile(b, path, strings.Repeat(line, lines))
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	var task *sourceTask
	left := 0
	for b.Loop() {
		if left == 0 {
			b.StopTimer()
			if task != nil {
				_ = task.Close()
			}
			task = openSource(b, path, 2000)
			left = lines
			b.StartTimer()
		}
		recs, err := task.Poll(context.Background())
		if err != nil || len(recs) == 0 {
			b.Fatalf("poll: %d records, %v", len(recs), err)
		}
		left -= len(recs)
		b.SetBytes(int64(len(recs) * len(line)))
	}
}
