package herder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

const flushInterval = 50 * time.Millisecond

// harness is one kfake broker, one in-memory state store, the test plugin, and runtimes.
type harness struct {
	t       testing.TB
	cluster *kfake.Cluster
	brokers []string
	store   *state.MemStore
	plugins *testPlugins
	log     *slog.Logger
}

func newHarness(t testing.TB, nodes ...string) *harness {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	h := &harness{t: t, cluster: cluster, brokers: cluster.ListenAddrs(), store: state.NewMemStore(), log: testLogger(t)}
	h.plugins = newTestPlugins(t)
	for _, n := range nodes {
		h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
			Node: &clusterv1.Node{Id: n}}}})
	}
	return h
}

// testLogger logs to the test's output until the test ends.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done && testing.Verbose() {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)

func (h *harness) apply(cmd *clusterv1.Command) uint64 {
	h.t.Helper()
	idx, err := h.store.Apply(context.Background(), cmd)
	if err != nil {
		h.t.Fatalf("apply %v: %v", cmd, err)
	}
	return idx
}

// testNode is one node's task execution: its runtime, and the herder driving it.
type testNode struct {
	*runtime.Runtime
	herder *Herder
}

// SetFenced fences or unfences the node, as its lease does.
func (n *testNode) SetFenced(fenced bool) { n.herder.SetFenced(fenced) }

// start runs a runtime and its herder for node until the test ends; stop ends them early.
func (h *harness) start(node string) (rt *testNode, stop func()) {
	h.t.Helper()
	return h.startWith(node, nil)
}

// startWith is start with the config adjusted by edit.
func (h *harness) startWith(node string, edit func(*runtime.Config)) (rt *testNode, stop func()) {
	h.t.Helper()
	cfg := runtime.Config{NodeID: node, Store: h.store, Plugins: h.plugins, Brokers: h.brokers,
		OffsetFlushInterval: flushInterval, MetadataRefreshInterval: 200 * time.Millisecond, Logger: h.log}
	if edit != nil {
		edit(&cfg)
	}
	r, err := runtime.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	hd, err := New(Config{NodeID: node, Store: cfg.Store, Runtime: r, LeaseUntil: cfg.LeaseUntil, Logger: h.log})
	if err != nil {
		h.t.Fatal(err)
	}
	hd.SetFenced(false) // the tests' nodes hold their lease unless a test says otherwise
	rt = &testNode{Runtime: r, herder: hd}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- r.Run(ctx) }()
	go func() { done <- hd.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			for range 2 {
				select {
				case err := <-done:
					if err != nil {
						h.t.Errorf("Run: %v", err)
					}
				case <-time.After(30 * time.Second):
					h.t.Error("Run did not return 30s after its context ended")
					return
				}
			}
		})
	}
	h.t.Cleanup(stop)
	return rt, stop
}

func (h *harness) putConnector(c *clusterv1.Connector) {
	h.t.Helper()
	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: c}}})
}

func (h *harness) assign(connector string, task int32, node string) {
	h.t.Helper()
	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{
		Assign: []*clusterv1.Assignment{{Task: &clusterv1.TaskID{Connector: connector, Task: task}, Node: node}}}}})
}

func (h *harness) setTarget(connector string, ts clusterv1.TargetState) {
	h.t.Helper()
	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_SetTargetState{SetTargetState: &clusterv1.SetTargetState{
		Name: connector, TargetState: ts}}})
}

func (h *harness) status(connector string, task int32) *clusterv1.TaskStatus {
	var st *clusterv1.TaskStatus
	h.store.Read(func(s *state.State) { st = s.TaskStatus(state.TaskKey{Connector: connector, Task: task}) })
	return st
}

func (h *harness) epoch(connector string, task int32) uint64 {
	var e uint64
	h.store.Read(func(s *state.State) {
		if a := s.Assignment(state.TaskKey{Connector: connector, Task: task}); a != nil {
			e = a.Epoch
		}
	})
	return e
}

func (h *harness) sourceOffset(connector, partition string) string {
	var out string
	h.store.Read(func(s *state.State) {
		for _, o := range s.SourceOffsets(connector) {
			if string(o.Partition) == partition {
				out = string(o.Offset)
			}
		}
	})
	return out
}

func (h *harness) sinkOffsets(connector string) map[int32]int64 {
	out := map[int32]int64{}
	h.store.Read(func(s *state.State) {
		for _, o := range s.SinkOffsets(connector) {
			out[o.Partition] = o.Offset
		}
	})
	return out
}

func (h *harness) saramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V3_6_0_0
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	return c
}

func (h *harness) createTopic(name string, partitions int32) {
	h.t.Helper()
	admin, err := sarama.NewClusterAdmin(h.brokers, h.saramaConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil {
		h.t.Fatal(err)
	}
}

// produce writes n records round-robin over partitions, key "key-<i>", value "val-<i>".
func (h *harness) produce(topic string, partitions int32, n int) {
	h.t.Helper()
	p, err := sarama.NewSyncProducer(h.brokers, h.saramaConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i := range n {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: int32(i) % partitions,
			Key: sarama.StringEncoder(fmt.Sprintf("key-%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("val-%d", i))})
	}
	if err := p.SendMessages(msgs); err != nil {
		h.t.Fatal(err)
	}
}

// read returns the first n records of a partition.
func (h *harness) read(topic string, partition int32, n int) []*sarama.ConsumerMessage {
	h.t.Helper()
	c, err := sarama.NewConsumer(h.brokers, h.saramaConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, partition, sarama.OffsetOldest)
	if err != nil {
		h.t.Fatal(err)
	}
	defer pc.AsyncClose()
	var out []*sarama.ConsumerMessage
	timeout := time.After(20 * time.Second)
	for len(out) < n {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case <-timeout:
			h.t.Fatalf("read %s/%d: %d records after 20s; want %d", topic, partition, len(out), n)
		}
	}
	return out
}

func (h *harness) highWatermarks(topic string, partitions int32) map[int32]int64 {
	h.t.Helper()
	c, err := sarama.NewClient(h.brokers, h.saramaConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Close()
	out := map[int32]int64{}
	for p := range partitions {
		off, err := c.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			h.t.Fatal(err)
		}
		out[p] = off
	}
	return out
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testsvc.Eventually(t, testsvc.WaitLimit, what, cond)
}

// quiet is how long a test gives something that must not happen (a paused task polled, a
// fenced node committing) the chance to happen: several offset flushes.
const quiet = 5 * flushInterval

// never fails t if cond becomes true within quiet; what says what must not happen.
func never(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testsvc.Consistently(t, quiet, "no "+what, func() bool { return !cond() })
}

func taskInfo(rt *testNode, connector string, task int32) (runtime.TaskInfo, bool) {
	for _, ti := range rt.Running() {
		if ti.Key == (state.TaskKey{Connector: connector, Task: task}) {
			return ti, true
		}
	}
	return runtime.TaskInfo{}, false
}

func genConnector(name string, taskConfigs ...map[string]string) *clusterv1.Connector {
	c := &clusterv1.Connector{Name: name, Plugin: "gen", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE,
		Config: map[string]string{"connector.class": "com.example.GenSource",
			"key.converter": "string", "value.converter": "string"}}
	for _, tc := range taskConfigs {
		c.Tasks = append(c.Tasks, &clusterv1.TaskConfig{Config: tc})
	}
	return c
}

func sinkConnector(name, topics string, tasks int) *clusterv1.Connector {
	c := &clusterv1.Connector{Name: name, Plugin: "collect", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SINK,
		Config: map[string]string{"connector.class": "collect", "topics": topics,
			"key.converter": "string", "value.converter": "string"}}
	for range tasks {
		c.Tasks = append(c.Tasks, &clusterv1.TaskConfig{Config: map[string]string{}})
	}
	return c
}

func stateIs(h *harness, connector string, task int32, want clusterv1.TaskState) func() bool {
	return func() bool {
		st := h.status(connector, task)
		return st != nil && st.State == want && st.Epoch == h.epoch(connector, task)
	}
}

// ---- tests ----

func TestSourceRecordsReachKafkaAndOffsetsCommit(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.createTopic("spread", 4)
	const n = 5000
	h.putConnector(genConnector("gen",
		map[string]string{"topic": "src", "name": "g0", "count": fmt.Sprint(n), "batch": "300"},
		map[string]string{"topic": "spread", "name": "g1", "count": "2000"}))
	h.assign("gen", 0, "n1")
	h.assign("gen", 1, "n1")
	rt, stop := h.start("n1")

	last := fmt.Sprintf(`{"n":%d}`, n-1)
	eventually(t, "the state holds the last source offset of task 0", func() bool { return h.sourceOffset("gen", `{"g":"g0"}`) == last })
	eventually(t, "the state holds the last source offset of task 1", func() bool { return h.sourceOffset("gen", `{"g":"g1"}`) == `{"n":1999}` })
	eventually(t, "the plugin is told the last offset", func() bool { off, ok := h.plugins.source.lastCommit(`{"g":"g0"}`); return ok && off == n-1 })
	eventually(t, "task 0 reports RUNNING", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	if st := h.status("gen", 0); st.WorkerId != "n1" {
		t.Errorf("status worker = %q; want n1", st.WorkerId)
	}

	msgs := h.read("src", 0, n)
	for i, m := range msgs {
		if string(m.Value) != fmt.Sprintf("v%d", i) || string(m.Key) != fmt.Sprintf("k%d", i) {
			t.Fatalf("record %d of src/0: key %q value %q; want k%d v%d (in poll order)", i, m.Key, m.Value, i, i)
		}
		if len(m.Headers) != 1 || string(m.Headers[0].Key) != "n" || string(m.Headers[0].Value) != fmt.Sprint(i) {
			t.Fatalf("record %d headers = %v; want n=%d", i, m.Headers, i)
		}
	}
	// Keyed records spread by Kafka's partitioner.
	total := 0
	ref := kgo.StickyKeyPartitioner(nil).ForTopic("spread") // partitions keyed records as Kafka's Java producer
	for p, hw := range h.highWatermarks("spread", 4) {
		for _, m := range h.read("spread", p, int(hw)) {
			if want := int32(ref.Partition(&kgo.Record{Key: m.Key}, 4)); want != p {
				t.Fatalf("key %s in partition %d; Kafka's partitioner puts it in %d", m.Key, p, want)
			}
		}
		total += int(hw)
	}
	if total != 2000 {
		t.Errorf("topic spread holds %d records; want 2000", total)
	}

	ti, ok := taskInfo(rt, "gen", 0)
	if !ok || ti.State != clusterv1.TaskState_TASK_STATE_RUNNING || ti.Records != n || ti.StartCount != 1 || ti.Epoch != h.epoch("gen", 0) {
		t.Errorf("Running() for gen-0 = %+v, %v; want RUNNING, %d records, started once, current epoch", ti, ok, n)
	}

	stop()
	if len(rt.Running()) != 0 {
		t.Errorf("Running() after Run returned = %+v; want nothing", rt.Running())
	}
	if closed := h.plugins.source.closed(); len(closed) != 2 {
		t.Errorf("plugin tasks closed on shutdown: %v; want both", closed)
	}
}

func TestSinkGetsExactlyTheTopicAndCommitsFlushedOffsets(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 3)
	const n = 3000
	h.produce("in", 3, n)
	h.putConnector(sinkConnector("sink", "in", 2))
	h.assign("sink", 0, "n1")
	h.assign("sink", 1, "n1")
	rt, _ := h.start("n1")

	hw := h.highWatermarks("in", 3)
	eventually(t, "the committed sink offsets reach the end of every partition", func() bool {
		got := h.sinkOffsets("sink")
		return len(got) == 3 && got[0] == hw[0] && got[1] == hw[1] && got[2] == hw[2]
	})
	recs := h.plugins.sink.collected()
	if len(recs) != n {
		t.Fatalf("sink received %d records; want exactly %d", len(recs), n)
	}
	seen := map[[2]int64]bool{}
	for _, r := range recs {
		k := [2]int64{int64(r.Partition), r.KafkaOffset}
		if seen[k] {
			t.Fatalf("record %s/%d@%d received twice", r.Topic, r.Partition, r.KafkaOffset)
		}
		seen[k] = true
		i := r.KafkaOffset*3 + int64(r.Partition) // produced round-robin
		if r.Topic != "in" || r.Key.GetStringValue() != fmt.Sprintf("key-%d", i) || r.Value.GetStringValue() != fmt.Sprintf("val-%d", i) {
			t.Fatalf("record %s/%d@%d = %v / %v; want key-%d / val-%d", r.Topic, r.Partition, r.KafkaOffset, r.Key, r.Value, i, i)
		}
		if r.ValueSchema.GetType().String() != "TYPE_STRING" || !r.ValueSchema.GetOptional() {
			t.Fatalf("value schema %v; want StringConverter's optional string", r.ValueSchema)
		}
		if r.TimestampMs == 0 {
			t.Fatalf("record %d has no timestamp", r.KafkaOffset)
		}
	}
	// Partitions are split by sorted index modulo the task count.
	sink := h.plugins.sink
	sink.mu.Lock()
	opens := map[string]string{}
	for handle, parts := range sink.opens {
		var ps []string
		for _, p := range parts {
			ps = append(ps, fmt.Sprintf("%s/%d", p.Topic, p.Partition))
		}
		opens[handle[:strings.LastIndex(handle, "/")]] = strings.Join(ps, ",")
	}
	flushes := sink.flushes
	sink.mu.Unlock()
	if opens["sink/0"] != "in/0,in/2" || opens["sink/1"] != "in/1" {
		t.Errorf("partitions opened per task = %v; want sink/0: in/0,in/2 and sink/1: in/1", opens)
	}
	if flushes == 0 {
		t.Error("the plugin was never flushed")
	}
	for task := int32(0); task < 2; task++ {
		eventually(t, fmt.Sprintf("sink task %d reports RUNNING", task), stateIs(h, "sink", task, clusterv1.TaskState_TASK_STATE_RUNNING))
		ti, _ := taskInfo(rt, "sink", task)
		if want := map[int32]int64{0: hw[0] + hw[2], 1: hw[1]}[task]; ti.Records != want {
			t.Errorf("task %d processed %d records; want %d", task, ti.Records, want)
		}
	}
}

func TestStaleEpochStopsTask(t *testing.T) {
	h := newHarness(t, "n1", "n2")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "20", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "the task runs and commits", func() bool {
		return h.sourceOffset("gen", `{"g":"g0"}`) != "" && stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING)()
	})
	ti, _ := taskInfo(rt, "gen", 0)
	oldHandle := fmt.Sprintf("gen/0/%d", ti.Epoch)

	h.assign("gen", 0, "n2") // moved: a new epoch, on another node
	eventually(t, "the task stops on n1", func() bool { return len(rt.Running()) == 0 })
	eventually(t, "the plugin task is closed", func() bool { return slices.Contains(h.plugins.source.closed(), oldHandle) })
	frozen := h.sourceOffset("gen", `{"g":"g0"}`)
	never(t, "offset commit after the task was moved away", func() bool { return h.sourceOffset("gen", `{"g":"g0"}`) != frozen })
	if st := h.status("gen", 0); st.WorkerId != "n2" || st.State != clusterv1.TaskState_TASK_STATE_UNASSIGNED {
		t.Errorf("status = %v; want the new owner's UNASSIGNED on n2, not overwritten by n1", st)
	}
	if n := rt.Starts()[state.TaskKey{Connector: "gen", Task: 0}]; n != 1 {
		t.Errorf("n1 started the task %d times; want 1", n)
	}
}

func TestPauseKeepsTaskOpenAndResumeContinues(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "10", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	h.createTopic("in", 1)
	h.produce("in", 1, 10)
	h.putConnector(sinkConnector("sink", "in", 1))
	h.assign("sink", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "the source runs", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	eventually(t, "the sink has the first records", func() bool { return len(h.plugins.sink.collected()) == 10 })

	h.setTarget("gen", clusterv1.TargetState_TARGET_STATE_PAUSED)
	h.setTarget("sink", clusterv1.TargetState_TARGET_STATE_PAUSED)
	eventually(t, "the source reports PAUSED", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_PAUSED))
	eventually(t, "the sink reports PAUSED", stateIs(h, "sink", 0, clusterv1.TaskState_TASK_STATE_PAUSED))
	eventually(t, "a poll in flight when the pause landed completes", func() bool { return h.plugins.source.pollsInFlight() == 0 })
	polls := h.plugins.source.pollCount()
	h.produce("in", 1, 10)
	never(t, "poll of the paused source", func() bool { return h.plugins.source.pollCount() != polls })
	never(t, "record given to the paused sink", func() bool { return len(h.plugins.sink.collected()) != 10 })
	if closed := h.plugins.source.closed(); len(closed) != 0 {
		t.Errorf("pausing closed plugin tasks %v; want them kept open", closed)
	}
	if ti, _ := taskInfo(rt, "gen", 0); ti.State != clusterv1.TaskState_TASK_STATE_PAUSED {
		t.Errorf("Running() state = %v; want PAUSED", ti.State)
	}

	h.setTarget("gen", clusterv1.TargetState_TARGET_STATE_RUNNING)
	h.setTarget("sink", clusterv1.TargetState_TARGET_STATE_RUNNING)
	eventually(t, "the source reports RUNNING", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	eventually(t, "the source is polled again", func() bool { return h.plugins.source.pollCount() > polls+2 })
	eventually(t, "the sink gets the records produced while paused", func() bool { return len(h.plugins.sink.collected()) == 20 })
	for _, k := range []string{"gen", "sink"} {
		if ti, _ := taskInfo(rt, k, 0); ti.StartCount != 1 {
			t.Errorf("%s was started %d times; want once (pause and resume do not restart)", k, ti.StartCount)
		}
	}
}

func TestFailingPutMarksTaskFailedUntilRestart(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("bad", 1)
	h.produce("bad", 1, 10)
	h.plugins.sink.setFailPut(status.Error(codes.Internal, "disk full"))
	h.putConnector(sinkConnector("sinkf", "bad", 1))
	h.assign("sinkf", 0, "n1")
	rt, _ := h.start("n1")

	eventually(t, "the task reports FAILED", stateIs(h, "sinkf", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	trace := h.status("sinkf", 0).Trace
	for _, want := range []string{`connector "sinkf" task 0`, "stage TASK_PUT", `topic "bad" partition 0 offset 0`, "disk full"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace %q does not mention %q", trace, want)
		}
	}
	never(t, "restart of the FAILED task", func() bool { ti, _ := taskInfo(rt, "sinkf", 0); return ti.StartCount != 1 })
	ti, _ := taskInfo(rt, "sinkf", 0)
	if ti.State != clusterv1.TaskState_TASK_STATE_FAILED || ti.StartCount != 1 || ti.Trace != trace {
		t.Errorf("Running() = %+v; want FAILED with the same trace, never restarted", ti)
	}
	if got := h.sinkOffsets("sinkf"); len(got) != 0 {
		t.Errorf("offsets committed for records never put: %v", got)
	}

	// A restart request gives the task a new epoch: it runs again from the committed offsets.
	h.plugins.sink.setFailPut(nil)
	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_RestartTasks{RestartTasks: &clusterv1.RestartTasks{
		Tasks: []*clusterv1.TaskID{{Connector: "sinkf", Task: 0}}}}})
	eventually(t, "the restarted task reports RUNNING", stateIs(h, "sinkf", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	eventually(t, "the records are put and committed", func() bool { return h.sinkOffsets("sinkf")[0] == 10 })
	if ti, _ := taskInfo(rt, "sinkf", 0); ti.StartCount != 2 {
		t.Errorf("StartCount = %d; want 2", ti.StartCount)
	}
}

func TestPluginRestartResumesFromCommittedOffsets(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	const n = 3000
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "count": fmt.Sprint(n), "batch": "50", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "some offsets are committed", func() bool { return h.sourceOffset("gen", `{"g":"g0"}`) != "" })

	h.plugins.crash()
	eventually(t, "the task reports the plugin's exit", func() bool {
		st := h.status("gen", 0)
		return st.State == clusterv1.TaskState_TASK_STATE_FAILED && strings.Contains(st.Trace, "plugin "+testBinary+" exited")
	})
	h.plugins.restart()
	eventually(t, "the task runs again", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	eventually(t, "every offset is committed", func() bool { return h.sourceOffset("gen", `{"g":"g0"}`) == fmt.Sprintf(`{"n":%d}`, n-1) })

	// At least once: every record is in the topic, in order, possibly some twice.
	hw := h.highWatermarks("src", 1)[0]
	next := 0
	for _, m := range h.read("src", 0, int(hw)) {
		var i int
		fmt.Sscanf(string(m.Value), "v%d", &i)
		if i > next {
			t.Fatalf("record v%d follows v%d: records v%d..v%d are missing", i, next-1, next, i-1)
		}
		if i == next {
			next++
		}
	}
	if next != n {
		t.Errorf("the topic holds v0..v%d; want v0..v%d", next-1, n-1)
	}
	if ti, _ := taskInfo(rt, "gen", 0); ti.StartCount != 1 {
		t.Errorf("StartCount = %d; want 1 (a plugin restart re-opens the same instance)", ti.StartCount)
	}
}

func TestFencedNodeStopsTasksAndStartsNone(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "batch": "10", "sleep.ms": "5"}))
	h.assign("gen", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "the task runs", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))

	rt.SetFenced(true)
	if got := rt.Running(); len(got) != 0 {
		t.Fatalf("Running() after SetFenced(true) = %+v; want nothing", got)
	}
	if len(h.plugins.source.closed()) != 1 {
		t.Errorf("plugin tasks closed: %v; want the fenced one", h.plugins.source.closed())
	}
	frozen := h.sourceOffset("gen", `{"g":"g0"}`)
	h.setTarget("gen", clusterv1.TargetState_TARGET_STATE_RUNNING) // a state change: reconcile runs
	never(t, "task started on a fenced node", func() bool { return len(rt.Running()) != 0 })
	if got := h.sourceOffset("gen", `{"g":"g0"}`); got != frozen {
		t.Errorf("a fenced node committed offsets: %s -> %s", frozen, got)
	}

	rt.SetFenced(false)
	eventually(t, "the task runs again", func() bool { ti, ok := taskInfo(rt, "gen", 0); return ok && ti.StartCount == 2 })
	eventually(t, "it reports RUNNING", stateIs(h, "gen", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
}

func TestSinkTopicsRegexPicksUpNewTopics(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("re-a", 1)
	h.produce("re-a", 1, 5)
	c := sinkConnector("sinkre", "", 1)
	delete(c.Config, "topics")
	c.Config["topics.regex"] = "re-.*"
	h.putConnector(c)
	h.assign("sinkre", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "re-a is read and committed", func() bool { return h.sinkOffsets("sinkre")[0] == 5 })

	h.createTopic("re-b", 2)
	h.produce("re-b", 2, 6)
	eventually(t, "re-b is found and read", func() bool { return len(h.plugins.sink.collected()) == 11 })
	eventually(t, "re-b's offsets are committed", func() bool {
		var got []string
		h.store.Read(func(s *state.State) {
			for _, o := range s.SinkOffsets("sinkre") {
				got = append(got, fmt.Sprintf("%s/%d=%d", o.Topic, o.Partition, o.Offset))
			}
		})
		return strings.Join(got, " ") == "re-a/0=5 re-b/0=3 re-b/1=3"
	})
	if ti, _ := taskInfo(rt, "sinkre", 0); ti.StartCount != 1 || ti.State != clusterv1.TaskState_TASK_STATE_RUNNING {
		t.Errorf("Running() = %+v; want RUNNING, started once (new partitions re-open the plugin task in place)", ti)
	}
	// Two more records on re-a: once they arrive, anything the re-open re-read from re-a
	// (which comes before them in the partition) has arrived too.
	h.produce("re-a", 1, 2)
	var reA []int64
	eventually(t, "the records added to re-a after the re-open arrive", func() bool {
		reA = reA[:0]
		for _, r := range h.plugins.sink.collected() {
			if r.Topic == "re-a" {
				reA = append(reA, r.KafkaOffset)
			}
		}
		return slices.Contains(reA, 6)
	})
	if fmt.Sprint(reA) != "[0 1 2 3 4 5 6]" {
		t.Errorf("re-a offsets delivered %v; want each of 0-6 once (the re-open resumes from the committed offsets)", reA)
	}
}

func stateName(s clusterv1.TaskState) string { return strings.TrimPrefix(s.String(), "TASK_STATE_") }
