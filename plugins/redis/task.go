package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// task is one sink task. Put writes its batch to Redis before returning; Flush reports,
// per partition, the offset after the last record of a Put that succeeded, so an offset
// is reported only once Redis has answered OK to every command before it.
type task struct {
	parse parseFunc
	cfg   *config
	log   hclog.Logger
	c     redis.UniversalClient
	build *builder
	w     *writer
	ops   []op
	// done is, per partition, the next offset after the records written by Puts that
	// returned nil.
	done map[sdk.TopicPartition]int64
}

// parse is the config parser of the task's connector class.
type parseFunc func(sdk.Config) (*config, []sdk.ConfigError)

// newTask returns an unopened task whose config parse reads.
func newTask(parse parseFunc) *task { return &task{parse: parse} }

func (t *task) Open(ctx context.Context, tc sdk.TaskContext, _ []sdk.TopicPartition) error {
	cfg, errs := t.parse(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.cfg, t.log = cfg, tc.Logger
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	t.c = c
	if err := connect(ctx, c, cfg); err != nil {
		return fmt.Errorf("redis: could not connect to %s: %w", cfg.display, err)
	}
	if err := checkNotCluster(ctx, c, cfg); err != nil {
		return err
	}
	typeKey := keyType
	if tc.Config[keyType] == "" && tc.Config[keyCommand] != "" {
		typeKey = keyCommand
	}
	known, err := checkModule(ctx, c, cfg, typeKey)
	if err != nil {
		return err
	}
	if !known {
		if names, _ := moduleFor(cfg.kind); names != nil {
			t.log.Warn("MODULE LIST is not allowed: whether the server has the module shows at the first write", "redis.type", cfg.kind.String())
		}
	}
	t.build = newBuilder(cfg, t.log.Warn)
	t.w = &writer{c: c, cfg: cfg, log: t.log, typeKey: typeKey}
	t.done = map[sdk.TopicPartition]int64{}
	return nil
}

// Put turns the records into commands and writes them as one pipeline, returning when
// Redis has answered every one. A record that cannot become a command, or whose command
// Redis refuses, fails the Put naming it (the kernel then puts the batch one record at a
// time, so errors.tolerance can dead-letter just that record); an outage that outlasts
// the command timeout is retriable.
func (t *task) Put(ctx context.Context, records []sdk.SinkRecord) error {
	ops := t.ops[:0]
	t.build.reset()
	defer t.build.reset()
	for i := range records {
		o, ok, err := t.build.build(&records[i], i)
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		if ok {
			ops = append(ops, o)
		}
	}
	t.ops = ops
	defer clear(t.ops) // drop the references into the batch's memory
	if err := t.w.write(ctx, ops, records); err != nil {
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
	return nil
}

// Flush reports, for each partition given, the offset after the last record a Put wrote:
// Put writes synchronously, so there is nothing left to send. A partition whose last Put
// failed reports what the Puts before it wrote.
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
	if t.c != nil {
		return t.c.Close()
	}
	return nil
}
