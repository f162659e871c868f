// Command tributary-example-go is the smallest useful Go connector: a source that counts,
// writing {"n": n, "at": time} structs to a topic, one every interval.ms (up to count),
// and resuming after the last committed n. It is the example the README walks through.
package main

import (
	"context"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

var valueSchema = data.StructOf("example.Count",
	data.NewField("n", data.Int64Schema),
	data.NewField("at", data.TimestampSchema))

type counter struct{ sdk.ConnectorBase }

func (counter) Definition() sdk.Definition {
	return sdk.Definition{
		Name: "example-counter", Type: sdk.Source, Version: "1.0.0",
		Description: "Counts: one record a tick, resuming after the last committed number.",
		Config: new(sdk.ConfigDef).
			Define("topic", sdk.TypeString, sdk.High, "Topic to write to.", sdk.Required()).
			Define("interval.ms", sdk.TypeLong, sdk.Medium, "Time between records.", sdk.Default("1000"), sdk.AtLeast(1)).
			Define("count", sdk.TypeLong, sdk.Low, "Stop after this number; 0: never.", sdk.Default("0"), sdk.AtLeast(0)).
			RefuseUnknown(),
	}
}

func (counter) NewSourceTask() sdk.SourceTask { return &task{} }

type task struct {
	topic    string
	interval time.Duration
	next     int64
	count    int64
	part     sdk.Partition
}

func (t *task) Open(_ context.Context, tc sdk.TaskContext) error {
	ms, err := tc.Config.Int64("interval.ms")
	t.count, _ = tc.Config.Int64("count") // Parse checked it
	t.topic, t.interval, t.part = tc.Config.String("topic"), time.Duration(ms)*time.Millisecond, sdk.Partition{"counter": tc.Connector}
	if off, ok := tc.Offset(t.part); ok {
		n, _ := off.Int("n")
		t.next = n + 1
	}
	return err
}

func (t *task) Poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	if t.count > 0 && t.next >= t.count {
		<-ctx.Done() // nothing more to write: idle until the kernel's poll timeout
		return nil, nil
	}
	select {
	case <-ctx.Done():
		return nil, nil
	case now := <-time.After(t.interval):
		n := t.next
		t.next++
		return []sdk.SourceRecord{{
			SourcePartition: t.part, SourceOffset: sdk.IntOffset("n", n), Topic: t.topic,
			Value: data.NewStruct(valueSchema).Put("n", n).Put("at", now), ValueSchema: valueSchema,
		}}, nil
	}
}

func (t *task) Commit(context.Context, []sdk.CommittedOffset) error { return nil }
func (t *task) Close() error                                        { return nil }

func main() { sdk.Serve(counter{}) }
