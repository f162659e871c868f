package admin

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// commit commits offsets for task 0 of connector under its current epoch, as the runtime
// would.
func (f *fixture) commit(t *testing.T, connector string, source []*clusterv1.SourceOffset, sink []*clusterv1.SinkOffset) {
	t.Helper()
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: []*clusterv1.TaskOffsets{
		{Task: &clusterv1.TaskID{Connector: connector}, Epoch: f.epoch(connector, 0), Source: source, Sink: sink}}}}})
}

func (f *fixture) offsets(t *testing.T, name string) *adminv1.Offsets {
	t.Helper()
	got, err := f.svc.GetOffsets(ctx, &adminv1.ConnectorRequest{Name: name})
	if err != nil {
		t.Fatalf("GetOffsets(%s): %v", name, err)
	}
	return got
}

// setTarget stops, pauses or resumes (RUNNING) a connector through the service.
func (f *fixture) setTarget(t *testing.T, name, target string) {
	t.Helper()
	op := map[string]func(context.Context, *adminv1.ConnectorRequest) (*adminv1.Empty, error){
		"STOPPED": f.svc.StopConnector, "PAUSED": f.svc.PauseConnector, "RUNNING": f.svc.ResumeConnector}[target]
	if _, err := op(ctx, &adminv1.ConnectorRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
}

func alterReq(name string, kv ...string) *adminv1.AlterOffsetsRequest {
	req := &adminv1.AlterOffsetsRequest{Name: name}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Offsets = append(req.Offsets, &adminv1.Offset{Partition: kv[i], Offset: kv[i+1]})
	}
	return req
}

// wantStatus checks an error's gRPC code and exact message.
func wantStatus(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code || st.Message() != msg {
		t.Errorf("%s:\n got  %v %q\n want %v %q", what, st.Code(), st.Message(), code, msg)
	}
}

func TestOffsetsReadAlterReset(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig("tasks.max", "1"))
	f.create(t, "snk", map[string]string{"connector.class": "file-sink", "file": "/x", "topics": "a"})
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING)
	f.place(t, "node-2", "snk", clusterv1.TaskState_TASK_STATE_RUNNING)
	f.commit(t, "src", []*clusterv1.SourceOffset{{Partition: []byte(`{"filename":"/tmp/in.txt"}`), Offset: []byte(`{"position":42}`)}}, nil)
	f.commit(t, "snk", nil, []*clusterv1.SinkOffset{{Topic: "a", Partition: 0, Offset: 10}, {Topic: "a", Partition: 1, Offset: 7}})

	wantProto(t, "source offsets", f.offsets(t, "src"), &adminv1.Offsets{Offsets: []*adminv1.Offset{
		{Partition: `{"filename":"/tmp/in.txt"}`, Offset: `{"position":42}`}}})
	wantProto(t, "sink offsets", f.offsets(t, "snk"), &adminv1.Offsets{Offsets: []*adminv1.Offset{
		{Partition: `{"kafka_topic":"a","kafka_partition":0}`, Offset: `{"kafka_offset":10}`},
		{Partition: `{"kafka_topic":"a","kafka_partition":1}`, Offset: `{"kafka_offset":7}`}}})

	f.setTarget(t, "snk", "STOPPED")
	f.setTarget(t, "src", "STOPPED")
	// Offsets read the same while STOPPED.
	wantProto(t, "sink offsets while STOPPED", f.offsets(t, "snk"), &adminv1.Offsets{Offsets: []*adminv1.Offset{
		{Partition: `{"kafka_topic":"a","kafka_partition":0}`, Offset: `{"kafka_offset":10}`},
		{Partition: `{"kafka_topic":"a","kafka_partition":1}`, Offset: `{"kafka_offset":7}`}}})

	msg, err := f.svc.AlterOffsets(ctx, alterReq("snk",
		`{"kafka_topic":"a","kafka_partition":0}`, `{"kafka_offset":3}`,
		`{"kafka_topic":"a","kafka_partition":1}`, `null`,
		`{"kafka_partition":"2","kafka_topic":"b"}`, `{"kafka_offset":"5"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantProto(t, "AlterOffsets answer", msg, &adminv1.Message{Message: "The offsets for this connector have been altered successfully"})
	wantProto(t, "altered sink offsets", f.offsets(t, "snk"), &adminv1.Offsets{Offsets: []*adminv1.Offset{
		{Partition: `{"kafka_topic":"a","kafka_partition":0}`, Offset: `{"kafka_offset":3}`},
		{Partition: `{"kafka_topic":"b","kafka_partition":2}`, Offset: `{"kafka_offset":5}`}}})

	// A partition spelled differently still names the stored one; a new one is stored in
	// the canonical spelling a plugin's SDK writes.
	if _, err := f.svc.AlterOffsets(ctx, alterReq("src",
		`{ "filename" : "/tmp/in.txt" }`, `{"position": 7}`,
		`{"filename":"/tmp/b.txt","shard":1}`, `{"position":1}`)); err != nil {
		t.Fatal(err)
	}
	wantProto(t, "altered source offsets", f.offsets(t, "src"), &adminv1.Offsets{Offsets: []*adminv1.Offset{
		{Partition: `{"filename":"/tmp/b.txt","shard":1}`, Offset: `{"position":1}`},
		{Partition: `{"filename":"/tmp/in.txt"}`, Offset: `{"position": 7}`}}})
	if _, err := f.svc.AlterOffsets(ctx, alterReq("src", `{"shard":1,"filename":"/tmp/b.txt"}`, `null`)); err != nil {
		t.Fatal(err)
	}
	wantProto(t, "source offsets after a null offset", f.offsets(t, "src"), &adminv1.Offsets{Offsets: []*adminv1.Offset{
		{Partition: `{"filename":"/tmp/in.txt"}`, Offset: `{"position": 7}`}}})

	for _, name := range []string{"src", "snk"} {
		msg, err := f.svc.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		wantProto(t, "ResetOffsets answer", msg, &adminv1.Message{Message: "The offsets for this connector have been reset successfully"})
		if got := f.offsets(t, name); len(got.Offsets) != 0 {
			t.Errorf("offsets of %s after reset: %v", name, got.Offsets)
		}
	}
	// Resetting no offsets is no error.
	if _, err := f.svc.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
		t.Errorf("second reset: %v", err)
	}
}

func TestOffsetsChangeOnlyWhenStopped(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig("tasks.max", "1"))
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING)
	f.commit(t, "src", []*clusterv1.SourceOffset{{Partition: []byte(`{"filename":"/tmp/in.txt"}`), Offset: []byte(`{"position":42}`)}}, nil)
	before := f.offsets(t, "src")

	alter := func() error {
		_, err := f.svc.AlterOffsets(ctx, alterReq("src", `{"filename":"/tmp/in.txt"}`, `{"position":0}`))
		return err
	}
	reset := func() error {
		_, err := f.svc.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: "src"})
		return err
	}
	// Malformed offsets to a running connector: the answer is still "stop it first", as
	// upstream checks the state before the offsets.
	malformed := func() error {
		_, err := f.svc.AlterOffsets(ctx, alterReq("src", `[1]`, `{}`))
		return err
	}
	for _, target := range []string{"RUNNING", "PAUSED"} {
		f.setTarget(t, "src", target)
		for what, call := range map[string]func() error{"AlterOffsets": alter, "ResetOffsets": reset, "AlterOffsets(malformed)": malformed} {
			wantStatus(t, what+" while "+target, call(), codes.FailedPrecondition, "Connectors must be in the STOPPED state before their offsets can be modified. "+
				"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint")
		}
	}
	wantProto(t, "offsets after refusals", f.offsets(t, "src"), before)

	_, err := f.svc.AlterOffsets(ctx, alterReq("ghost", `{"a":1}`, `{"b":1}`))
	wantStatus(t, "AlterOffsets(ghost)", err, codes.NotFound, "Connector ghost not found")
	_, err = f.svc.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: "ghost"})
	wantStatus(t, "ResetOffsets(ghost)", err, codes.NotFound, "Connector ghost not found")
	// As upstream, an empty request is refused before anything else is looked at.
	_, err = f.svc.AlterOffsets(ctx, alterReq("ghost"))
	wantStatus(t, "AlterOffsets with no offsets", err, codes.InvalidArgument, "Partitions / offsets need to be provided for an alter offsets request")

	// The state machine refuses too: a connector resumed between the check and the
	// command is answered the same way.
	f.setTarget(t, "src", "STOPPED")
	_, err = f.store.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_SetTargetState{SetTargetState: &clusterv1.SetTargetState{
		Name: "src", TargetState: clusterv1.TargetState_TARGET_STATE_RUNNING}}})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "applyOffsets racing a resume", f.svc.applyOffsets(ctx, "src", &clusterv1.AlterOffsets{Connector: "src", ResetOffsets: true}),
		codes.FailedPrecondition, "Connectors must be in the STOPPED state before their offsets can be modified. "+
			"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint")
}

func TestAlterOffsetsShapes(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig("tasks.max", "1"))
	f.create(t, "snk", map[string]string{"connector.class": "file-sink", "file": "/x", "topics": "a"})
	f.setTarget(t, "src", "STOPPED")
	f.setTarget(t, "snk", "STOPPED")
	const sinkP = `{"kafka_topic":"a","kafka_partition":0}`
	tests := []struct {
		name, connector    string
		partition, offset  string
		code               codes.Code
		msg                string // when code is not OK
		wantPart, wantOffs string // the stored offset when code is OK; "" offset for none
	}{
		// Sinks: Kafka Connect's SinkUtils rules and messages.
		{"sink", "snk", sinkP, `{"kafka_offset":4}`, codes.OK, "", sinkP, `{"kafka_offset":4}`},
		{"sink numbers as strings", "snk", `{"kafka_topic":"a","kafka_partition":"0"}`, `{"kafka_offset":"9"}`, codes.OK, "", sinkP, `{"kafka_offset":9}`},
		{"sink offset 0", "snk", sinkP, `{"kafka_offset":0}`, codes.OK, "", sinkP, `{"kafka_offset":0}`},
		{"sink null offset removes", "snk", sinkP, `null`, codes.OK, "", "", ""},
		{"sink missing offset removes", "snk", sinkP, ``, codes.OK, "", "", ""},
		{"sink missing partition", "snk", ``, `{"kafka_offset":1}`, codes.InvalidArgument,
			"The partition for a sink connector offset cannot be null or missing", "", ""},
		{"sink null partition", "snk", `null`, `null`, codes.InvalidArgument,
			"The partition for a sink connector offset cannot be null or missing", "", ""},
		{"sink partition not an object", "snk", `"a-0"`, `{"kafka_offset":1}`, codes.InvalidArgument,
			`The partition for a sink connector offset must be a JSON object with the keys 'kafka_topic' and 'kafka_partition', got "a-0"`, "", ""},
		{"sink partition without kafka_partition", "snk", `{"kafka_topic":"a"}`, `{"kafka_offset":1}`, codes.InvalidArgument,
			"The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'", "", ""},
		{"sink partition with another key", "snk", `{"topic":"a","partition":0}`, `{"kafka_offset":1}`, codes.InvalidArgument,
			"The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'", "", ""},
		{"sink null topic", "snk", `{"kafka_topic":null,"kafka_partition":0}`, `{"kafka_offset":1}`, codes.InvalidArgument,
			"Kafka topic names must be valid strings and may not be null", "", ""},
		{"sink null partition number", "snk", `{"kafka_topic":"a","kafka_partition":null}`, `{"kafka_offset":1}`, codes.InvalidArgument,
			"Kafka partitions must be valid numbers and may not be null", "", ""},
		{"sink partition not a number", "snk", `{"kafka_topic":"a","kafka_partition":"zero"}`, `{"kafka_offset":1}`, codes.InvalidArgument,
			"Failed to parse the following Kafka partition value in the provided offsets: 'zero'. Partition values for sink connectors need to be non-negative integers.", "", ""},
		{"sink negative partition", "snk", `{"kafka_topic":"a","kafka_partition":-1}`, `{"kafka_offset":1}`, codes.InvalidArgument,
			"Failed to parse the following Kafka partition value in the provided offsets: '-1'. Partition values for sink connectors need to be non-negative integers.", "", ""},
		{"sink offset without kafka_offset", "snk", sinkP, `{"offset":1}`, codes.InvalidArgument,
			"The offset for a sink connector should either be null or contain the key 'kafka_offset'", "", ""},
		{"sink offset not an object", "snk", sinkP, `5`, codes.InvalidArgument,
			"The offset for a sink connector should either be null or contain the key 'kafka_offset'", "", ""},
		{"sink offset not a number", "snk", sinkP, `{"kafka_offset":"ten"}`, codes.InvalidArgument,
			"Failed to parse the following Kafka offset value in the provided offsets: 'ten'. Offset values for sink connectors need to be non-negative integers.", "", ""},
		{"sink fractional offset", "snk", sinkP, `{"kafka_offset":1.5}`, codes.InvalidArgument,
			"Failed to parse the following Kafka offset value in the provided offsets: '1.5'. Offset values for sink connectors need to be non-negative integers.", "", ""},
		{"sink negative offset", "snk", sinkP, `{"kafka_offset":-5}`, codes.InvalidArgument,
			"Failed to parse the following Kafka offset value in the provided offsets: '-5'. Offset values for sink connectors need to be non-negative integers.", "", ""},

		// Sources: JSON objects, or a null offset.
		{"source", "src", `{"filename":"/f"}`, `{"position":12}`, codes.OK, "", `{"filename":"/f"}`, `{"position":12}`},
		{"source null offset removes", "src", `{"filename":"/f"}`, `null`, codes.OK, "", "", ""},
		{"source missing partition", "src", ``, `{"position":1}`, codes.InvalidArgument,
			"The partition for a source connector offset cannot be null or missing", "", ""},
		{"source partition not an object", "src", `["/f"]`, `{"position":1}`, codes.InvalidArgument,
			`The partition for a source connector offset must be a JSON object, got ["/f"]`, "", ""},
		{"source offset not an object", "src", `{"filename":"/f"}`, `12`, codes.InvalidArgument,
			"The offset for a source connector must either be null or a JSON object, got 12", "", ""},
		{"source offset not JSON", "src", `{"filename":"/f"}`, `{position: 1}`, codes.InvalidArgument,
			"The offset for a source connector must either be null or a JSON object, got {position: 1}", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: tt.connector}); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.AlterOffsets(ctx, alterReq(tt.connector, tt.partition, tt.offset))
			if tt.code != codes.OK {
				wantStatus(t, "AlterOffsets", err, tt.code, tt.msg)
				if got := f.offsets(t, tt.connector); len(got.Offsets) != 0 {
					t.Errorf("a refused alter changed the offsets: %v", got.Offsets)
				}
				return
			}
			if err != nil {
				t.Fatalf("AlterOffsets: %v", err)
			}
			want := &adminv1.Offsets{}
			if tt.wantOffs != "" {
				want.Offsets = []*adminv1.Offset{{Partition: tt.wantPart, Offset: tt.wantOffs}}
			}
			wantProto(t, "offsets", f.offsets(t, tt.connector), want)
		})
	}
}

// A connector deleted and created again under its name starts with no offsets; the way
// to carry on from chosen positions is to create it STOPPED, set them, and resume it.
func TestRecreatedConnectorStartsWithoutOffsetsUnlessAsked(t *testing.T) {
	f := newFixture(t)
	f.create(t, "src", sourceConfig("tasks.max", "1"))
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING)
	part := `{"filename":"/tmp/in.txt"}`
	f.commit(t, "src", []*clusterv1.SourceOffset{{Partition: []byte(part), Offset: []byte(`{"position":42}`)}}, nil)

	del := func() {
		t.Helper()
		if _, err := f.svc.DeleteConnector(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil {
			t.Fatal(err)
		}
	}
	del()
	f.create(t, "src", sourceConfig("tasks.max", "1"))
	if got := f.offsets(t, "src"); len(got.Offsets) != 0 {
		t.Fatalf("a connector created again under its old name has offsets %v; want none", got.Offsets)
	}

	del()
	if _, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "src", Config: sourceConfig("tasks.max", "1"), InitialState: "STOPPED"}); err != nil {
		t.Fatal(err)
	}
	st, _ := f.svc.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: "src"})
	if st.Connector.State != "STOPPED" || len(st.Tasks) != 0 || len(f.offsets(t, "src").Offsets) != 0 {
		t.Fatalf("created STOPPED: status %v, offsets %v", st, f.offsets(t, "src"))
	}
	if _, err := f.svc.AlterOffsets(ctx, alterReq("src", part, `{"position":40}`)); err != nil {
		t.Fatal(err)
	}
	f.setTarget(t, "src", "RUNNING")
	wantProto(t, "offsets once resumed", f.offsets(t, "src"), &adminv1.Offsets{Offsets: []*adminv1.Offset{{Partition: part, Offset: `{"position":40}`}}})
	if st, _ := f.svc.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: "src"}); st.Connector.State != "RUNNING" || len(st.Tasks) != 1 {
		t.Errorf("resumed: %v", st)
	}
}
