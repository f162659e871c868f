package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/datagen/record"
	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// parse applies the definition's defaults and generic checks to raw.
func parse(t testing.TB, raw map[string]string) sdk.Config {
	t.Helper()
	cfg, errs := connector{}.Definition().Config.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config %v: %v", raw, errs)
	}
	return cfg
}

// openTask opens a task on raw (topic "t" unless given) with the committed offsets.
func openTask(t testing.TB, raw map[string]string, offsets ...sdk.CommittedOffset) *sourceTask {
	t.Helper()
	return openTaskAt(t, nil, raw, offsets...)
}

// openTaskAt is openTask with the task's clock set to now (nil: the real clock).
func openTaskAt(t testing.TB, now func() time.Time, raw map[string]string, offsets ...sdk.CommittedOffset) *sourceTask {
	t.Helper()
	if _, ok := raw[keyTopic]; !ok {
		raw[keyTopic] = "t"
	}
	task := connector{}.NewSourceTask().(*sourceTask)
	task.now = now
	tc := sdk.TaskContext{Handle: "h", Connector: "gen", Config: parse(t, raw), Logger: hclog.NewNullLogger(), Committed: offsets}
	if err := task.Open(context.Background(), tc); err != nil {
		t.Fatalf("open %v: %v", raw, err)
	}
	t.Cleanup(func() { _ = task.Close() })
	return task
}

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

// drain polls until a poll comes back empty and returns everything polled.
func drain(t testing.TB, task *sourceTask) []sdk.SourceRecord {
	t.Helper()
	var all []sdk.SourceRecord
	for {
		recs := poll(t, task, 20*time.Millisecond)
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
	}
}

func valueText(r sdk.SourceRecord) string {
	if b, ok := r.Value.([]byte); ok {
		return string(b)
	}
	s, _ := r.Value.(string)
	return s
}

func keyText(r sdk.SourceRecord) string { s, _ := r.Key.(string); return s }

func seqOf(r sdk.SourceRecord) int64 { n, _ := r.SourceOffset.Int("seq"); return n }

func TestDefinition(t *testing.T) {
	def := connector{}.Definition()
	if def.Name != "datagen" || def.Type != sdk.Source || !strings.Contains(fmt.Sprint(def.Aliases), "DatagenSource") {
		t.Fatalf("definition = %+v", def)
	}
	if _, errs := def.Config.Parse(map[string]string{}); len(errs) != 1 || errs[0].Key != keyTopic {
		t.Fatalf("no topic: errors %v, want one for topic", errs)
	}
	cfg := parse(t, map[string]string{keyTopic: "t"})
	want := map[string]string{keyRecordSize: "100", keyKeySpace: "0", keyRate: "0", keyCount: "0",
		keyBatchSize: "1024", keySeed: "0", keyValueType: "string", keyTimestamp: "false"}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("default %s = %q, want %q", k, cfg[k], v)
		}
	}
	if errs := (connector{}).Validate(cfg); len(errs) != 0 {
		t.Fatalf("defaults do not validate: %v", errs)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		key, value string
	}{
		{keyRecordSize, "0"},
		{keyRecordSize, "2000000000"},
		{keyRecordSize, "1048577"},
		{keyKeySpace, "-1"},
		{keyCount, "-5"},
		{keyBatchSize, "0"},
		{keyRate, "-1"},
		{keyRate, "NaN"},
		{keyRate, "1e20"},
		{keyValueType, "json"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			// What the SDK's Validate reports: the definition's checks, then the connector's.
			cfg, errs := connector{}.Definition().Config.Parse(map[string]string{keyTopic: "t", tc.key: tc.value})
			errs = append(errs, connector{}.Validate(cfg)...)
			if len(errs) != 1 || errs[0].Key != tc.key {
				t.Fatalf("errors %v, want one for %s", errs, tc.key)
			}
			// A task refuses the same config.
			task := connector{}.NewSourceTask()
			err := task.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: hclog.NewNullLogger()})
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("open: %v, want an error naming %s", err, tc.key)
			}
		})
	}
}

func TestTaskConfigsSplitCountAndRate(t *testing.T) {
	for _, tc := range []struct {
		count    string
		maxTasks int
		want     []uint64 // each task's share of count
	}{
		{"10", 4, []uint64{3, 3, 2, 2}},
		{"2", 4, []uint64{1, 1}},
		{"0", 3, []uint64{0, 0, 0}},
		{"7", 1, []uint64{7}},
	} {
		cfg := parse(t, map[string]string{keyTopic: "t", keyCount: tc.count, keyRate: "400"})
		configs, err := connector{}.TaskConfigs(cfg, tc.maxTasks)
		if err != nil {
			t.Fatal(err)
		}
		if len(configs) != len(tc.want) {
			t.Fatalf("count %s, tasks.max %d: %d task configs, want %d", tc.count, tc.maxTasks, len(configs), len(tc.want))
		}
		for i, raw := range configs {
			task := openTask(t, raw)
			if task.task != i || task.limit != tc.want[i] {
				t.Errorf("count %s, task %d: index %d limit %d, want %d", tc.count, i, task.task, task.limit, tc.want[i])
			}
			if want := 400 / float64(len(configs)); task.rate != want {
				t.Errorf("count %s, task %d: rate %v, want %v", tc.count, i, task.rate, want)
			}
		}
	}
}

func TestPollGeneratesNumberedRecords(t *testing.T) {
	task := openTask(t, map[string]string{keyCount: "5", keyBatchSize: "2"})
	var sizes []int
	var all []sdk.SourceRecord
	for range 4 {
		recs := poll(t, task, 20*time.Millisecond)
		sizes = append(sizes, len(recs))
		all = append(all, recs...)
	}
	if fmt.Sprint(sizes) != "[2 2 1 0]" {
		t.Fatalf("batch sizes %v, want [2 2 1 0]", sizes)
	}
	for i, r := range all {
		v := valueText(r)
		if len(v) != 100 {
			t.Fatalf("record %d: value of %d bytes, want 100", i, len(v))
		}
		h, ok := record.Parse(v)
		if !ok || h.Seq != uint64(i) || h.Task != 0 || h.UnixNanos != 0 {
			t.Fatalf("record %d: header %+v (ok %v) of %q", i, h, ok, v)
		}
		if seqOf(r) != int64(i) || len(r.SourceOffset.Map()) != 1 {
			t.Fatalf("record %d: offset %v, want seq %d", i, r.SourceOffset, i)
		}
		if fmt.Sprint(r.SourcePartition) != "map[task:0]" || r.Topic != "t" || r.KafkaPartition != nil || r.Key != nil || !r.Timestamp.IsZero() {
			t.Fatalf("record %d: envelope %+v", i, r)
		}
		if r.ValueSchema != data.StringSchema {
			t.Fatalf("record %d: value schema %v, want STRING", i, r.ValueSchema)
		}
	}
	if err := sdk.ValidateRecords(all); err != nil {
		t.Fatalf("records cannot be sent: %v", err)
	}
	// Same filler after the header for every record of a task.
	if valueText(all[0])[record.HeaderLen:] != valueText(all[4])[record.HeaderLen:] {
		t.Fatal("filler differs between records")
	}
}

func TestBytesValuesKeysAndSeed(t *testing.T) {
	gen := func(seed string, task int) []sdk.SourceRecord {
		cfg := parse(t, map[string]string{keyTopic: "t", keyCount: "200", keyValueType: "bytes", keyKeySpace: "3", keySeed: seed})
		configs, _ := connector{}.TaskConfigs(cfg, 2)
		return drain(t, openTask(t, configs[task]))
	}
	a := gen("7", 1)
	if len(a) != 100 {
		t.Fatalf("task 1 of 2 generated %d records, want 100", len(a))
	}
	keys := map[string]int{}
	for i, r := range a {
		b, isBytes := r.Value.([]byte)
		if r.ValueSchema != data.BytesSchema || !isBytes {
			t.Fatalf("record %d: value %v schema %v, want bytes", i, r.Value, r.ValueSchema)
		}
		h, ok := record.Parse(b)
		if !ok || h.Seq != uint64(i) || h.Task != 1 {
			t.Fatalf("record %d: header %+v", i, h)
		}
		if fmt.Sprint(r.SourcePartition) != "map[task:1]" || r.KeySchema != data.StringSchema {
			t.Fatalf("record %d: partition %v key schema %v", i, r.SourcePartition, r.KeySchema)
		}
		keys[keyText(r)]++
	}
	if len(keys) != 3 || keys["0"] == 0 || keys["1"] == 0 || keys["2"] == 0 {
		t.Fatalf("keys %v, want 0, 1 and 2", keys)
	}
	same, other := gen("7", 1), gen("8", 1)
	var keysA, keysSame, keysOther, fillA, fillOther string
	for i := range a {
		keysA += keyText(a[i])
		keysSame += keyText(same[i])
		keysOther += keyText(other[i])
	}
	fillA, fillOther = valueText(a[0])[record.HeaderLen:], valueText(other[0])[record.HeaderLen:]
	if keysA != keysSame || valueText(a[0]) != valueText(same[0]) {
		t.Fatal("the same seed gave different records")
	}
	if keysA == keysOther || fillA == fillOther {
		t.Fatal("another seed gave the same keys or filler")
	}
}

func TestSmallAndLargeRecords(t *testing.T) {
	for _, size := range []int{1, 10, record.HeaderLen, 5000} {
		recs := drain(t, openTask(t, map[string]string{keyCount: "3", keyRecordSize: fmt.Sprint(size)}))
		if len(recs) != 3 {
			t.Fatalf("size %d: %d records", size, len(recs))
		}
		for i, r := range recs {
			v := valueText(r)
			if len(v) != size {
				t.Fatalf("size %d: record %d has %d bytes", size, i, len(v))
			}
			header := string(record.AppendHeader(nil, uint64(i), 0, 0))
			if n := min(size, record.HeaderLen); v[:n] != header[:n] {
				t.Fatalf("size %d: record %d = %q, want it to begin with the header %q", size, i, v, header[:n])
			}
		}
	}
}

func TestResumeFromCommittedOffsetNeverExceedsCount(t *testing.T) {
	offset := func(task int, seq uint64) sdk.CommittedOffset {
		return sdk.CommittedOffset{Partition: sdk.Partition{"task": task}, Offset: sdk.IntOffset("seq", int64(seq))}
	}
	cfg := parse(t, map[string]string{keyTopic: "t", keyCount: "20"})
	configs, _ := connector{}.TaskConfigs(cfg, 2)

	// Task 1 committed seq 6 of its 10; another task's offset is ignored.
	recs := drain(t, openTask(t, configs[1], offset(0, 2), offset(1, 6)))
	var seqs []uint64
	for _, r := range recs {
		h, _ := record.Parse(valueText(r))
		seqs = append(seqs, h.Seq)
	}
	if fmt.Sprint(seqs) != "[7 8 9]" {
		t.Fatalf("after resuming at seq 6 of 10: seqs %v, want [7 8 9]", seqs)
	}
	// Everything committed: nothing more, however often it is reopened.
	if recs := drain(t, openTask(t, configs[1], offset(1, 9))); len(recs) != 0 {
		t.Fatalf("a finished task generated %d more records", len(recs))
	}
	// Offsets as the kernel hands them over (numbers as json.Number) match too.
	spaced := sdk.CommittedOffset{Partition: sdk.Partition{"task": json.Number("0")}, Offset: sdk.OffsetOf(map[string]any{"seq": json.Number("8")})}
	if recs := drain(t, openTask(t, configs[0], spaced)); len(recs) != 1 {
		t.Fatalf("task 0 resumed at seq 8 of 10 generated %d records, want 1", len(recs))
	}

	bad := sdk.CommittedOffset{Partition: sdk.Partition{"task": 0}, Offset: sdk.StringOffset("seq", "x")}
	task := connector{}.NewSourceTask()
	tc := sdk.TaskContext{Config: parse(t, configs[0]), Logger: hclog.NewNullLogger(), Committed: []sdk.CommittedOffset{bad}}
	if err := task.Open(context.Background(), tc); err == nil || !strings.Contains(err.Error(), "invalid seq") {
		t.Fatalf("open with a malformed offset: %v", err)
	}
}

func TestFinishedTaskWaitsForThePollTimeout(t *testing.T) {
	task := openTask(t, map[string]string{keyCount: "1"})
	if recs := poll(t, task, time.Second); len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	// An empty poll must not return before its context ends: the kernel would spin on it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	if recs, err := task.Poll(ctx); len(recs) != 0 || err != nil {
		t.Fatalf("got %d records past the count (%v)", len(recs), err)
	}
	if ctx.Err() == nil {
		t.Fatal("an empty poll returned before its context ended")
	}
}

func TestPacing(t *testing.T) {
	task := openTask(t, map[string]string{keyRate: "1000", keyBatchSize: "50"})
	t0 := task.paceStart
	at := func(d time.Duration) uint64 { return task.due(t0.Add(d)) }
	if n := at(0); n != 0 {
		t.Fatalf("due at start = %d, want 0", n)
	}
	if n := at(100 * time.Millisecond); n != 100 {
		t.Fatalf("due after 100ms at 1000/s = %d, want 100", n)
	}
	task.paced += 100
	if n := at(100 * time.Millisecond); n != 0 {
		t.Fatalf("due after generating them = %d, want 0", n)
	}
	// A long pause forgives the backlog beyond one second's worth.
	if n := at(time.Hour); n != 1000 {
		t.Fatalf("due after an hour = %d, want the 1000-record burst", n)
	}

	// Poll hands out what is due, capped by batch.size, and nothing while nothing is,
	// on the task's clock.
	clock := time.Unix(1_700_000_000, 0)
	task = openTaskAt(t, func() time.Time { return clock }, map[string]string{keyRate: "200", keyBatchSize: "50"})
	var got []int
	for _, step := range []time.Duration{0, 100 * time.Millisecond, 0, time.Second, 0, 0, 0, 0} {
		clock = clock.Add(step)
		got = append(got, len(poll(t, task, 5*time.Millisecond)))
	}
	// 0 at the start; 20 after 100ms at 200/s; none until more time passes; 200 more
	// after a second, handed out 50 (batch.size) at a time.
	if want := "[0 20 0 50 50 50 50 0]"; fmt.Sprint(got) != want {
		t.Fatalf("records per poll %v, want %s", got, want)
	}
}

func TestTimestamp(t *testing.T) {
	at := time.Unix(1_700_000_000, 123_456_789)
	task := openTaskAt(t, func() time.Time { return at }, map[string]string{keyTimestamp: "true", keyCount: "3"})
	recs := poll(t, task, time.Second)
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	for i, r := range recs {
		h, ok := record.Parse(valueText(r))
		if !ok || h.UnixNanos != at.UnixNano() {
			t.Fatalf("record %d: header time %d, want the task clock's %d", i, h.UnixNanos, at.UnixNano())
		}
		if !r.Timestamp.Equal(at) {
			t.Fatalf("record %d: timestamp %v, want %v", i, r.Timestamp, at)
		}
	}
}

// BenchmarkPoll measures generating a batch of 1024 100-byte records in the plugin
// process, and with marshal the whole plugin-side cost of a Poll (the SDK encodes the
// response).
func BenchmarkPoll(b *testing.B) {
	for _, vt := range []string{valueString, valueBytes} {
		for _, marshal := range []bool{false, true} {
			name := vt
			if marshal {
				name += "+marshal"
			}
			b.Run(name, func(b *testing.B) {
				task := openTask(b, map[string]string{keyValueType: vt})
				ctx := context.Background()
				b.ReportAllocs()
				records := 0
				for b.Loop() {
					recs, err := task.Poll(ctx)
					if err != nil || len(recs) != 1024 {
						b.Fatalf("poll: %d records, %v", len(recs), err)
					}
					if marshal {
						// What the SDK does with a batch before gRPC sends it.
						if err := sdk.ValidateRecords(recs); err != nil {
							b.Fatal(err)
						}
					}
					records += len(recs)
				}
				b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
