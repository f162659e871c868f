package conformance

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// sinkTopic is the topic of the kit's synthetic records.
const sinkTopic = "tributary-conformance"

// sinkRecords are synthetic records as the kernel would put them: a string and a struct
// value, each with its schema, at Kafka offsets 0 and 1 of sinkTopic partition 0.
func sinkRecords() []*pluginv1.Record {
	str := func(s string) *pluginv1.Value {
		return &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: s}}
	}
	strSchema := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRING}
	structSchema := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Name: "conformance.Row", Fields: []*pluginv1.SchemaField{
		{Name: "name", Schema: strSchema}, {Name: "n", Schema: &pluginv1.Schema{Type: pluginv1.Schema_TYPE_INT64}}}}
	row := &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{Fields: []*pluginv1.Field{
		{Name: "name", Value: str("row")}, {Name: "n", Value: &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: 42}}}}}}}
	return []*pluginv1.Record{
		{Topic: sinkTopic, Key: str("k0"), KeySchema: strSchema, Value: str("conformance"), ValueSchema: strSchema, KafkaOffset: 0},
		{Topic: sinkTopic, Key: str("k1"), KeySchema: strSchema, Value: row, ValueSchema: structSchema, KafkaOffset: 1},
	}
}

// sink runs the sink task checks on a task opened with cfg.
func (r *run) sink(d *pluginv1.ConnectorDescriptor, cfg map[string]string) {
	h := r.handle()
	ctx, cancel := r.call(0)
	_, err := r.c.Sink.Open(ctx, &pluginv1.OpenSinkRequest{Task: &pluginv1.TaskRef{Handle: h, Connector: "conformance"},
		ConnectorClass: d.GetName(), Config: cfg, Partitions: []*pluginv1.TopicPartition{{Topic: sinkTopic}}})
	cancel()
	if !r.check("sink.open", err, "opened on %s-0", sinkTopic) {
		return
	}
	recs := sinkRecords()
	ctx, cancel = r.call(0)
	_, err = r.c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: h, Records: recs})
	cancel()
	if r.check("sink.put", err, "put %d records (string and struct values)", len(recs)) {
		r.flush(h, int64(len(recs)))
	}
	ctx, cancel = r.call(0)
	_, err = r.c.Sink.Close(ctx, &pluginv1.CloseRequest{Handle: h})
	cancel()
	if err != nil {
		r.add("sink.close", Fail, "%v", err)
		return
	}
	ctx, cancel = r.call(0)
	_, err = r.c.Sink.Put(ctx, &pluginv1.PutRequest{Handle: h, Records: recs})
	cancel()
	if status.Code(err) != codes.NotFound {
		r.add("sink.close", Fail, "a put on the closed task answered %v, want code NotFound", err)
		return
	}
	r.add("sink.close", Pass, "a put on the closed task fails NotFound")
}

// flush asks the task to flush up to next on sinkTopic-0: it may report that offset or
// less, for that partition only.
func (r *run) flush(h string, next int64) {
	ctx, cancel := r.call(0)
	resp, err := r.c.Sink.Flush(ctx, &pluginv1.FlushRequest{Handle: h,
		Offsets: []*pluginv1.TopicPartitionOffset{{Topic: sinkTopic, Offset: next}}})
	cancel()
	if err != nil {
		r.add("sink.flush", Fail, "%v", err)
		return
	}
	for _, o := range resp.GetOffsets() {
		if o.GetTopic() != sinkTopic || o.GetPartition() != 0 {
			r.add("sink.flush", Fail, "reported %s-%d, a partition it was not given", o.GetTopic(), o.GetPartition())
			return
		}
		if o.GetOffset() > next {
			r.add("sink.flush", Fail, "reported offset %d of %s-0, beyond the %d it was given", o.GetOffset(), sinkTopic, next)
			return
		}
	}
	r.add("sink.flush", Pass, "%s", fmt.Sprintf("reported %d offset(s), none beyond those given", len(resp.GetOffsets())))
}
