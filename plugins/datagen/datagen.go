package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/datagen/record"
	"github.com/tributary-dev/tributary/plugins/kc"
	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// Config keys.
const (
	keyTopic      = "topic"
	keyRecordSize = "record.size"
	// maxRecordSize is the largest record.size: a record may have at most 1 MiB, and a
	// larger one is refused when the connector is created, not after the plugin has
	// built it (a record.size of 2,000,000,000 once grew plugin and kernel to 8 GB).
	maxRecordSize = 1 << 20
	keyKeySpace   = "key.space"
	keyRate       = "rate"
	keyCount      = "count"
	keyBatchSize  = "batch.size"
	keySeed       = "seed"
	keyValueType  = "value.type"
	keyTimestamp  = "timestamp"

	// Set by TaskConfigs: the task's number and how many tasks share the work.
	keyTaskIndex = "datagen.task"
	keyTaskCount = "datagen.tasks"
)

// Value types, for value.type.
const (
	valueString = "string"
	valueBytes  = "bytes"
)

const (
	// pacingTick is the shortest wait of a rate-limited task: it lets a few records come
	// due at once instead of one poll per record at high rates.
	pacingTick = time.Millisecond
	// maxBurst bounds the backlog a rate-limited task catches up on after a pause, in
	// seconds of its rate.
	maxBurst = 1.0
	// maxIdleWait bounds a wait when the poll context has no deadline.
	maxIdleWait = time.Second
	// maxRate bounds rate, far beyond any pipeline, so pacing arithmetic cannot overflow.
	maxRate = 1e9
)

type connector struct{ sdk.ConnectorBase }

func (connector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "datagen",
		Type:        sdk.Source,
		Version:     version,
		Aliases:     []string{"DatagenSource", "DatagenSourceConnector"},
		Description: "Generates records of a configured size, key space and rate, for demos and load tests.",
		Config: new(sdk.ConfigDef).
			Define(keyTopic, sdk.TypeString, sdk.High, "The topic to write the records to.",
				sdk.Required(), sdk.DisplayName("Topic")).
			Define(keyRecordSize, sdk.TypeInt, sdk.Medium, "The size of each value in bytes, at most 1 MiB (the size a record may have, Kafka's max.request.size). Values of at least 42 bytes begin with the header of package record (sequence number, task, time); shorter ones hold the start of it.",
				sdk.Default("100"), sdk.DisplayName("Record size"), sdk.Between(1, maxRecordSize)).
			Define(keyKeySpace, sdk.TypeLong, sdk.Medium, "The number of distinct keys, chosen pseudo-randomly per record; 0 gives every record a null key.",
				sdk.Default("0"), sdk.DisplayName("Key space"), sdk.AtLeast(0)).
			Define(keyRate, sdk.TypeDouble, sdk.Medium, "Records per second over all tasks; 0 generates as fast as the pipeline takes them.",
				sdk.Default("0"), sdk.DisplayName("Rate"), sdk.AtLeast(0), sdk.Check(atMostMaxRate)).
			Define(keyCount, sdk.TypeLong, sdk.Medium, "The total number of records over all tasks; 0 never stops. A restarted task resumes after its last committed record, so the total is never exceeded.",
				sdk.Default("0"), sdk.DisplayName("Count"), sdk.AtLeast(0)).
			Define(keyBatchSize, sdk.TypeInt, sdk.Low, "The maximum number of records a task returns in one poll.",
				sdk.Default("1024"), sdk.DisplayName("Batch size"), sdk.AtLeast(1)).
			Define(keySeed, sdk.TypeLong, sdk.Low, "Seeds the filler bytes and the choice of keys: the same seed gives the same records.",
				sdk.Default("0"), sdk.DisplayName("Seed")).
			Define(keyValueType, sdk.TypeString, sdk.Low, "The type of the values: string (schema STRING) or bytes (schema BYTES, for the ByteArrayConverter).",
				sdk.Default(valueString), sdk.DisplayName("Value type"), sdk.OneOf(valueString, valueBytes)).
			Define(keyTimestamp, sdk.TypeBoolean, sdk.Low, "Embed the time each record was generated in its value header (Unix nanoseconds) and set it as the record's timestamp, to measure latency.",
				sdk.Default("false"), sdk.DisplayName("Timestamp")),
	}
}

// atMostMaxRate refuses a rate above what one connector may generate, and NaN.
func atMostMaxRate(v string) error {
	if r, ok := kc.ParseDouble(v); ok && !(r <= maxRate) {
		return fmt.Errorf("Value must be a number no more than %g", float64(maxRate))
	}
	return nil
}

// TaskConfigs splits the work over up to maxTasks tasks (no more than count, when set):
// each task generates its share of count and of rate, under its own source partition.
func (connector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	n := min(maxTasks, record.MaxTasks)
	if count, err := cfg.Int64(keyCount); err != nil {
		return nil, err
	} else if count > 0 && count < int64(n) {
		n = int(count)
	}
	out := make([]map[string]string, n)
	for i := range out {
		tc := cfg.Clone()
		tc[keyTaskIndex] = strconv.Itoa(i)
		tc[keyTaskCount] = strconv.Itoa(n)
		out[i] = tc
	}
	return out, nil
}

func (connector) NewSourceTask() sdk.SourceTask { return &sourceTask{} }

// share is task i's part of total split over n tasks: the first total%n tasks take one
// more.
func share(total uint64, i, n int) uint64 {
	s := total / uint64(n)
	if uint64(i) < total%uint64(n) {
		s++
	}
	return s
}

// sourceTask generates one task's records: sequence numbers next, next+1, … up to limit.
type sourceTask struct {
	topic     string
	size      int
	keySpace  uint64
	batchSize int
	seed      int64
	bytes     bool
	stamp     bool
	task      int
	log       hclog.Logger

	limit uint64 // records this task generates in all; 0: unbounded
	next  uint64 // sequence number of the next record

	now       func() time.Time // the clock; tests set their own before Open
	rate      float64          // records per second; 0: unpaced
	paceStart time.Time        // pacing: paced records are due by paceStart + paced/rate
	paced     uint64
	timer     *time.Timer

	filler      []byte
	partition   sdk.Partition // shared by every record
	valueSchema *data.Schema
	scratch     []byte // reused to build a batch's text
}

func (t *sourceTask) Open(_ context.Context, tc sdk.TaskContext) error {
	cfg := tc.Config
	t.log = tc.Logger
	t.topic = cfg.String(keyTopic)
	t.bytes = strings.EqualFold(strings.TrimSpace(cfg.String(keyValueType)), valueBytes) // OneOf ignores case
	var (
		count, keySpace int64
		rate            float64
		tasks           = 1
		err             error
	)
	for _, parse := range []func() error{
		func() (err error) { t.size, err = cfg.Int(keyRecordSize); return },
		func() (err error) { keySpace, err = cfg.Int64(keyKeySpace); return },
		func() (err error) { rate, err = cfg.Float64(keyRate); return },
		func() (err error) { count, err = cfg.Int64(keyCount); return },
		func() (err error) { t.batchSize, err = cfg.Int(keyBatchSize); return },
		func() (err error) { t.seed, err = cfg.Int64(keySeed); return },
		func() (err error) { t.stamp, err = cfg.Bool(keyTimestamp); return },
	} {
		if err := parse(); err != nil {
			return err
		}
	}
	if _, errs := (connector{}).Definition().Config.Parse(cfg); len(errs) > 0 {
		return sdk.ConfigErrors(errs) // the definition's checks, for a task opened directly
	}
	t.task = tc.Task
	if cfg[keyTaskIndex] != "" {
		if t.task, err = cfg.Int(keyTaskIndex); err != nil {
			return err
		}
		if tasks, err = cfg.Int(keyTaskCount); err != nil {
			return err
		}
	}
	if t.task < 0 || tasks < 1 || t.task >= tasks {
		return fmt.Errorf("datagen: task %d of %d is out of range", t.task, tasks)
	}
	t.keySpace = uint64(keySpace)
	if count > 0 {
		t.limit = share(uint64(count), t.task, tasks)
	}
	t.rate = rate / float64(tasks)

	t.partition = sdk.Partition{"task": t.task}
	if off, ok := tc.Offset(t.partition); ok {
		seq, isNum := off.Int("seq")
		if !isNum || seq < 0 {
			return fmt.Errorf("datagen: committed offset of task %d has an invalid seq %v", t.task, off)
		}
		t.next = uint64(seq) + 1
	}

	t.valueSchema = data.StringSchema
	if t.bytes {
		t.valueSchema = data.BytesSchema
	}
	t.filler = record.Filler(t.seed, t.task, max(t.size-record.HeaderLen, 0))
	if t.now == nil {
		t.now = time.Now
	}
	t.paceStart = t.now()
	t.log.Info("generating", "task", t.task, "tasks", tasks, "from_seq", t.next, "limit", t.limit,
		"rate", t.rate, "record_size", t.size, "key_space", t.keySpace)
	return nil
}

// Poll returns the next batch: up to batch.size records, fewer when the count runs out or
// the rate allows fewer so far. With nothing to generate (count reached, or the next
// record not due yet) it waits until ctx ends or a record comes due.
func (t *sourceTask) Poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	n := uint64(t.batchSize)
	if t.limit > 0 {
		if t.next >= t.limit {
			t.wait(ctx, maxIdleWait)
			return nil, nil
		}
		n = min(n, t.limit-t.next)
	}
	now := t.now()
	if t.rate > 0 {
		due := t.due(now)
		for due == 0 {
			next := t.paceStart.Add(time.Duration(float64(t.paced+1) / t.rate * float64(time.Second)))
			if !t.wait(ctx, max(next.Sub(now), pacingTick)) {
				return nil, nil
			}
			now = t.now()
			due = t.due(now)
		}
		n = min(n, due)
		t.paced += n
	}
	return t.generate(int(n), now), nil
}

// due returns how many records the rate allows now, beyond those already generated,
// forgiving a backlog beyond maxBurst (a paused task does not flood when resumed).
func (t *sourceTask) due(now time.Time) uint64 {
	total := uint64(now.Sub(t.paceStart).Seconds() * t.rate)
	burst := uint64(max(t.rate*maxBurst, float64(t.batchSize)))
	if total > t.paced+burst {
		t.paced = total - burst
	}
	return total - t.paced
}

// wait sleeps for d, or until ctx ends if that comes first, and reports whether it slept
// the whole d. Without a deadline it waits at most maxIdleWait.
func (t *sourceTask) wait(ctx context.Context, d time.Duration) bool {
	full := true
	if dl, ok := ctx.Deadline(); ok {
		if time.Until(dl) < d {
			<-ctx.Done()
			return false
		}
	} else if d > maxIdleWait {
		d, full = maxIdleWait, false
	}
	if d <= 0 {
		return false
	}
	if t.timer == nil {
		t.timer = time.NewTimer(d)
	} else {
		t.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		t.timer.Stop()
		return false
	case <-t.timer.C:
		return full
	}
}

// generate returns the next n records. The values of a batch share one text or byte
// buffer, and its keys one string.
func (t *sourceTask) generate(n int, now time.Time) []sdk.SourceRecord {
	var stamp int64
	var ts time.Time
	if t.stamp {
		stamp, ts = now.UnixNano(), now
	}
	out := make([]sdk.SourceRecord, n)

	// Values: one buffer of n*size bytes, each value a slice of it.
	buf := make([]byte, 0, n*t.size)
	if !t.bytes {
		buf = t.scratch[:0]
	}
	for i := range n {
		buf = record.AppendValue(buf, t.size, t.next+uint64(i), t.task, stamp, t.filler)
	}
	var text string
	if !t.bytes {
		t.scratch = buf
		text = string(buf)
	}
	var keys []string
	if t.keySpace > 0 {
		keys = t.keys(n)
	}
	for i := range n {
		r := &out[i]
		r.SourcePartition = t.partition
		r.SourceOffset = sdk.IntOffset("seq", int64(t.next+uint64(i)))
		r.Topic = t.topic
		if t.bytes {
			r.Value = buf[i*t.size : (i+1)*t.size : (i+1)*t.size]
		} else {
			r.Value = text[i*t.size : (i+1)*t.size]
		}
		r.ValueSchema = t.valueSchema
		if keys != nil {
			r.Key, r.KeySchema = keys[i], data.StringSchema
		}
		r.Timestamp = ts
	}
	t.next += uint64(n)
	return out
}

// keys returns the string keys of the next n records: each a pseudo-random number below
// key.space, a function of the seed, the task and the sequence number.
func (t *sourceTask) keys(n int) []string {
	keys := make([]string, n)
	ends := make([]int, n)
	var sb strings.Builder
	sb.Grow(n * 8)
	var num [20]byte
	for i := range n {
		k := keyOf(t.seed, t.task, t.next+uint64(i)) % t.keySpace
		sb.Write(strconv.AppendUint(num[:0], k, 10))
		ends[i] = sb.Len()
	}
	text := sb.String()
	start := 0
	for i := range n {
		keys[i] = text[start:ends[i]]
		start = ends[i]
	}
	return keys
}

// keyOf mixes seed, task and seq into a pseudo-random number (SplitMix64's finaliser).
func keyOf(seed int64, task int, seq uint64) uint64 {
	z := uint64(seed) ^ uint64(task)<<48 ^ seq
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Commit has nothing to acknowledge: the generator has no upstream.
func (t *sourceTask) Commit(context.Context, []sdk.CommittedOffset) error { return nil }

func (t *sourceTask) Close() error {
	if t.timer != nil {
		t.timer.Stop()
	}
	return nil
}
