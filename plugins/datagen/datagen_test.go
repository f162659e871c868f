package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/plugins/datagen/record"
	"github.com/tributary-dev/tributary/plugins/sdk"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
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
func openTask(t testing.TB, raw map[string]string, offsets ...*pluginv1.SourceOffset) *sourceTask {
	t.Helper()
	if _, ok := raw[keyTopic]; !ok {
		raw[keyTopic] = "t"
	}
	task := connector{}.NewSourceTask().(*sourceTask)
	tc := sdk.TaskContext{Handle: "h", Connector: "gen", Config: parse(t, raw), Logger: hclog.NewNullLogger()}
	if err := task.Open(context.Background(), tc, offsets); err != nil {
		t.Fatalf("open %v: %v", raw, err)
	}
	t.Cleanup(func() { _ = task.Close() })
	return task
}

func poll(t testing.TB, task *sourceTask, timeout time.Duration) []*pluginv1.Record {
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
func drain(t testing.TB, task *sourceTask) []*pluginv1.Record {
	t.Helper()
	var all []*pluginv1.Record
	for {
		recs := poll(t, task, 20*time.Millisecond)
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
	}
}

func valueText(r *pluginv1.Record) string {
	if b := r.GetValue().GetBytesValue(); b != nil {
		return string(b)
	}
	return r.GetValue().GetStringValue()
}

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
		{keyKeySpace, "-1"},
		{keyCount, "-5"},
		{keyBatchSize, "0"},
		{keyRate, "-1"},
		{keyRate, "NaN"},
		{keyRate, "1e20"},
		{keyValueType, "json"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			cfg := parse(t, map[string]string{keyTopic: "t", tc.key: tc.value})
			errs := connector{}.Validate(cfg)
			if len(errs) != 1 || errs[0].Key != tc.key {
				t.Fatalf("errors %v, want one for %s", errs, tc.key)
			}
			// A task refuses the same config.
			task := connector{}.NewSourceTask()
			err := task.Open(context.Background(), sdk.TaskContext{Config: cfg, Logger: hclog.NewNullLogger()}, nil)
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
	var all []*pluginv1.Record
	for range 4 {
		recs := poll(t, task, 20*time.Millisecond)
		sizes = append(sizes, len(recs))
		all = append(all, recs...)
	}
	if fmt.Sprint(sizes) != "[2 2 1 0]" {
		t.Fatalf("batch sizes %v, want [2 2 1 0]", sizes)
	}
	for i, r := range all {
		v := r.GetValue().GetStringValue()
		if len(v) != 100 {
			t.Fatalf("record %d: value of %d bytes, want 100", i, len(v))
		}
		h, ok := record.Parse(v)
		if !ok || h.Seq != uint64(i) || h.Task != 0 || h.UnixNanos != 0 {
			t.Fatalf("record %d: header %+v (ok %v) of %q", i, h, ok, v)
		}
		if got, want := string(r.SourceOffset), fmt.Sprintf(`{"seq":%d}`, i); got != want {
			t.Fatalf("record %d: offset %s, want %s", i, got, want)
		}
		if string(r.SourcePartition) != `{"task":0}` || r.Topic != "t" || r.Partition != -1 || r.Key != nil || r.TimestampMs != 0 {
			t.Fatalf("record %d: envelope %v", i, r)
		}
		if r.ValueSchema.GetType() != pluginv1.Schema_TYPE_STRING {
			t.Fatalf("record %d: value schema %v, want STRING", i, r.ValueSchema)
		}
		if _, err := proto.Marshal(r); err != nil {
			t.Fatalf("record %d does not marshal: %v", i, err)
		}
	}
	// Same filler after the header for every record of a task.
	if all[0].GetValue().GetStringValue()[record.HeaderLen:] != all[4].GetValue().GetStringValue()[record.HeaderLen:] {
		t.Fatal("filler differs between records")
	}
}

func TestBytesValuesKeysAndSeed(t *testing.T) {
	gen := func(seed string, task int) []*pluginv1.Record {
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
		if r.ValueSchema.GetType() != pluginv1.Schema_TYPE_BYTES || r.GetValue().GetBytesValue() == nil {
			t.Fatalf("record %d: value %v schema %v, want bytes", i, r.Value, r.ValueSchema)
		}
		h, ok := record.Parse(r.GetValue().GetBytesValue())
		if !ok || h.Seq != uint64(i) || h.Task != 1 {
			t.Fatalf("record %d: header %+v", i, h)
		}
		if string(r.SourcePartition) != `{"task":1}` || r.KeySchema.GetType() != pluginv1.Schema_TYPE_STRING {
			t.Fatalf("record %d: partition %s key schema %v", i, r.SourcePartition, r.KeySchema)
		}
		keys[r.GetKey().GetStringValue()]++
	}
	if len(keys) != 3 || keys["0"] == 0 || keys["1"] == 0 || keys["2"] == 0 {
		t.Fatalf("keys %v, want 0, 1 and 2", keys)
	}
	same, other := gen("7", 1), gen("8", 1)
	var keysA, keysSame, keysOther, fillA, fillOther string
	for i := range a {
		keysA += a[i].GetKey().GetStringValue()
		keysSame += same[i].GetKey().GetStringValue()
		keysOther += other[i].GetKey().GetStringValue()
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
	offset := func(task int, seq uint64) *pluginv1.SourceOffset {
		return &pluginv1.SourceOffset{Partition: fmt.Appendf(nil, `{"task":%d}`, task), Offset: fmt.Appendf(nil, `{"seq":%d}`, seq)}
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
	// Offsets in Kafka Connect's JSON spacing match too.
	spaced := &pluginv1.SourceOffset{Partition: []byte(`{ "task" : 0 }`), Offset: []byte(`{ "seq" : 8 }`)}
	if recs := drain(t, openTask(t, configs[0], spaced)); len(recs) != 1 {
		t.Fatalf("task 0 resumed at seq 8 of 10 generated %d records, want 1", len(recs))
	}

	bad := &pluginv1.SourceOffset{Partition: []byte(`{"task":0}`), Offset: []byte(`{"seq":"x"}`)}
	task := connector{}.NewSourceTask()
	tc := sdk.TaskContext{Config: parse(t, configs[0]), Logger: hclog.NewNullLogger()}
	if err := task.Open(context.Background(), tc, []*pluginv1.SourceOffset{bad}); err == nil || !strings.Contains(err.Error(), "invalid seq") {
		t.Fatalf("open with a malformed offset: %v", err)
	}
}

func TestFinishedTaskWaitsForThePollTimeout(t *testing.T) {
	task := openTask(t, map[string]string{keyCount: "1"})
	if recs := poll(t, task, time.Second); len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	// An empty poll must not return at once: the kernel would spin on it.
	start := time.Now()
	if recs := poll(t, task, 60*time.Millisecond); len(recs) != 0 {
		t.Fatalf("got %d records past the count", len(recs))
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("an empty poll returned after %v, before its 60ms timeout", d)
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

	// Poll hands out what is due, capped by batch.size, and waits when nothing is.
	task = openTask(t, map[string]string{keyRate: "200", keyBatchSize: "50"})
	total := 0
	start := time.Now()
	for time.Since(start) < 300*time.Millisecond {
		recs := poll(t, task, 50*time.Millisecond)
		if len(recs) > 50 {
			t.Fatalf("a poll returned %d records, more than batch.size", len(recs))
		}
		total += len(recs)
	}
	elapsed := time.Since(start).Seconds()
	if max := int(200*elapsed) + 1; total > max || total < 20 {
		t.Fatalf("%d records in %.3fs at 200/s, want 20..%d", total, elapsed, max)
	}
}

func TestTimestamp(t *testing.T) {
	task := openTask(t, map[string]string{keyTimestamp: "true", keyCount: "3"})
	before := time.Now()
	recs := poll(t, task, time.Second)
	after := time.Now()
	for i, r := range recs {
		h, ok := record.Parse(valueText(r))
		if !ok || h.UnixNanos < before.UnixNano() || h.UnixNanos > after.UnixNano() {
			t.Fatalf("record %d: header time %d not within the poll [%d, %d]", i, h.UnixNanos, before.UnixNano(), after.UnixNano())
		}
		if r.TimestampMs != h.UnixNanos/1e6 {
			t.Fatalf("record %d: timestamp %d ms, header %d ns", i, r.TimestampMs, h.UnixNanos)
		}
	}
}

// BenchmarkPoll measures generating a batch of 1024 100-byte records in the plugin
// process, and with marshal the whole plugin-side cost of a Poll (the SDK marshals the
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
						if _, err := proto.Marshal(&pluginv1.PollResponse{Records: recs}); err != nil {
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
