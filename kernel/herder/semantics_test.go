package herder

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/kafka"
	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Tests of the Kafka Connect semantics the runtime owns: error tolerance, retries, the
// dead letter queue, transforms on both paths, header conversion, topic creation and
// config providers.

// jsonSink is a one-task sink reading topics with a schemaless JsonConverter for values.
func jsonSink(name, topics string, extra map[string]string) *clusterv1.Connector {
	c := sinkConnector(name, topics, 1)
	c.Config["value.converter"] = "org.apache.kafka.connect.json.JsonConverter"
	c.Config["value.converter.schemas.enable"] = "false"
	maps.Copy(c.Config, extra)
	return c
}

// produceMsgs writes msgs in order to partition 0 of their topic.
func (h *harness) produceMsgs(msgs ...*sarama.ProducerMessage) {
	h.t.Helper()
	p, err := sarama.NewSyncProducer(h.brokers, h.saramaConfig())
	if err != nil {
		h.t.Fatal(err)
	}
	defer p.Close()
	if err := p.SendMessages(msgs); err != nil {
		h.t.Fatal(err)
	}
}

func jsonMsg(topic string, i int) *sarama.ProducerMessage {
	return &sarama.ProducerMessage{Topic: topic, Partition: 0, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)),
		Value: sarama.StringEncoder(fmt.Sprintf(`{"i":%d}`, i))}
}

// collectedI returns the "i" field of every record the sink got, in order.
func collectedI(h *harness) []int64 {
	var out []int64
	for _, r := range h.plugins.sink.collected() {
		for _, e := range r.GetValue().GetMapValue().GetEntries() {
			if e.GetKey().GetStringValue() == "i" {
				out = append(out, e.GetValue().GetIntValue())
			}
		}
	}
	return out
}

func headerMap(hs []*sarama.RecordHeader) map[string]string {
	out := map[string]string{}
	for _, h := range hs {
		out[string(h.Key)] = string(h.Value)
	}
	return out
}

func TestSinkToleranceNoneFailsNamingTheRecordAndLosesNothing(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 1)
	var msgs []*sarama.ProducerMessage
	for i := range 10 {
		m := jsonMsg("in", i)
		if i == 3 {
			m.Value = sarama.StringEncoder("not json")
		}
		msgs = append(msgs, m)
	}
	h.produceMsgs(msgs...)
	c := jsonSink("tol", "in", nil)
	h.putConnector(c)
	h.assign("tol", 0, "n1")
	rt, _ := h.start("n1")

	eventually(t, "the task reports FAILED", stateIs(h, "tol", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	trace := h.status("tol", 0).Trace
	for _, want := range []string{"Tolerance exceeded in error handler", "stage VALUE_CONVERTER",
		"org.apache.kafka.connect.json.JsonConverter", `topic "in" partition 0 offset 3`} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace %q does not mention %q", trace, want)
		}
	}
	// What came before the poison record is put and committed; nothing after it is.
	eventually(t, "the records before the poison are committed", func() bool { return h.sinkOffsets("tol")[0] == 3 })
	if got := collectedI(h); fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("the sink got %v; want [0 1 2]", got)
	}

	// Fixed by tolerating errors: a new config restarts the task where it stopped.
	c.Config["errors.tolerance"] = "all"
	h.putConnector(c)
	eventually(t, "the task runs again", stateIs(h, "tol", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	eventually(t, "everything is committed", func() bool { return h.sinkOffsets("tol")[0] == 10 })
	if got := collectedI(h); fmt.Sprint(got) != "[0 1 2 4 5 6 7 8 9]" {
		t.Errorf("the sink got %v; want every good record once, in order", got)
	}
	ti, _ := taskInfo(rt, "tol", 0)
	if ti.Failures != 1 || ti.Skipped != 1 || ti.DeadLettered != 0 {
		t.Errorf("failures %d, skipped %d, dead-lettered %d; want 1, 1, 0", ti.Failures, ti.Skipped, ti.DeadLettered)
	}
}

func TestSinkDeadLetterQueueGetsOriginalRecordWithContextHeaders(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("orders", 1)
	var msgs []*sarama.ProducerMessage
	for i := range 8 {
		m := jsonMsg("orders", i)
		switch i {
		case 2: // not JSON: fails the value converter
			m.Value = sarama.StringEncoder("{bad")
			m.Headers = []sarama.RecordHeader{{Key: []byte("trace-id"), Value: []byte("abc")}}
		case 5: // valid, but the plugin refuses it
			m.Value = sarama.StringEncoder(`{"i":5,"poison":true}`)
		}
		msgs = append(msgs, m)
	}
	h.produceMsgs(msgs...)
	h.plugins.sink.setPutHook(func(req *pluginv1.PutRequest) error {
		for _, r := range req.Records {
			for _, e := range r.GetValue().GetMapValue().GetEntries() {
				if e.GetKey().GetStringValue() == "poison" {
					return status.Error(codes.InvalidArgument, "record is poison")
				}
			}
		}
		return nil
	})
	h.putConnector(jsonSink("dlqs", "orders", map[string]string{
		"errors.tolerance":                              "all",
		"errors.deadletterqueue.topic.name":             "orders-dlq",
		"errors.deadletterqueue.context.headers.enable": "true",
		"errors.log.enable":                             "true",
	}))
	h.assign("dlqs", 0, "n1")
	rt, _ := h.start("n1")

	eventually(t, "everything is committed", func() bool { return h.sinkOffsets("dlqs")[0] == 8 })
	if got := collectedI(h); fmt.Sprint(got) != "[0 1 3 4 6 7]" {
		t.Errorf("the sink got %v; want every good record once, in order", got)
	}
	if st := h.status("dlqs", 0); st.State != clusterv1.TaskState_TASK_STATE_RUNNING {
		t.Errorf("status %v; want RUNNING", st)
	}
	ti, _ := taskInfo(rt, "dlqs", 0)
	if ti.Failures != 2 || ti.DeadLettered != 2 || ti.Skipped != 0 {
		t.Errorf("failures %d, dead-lettered %d, skipped %d; want 2, 2, 0", ti.Failures, ti.DeadLettered, ti.Skipped)
	}
	if hw := h.highWatermarks("orders-dlq", 1); hw[0] != 2 {
		t.Fatalf("the dead letter queue holds %d records; want 2", hw[0])
	}
	dead := h.read("orders-dlq", 0, 2)
	first, second := dead[0], dead[1]
	if string(first.Key) != "k2" || string(first.Value) != "{bad" || !first.Timestamp.Equal(msgs[2].Timestamp) && first.Timestamp.IsZero() {
		t.Errorf("dead-lettered record = key %q value %q; want the original k2 / {bad", first.Key, first.Value)
	}
	if len(first.Headers) == 0 || string(first.Headers[0].Key) != "trace-id" || string(first.Headers[0].Value) != "abc" {
		t.Errorf("the original headers do not come first: %v", headerMap(first.Headers))
	}
	want := map[string]string{
		"trace-id":                              "abc",
		"__connect.errors.topic":                "orders",
		"__connect.errors.partition":            "0",
		"__connect.errors.offset":               "2",
		"__connect.errors.connector.name":       "dlqs",
		"__connect.errors.task.id":              "0",
		"__connect.errors.stage":                "VALUE_CONVERTER",
		"__connect.errors.class.name":           "org.apache.kafka.connect.json.JsonConverter",
		"__connect.errors.exception.class.name": "org.apache.kafka.connect.errors.DataException",
	}
	got := headerMap(first.Headers)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("header %s = %q; want %q", k, got[k], v)
		}
	}
	if got["__connect.errors.exception.message"] == "" || !strings.HasPrefix(got["__connect.errors.exception.stacktrace"], "org.apache.kafka.connect.errors.DataException: ") {
		t.Errorf("exception message %q, stacktrace %q; want both", got["__connect.errors.exception.message"], got["__connect.errors.exception.stacktrace"])
	}
	got = headerMap(second.Headers)
	if string(second.Value) != `{"i":5,"poison":true}` || got["__connect.errors.offset"] != "5" || got["__connect.errors.stage"] != "TASK_PUT" ||
		got["__connect.errors.class.name"] != "collect" || got["__connect.errors.exception.message"] != "record is poison" ||
		got["__connect.errors.exception.class.name"] != "org.apache.kafka.connect.errors.ConnectException" {
		t.Errorf("the refused record in the dead letter queue: value %q headers %v", second.Value, got)
	}

	// The topic was created as upstream creates it: one partition; the replication factor
	// of 3 capped at the one broker there is.
	admin, err := sarama.NewClusterAdmin(h.brokers, h.saramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	md, err := admin.DescribeTopics([]string{"orders-dlq"})
	if err != nil || len(md) != 1 || len(md[0].Partitions) != 1 || len(md[0].Partitions[0].Replicas) != 1 {
		t.Errorf("orders-dlq metadata %+v, %v; want 1 partition, 1 replica", md, err)
	}
}

func TestSinkDeadLetterQueueMayNotBeAnInputTopic(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 1)
	h.putConnector(jsonSink("loop", "in", map[string]string{"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "in"}))
	h.assign("loop", 0, "n1")
	h.start("n1")
	eventually(t, "the task reports FAILED", stateIs(h, "loop", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("loop", 0).Trace; !strings.Contains(tr, `dead letter queue topic "in"`) {
		t.Errorf("trace %q; want it to name the dead letter queue topic", tr)
	}
}

func TestPluginBlipIsRetriedWithBackoff(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 1)
	h.produce("in", 1, 20)
	var mu sync.Mutex
	fails := 3
	h.plugins.sink.setPutHook(func(*pluginv1.PutRequest) error {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return status.Error(codes.Unavailable, "backend down")
		}
		return nil
	})
	pollFails := 3
	h.plugins.source.setPollHook(func() error {
		mu.Lock()
		defer mu.Unlock()
		if pollFails > 0 {
			pollFails--
			return status.Error(codes.Unavailable, "upstream down")
		}
		return nil
	})
	retry := map[string]string{"errors.retry.timeout": "10000", "errors.retry.delay.max.ms": "40"}
	c := sinkConnector("blip", "in", 1)
	maps.Copy(c.Config, retry)
	h.putConnector(c)
	h.assign("blip", 0, "n1")
	h.createTopic("src", 1)
	g := genConnector("genblip", map[string]string{"topic": "src", "name": "g0", "count": "50"})
	maps.Copy(g.Config, retry)
	h.putConnector(g)
	h.assign("genblip", 0, "n1")
	var logs bytes.Buffer
	var logMu sync.Mutex
	h.log = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var statesMu sync.Mutex
	var states []string
	store := &watchStore{MemStore: h.store, onStatus: func(st *clusterv1.TaskStatus) {
		statesMu.Lock()
		states = append(states, st.Task.Connector+"="+stateName(st.State))
		statesMu.Unlock()
	}}
	rt, _ := h.startWith("n1", func(c *runtime.Config) { c.Store = store })

	eventually(t, "the sink commits everything", func() bool { return h.sinkOffsets("blip")[0] == 20 })
	eventually(t, "the source commits everything", func() bool { return h.sourceOffset("genblip", `{"g":"g0"}`) == `{"n":49}` })
	if got := len(h.plugins.sink.collected()); got != 20 {
		t.Errorf("the sink got %d records; want 20, once each", got)
	}
	if n := len(h.plugins.sink.putTimes()); n < 4 {
		t.Fatalf("%d puts; want 3 refused and then the rest", n)
	}
	// Each refused put is followed by a wait of errors.retry.delay.max.ms (the 300ms
	// first wait, capped), as the runtime logs it before waiting: the decision, not how
	// long the machine took to carry it out.
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	var waits []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "retriable failure; retrying") && strings.Contains(line, "backend down") {
			_, after, _ := strings.Cut(line, "backoff=")
			_, attempt, _ := strings.Cut(line, "attempt=")
			waits = append(waits, strings.Fields(attempt)[0]+":"+strings.Fields(after)[0])
		}
	}
	if got := strings.Join(waits, " "); got != "1:40ms 2:40ms 3:40ms" {
		t.Errorf("waits after the refused puts (attempt:backoff) %q; want 1:40ms 2:40ms 3:40ms", got)
	}
	statesMu.Lock()
	for _, s := range states {
		if strings.HasSuffix(s, "=FAILED") {
			t.Errorf("a task reported FAILED during the blip: %v", states)
			break
		}
	}
	statesMu.Unlock()
	for _, k := range []string{"blip", "genblip"} {
		if ti, _ := taskInfo(rt, k, 0); ti.StartCount != 1 || ti.Failures != 0 {
			t.Errorf("%s: %+v; want started once, no failed records", k, ti)
		}
	}
	if n := h.plugins.sink.openCount(); n != 1 {
		t.Errorf("the sink task was opened %d times; want once (a blip is not a plugin restart)", n)
	}
	if n := len(h.plugins.source.openRequests()); n != 1 {
		t.Errorf("the source task was opened %d times; want once", n)
	}
}

// A plugin answering Unavailable is retried for as long as the task runs, as upstream
// retries a task's RetriableException, whatever errors.retry.timeout says: an outage is
// neither a poison record nor a reason to fail the task.
func TestPluginOutageIsRetriedUntilItEnds(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 1)
	h.produce("in", 1, 5)
	var down atomic.Bool
	var refused atomic.Int32
	down.Store(true)
	h.plugins.sink.setPutHook(func(*pluginv1.PutRequest) error {
		if down.Load() {
			refused.Add(1)
			return status.Error(codes.Unavailable, "backend down")
		}
		return nil
	})
	c := sinkConnector("out", "in", 1)
	c.Config["errors.retry.timeout"] = "0"
	c.Config["errors.retry.delay.max.ms"] = "50"
	c.Config["errors.tolerance"] = "all" // an outage is not a poison record: nothing is dead-lettered
	h.putConnector(c)
	h.assign("out", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "the task reports RUNNING", stateIs(h, "out", 0, clusterv1.TaskState_TASK_STATE_RUNNING))
	eventually(t, "4 puts refused during the outage", func() bool { return refused.Load() >= 4 })
	if st := h.status("out", 0); st.State != clusterv1.TaskState_TASK_STATE_RUNNING {
		t.Fatalf("during the outage the task is %v (%s); want RUNNING and retrying", st.State, st.Trace)
	}
	if ti, _ := taskInfo(rt, "out", 0); ti.Skipped != 0 || len(h.sinkOffsets("out")) != 0 {
		t.Fatalf("skipped %d, offsets %v during the outage; want nothing skipped or committed", ti.Skipped, h.sinkOffsets("out"))
	}
	down.Store(false)
	eventually(t, "every record is committed after the outage", func() bool {
		offs := h.sinkOffsets("out")
		return len(offs) == 1 && offs[0] == 5
	})
}

func TestPluginRestartWithinRetryTimeoutDoesNotFailTheTask(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	g := genConnector("genr", map[string]string{"topic": "src", "name": "g0", "count": "3000", "batch": "50", "sleep.ms": "5"})
	g.Config["errors.retry.timeout"] = "-1"
	h.putConnector(g)
	h.assign("genr", 0, "n1")
	var mu sync.Mutex
	var states []string
	store := &watchStore{MemStore: h.store, onStatus: func(st *clusterv1.TaskStatus) {
		mu.Lock()
		states = append(states, stateName(st.State))
		mu.Unlock()
	}}
	h.startWith("n1", func(c *runtime.Config) { c.Store = store })
	eventually(t, "some offsets are committed", func() bool { return h.sourceOffset("genr", `{"g":"g0"}`) != "" })
	h.plugins.crash()
	downWaits := h.plugins.downWaits()
	eventually(t, "the runtime finds the plugin down and waits for it", func() bool { return h.plugins.downWaits() > downWaits })
	h.plugins.restart()
	eventually(t, "every offset is committed", func() bool { return h.sourceOffset("genr", `{"g":"g0"}`) == `{"n":2999}` })
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(strings.Join(states, " "), "FAILED") {
		t.Errorf("states reported %v; want no FAILED while errors.retry.timeout=-1 covers the restart", states)
	}
}

// watchStore is a Store that reports every task status written through it.
type watchStore struct {
	*state.MemStore
	onStatus func(*clusterv1.TaskStatus)
}

func (s *watchStore) Apply(ctx context.Context, cmd *clusterv1.Command) (uint64, error) {
	if r := cmd.GetReportTaskStatus(); r != nil {
		s.onStatus(r.Status)
	}
	return s.MemStore.Apply(ctx, cmd)
}

func TestSourceToleranceForConversionFailures(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	// ByteArrayConverter refuses the generator's string values.
	none := genConnector("gnone", map[string]string{"topic": "src", "name": "a", "count": "10"})
	none.Config["value.converter"] = "org.apache.kafka.connect.converters.ByteArrayConverter"
	all := genConnector("gall", map[string]string{"topic": "src", "name": "b", "count": "10"})
	all.Config["value.converter"] = "bytearray"
	all.Config["errors.tolerance"] = "all"
	h.putConnector(none)
	h.putConnector(all)
	h.assign("gnone", 0, "n1")
	h.assign("gall", 0, "n1")
	rt, _ := h.start("n1")

	eventually(t, "gnone reports FAILED", stateIs(h, "gnone", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	tr := h.status("gnone", 0).Trace
	for _, want := range []string{"stage VALUE_CONVERTER", "org.apache.kafka.connect.converters.ByteArrayConverter",
		`topic "src" (source partition {"g":"a"}, source offset {"n":0})`, "not compatible"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace %q does not mention %q", tr, want)
		}
	}
	// Skipped records count as acked: their source offsets advance to the end.
	eventually(t, "gall commits its last offset", func() bool { return h.sourceOffset("gall", `{"g":"b"}`) == `{"n":9}` })
	if ti, _ := taskInfo(rt, "gall", 0); ti.Skipped != 10 || ti.Records != 0 || ti.State != clusterv1.TaskState_TASK_STATE_RUNNING {
		t.Errorf("gall: %+v; want 10 skipped, none produced, RUNNING", ti)
	}
	if hw := h.highWatermarks("src", 1); hw[0] != 0 {
		t.Errorf("src holds %d records; want none", hw[0])
	}
}

// failProduces makes the broker answer the next n produce requests NOT_LEADER_FOR_PARTITION.
func failProduces(h *harness, n int) {
	var mu sync.Mutex
	h.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		h.cluster.KeepControl()
		mu.Lock()
		defer mu.Unlock()
		if n <= 0 {
			return nil, nil, false
		}
		n--
		r := req.(*kmsg.ProduceRequest)
		resp := r.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range r.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, p := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = p.Partition
				sp.ErrorCode = kerr.NotLeaderForPartition.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
}

// impatientSarama gives up producing after one retry, so the runtime's own retries show.
func impatientSarama(c *runtime.Config) {
	c.Sarama = func() *sarama.Config {
		sc := kafka.DefaultConfig()
		sc.Producer.Retry.Max = 1
		sc.Producer.Retry.Backoff = 5 * time.Millisecond
		return sc
	}
}

func TestSourceRidesOutABrokerBlipWithinRetryTimeout(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	g := genConnector("genk", map[string]string{"topic": "src", "name": "g0", "count": "200", "batch": "20", "partition": "0"})
	g.Config["errors.retry.timeout"] = "20000"
	g.Config["errors.retry.delay.max.ms"] = "20"
	h.putConnector(g)
	h.assign("genk", 0, "n1")
	failProduces(h, 8)
	rt, _ := h.startWith("n1", impatientSarama)
	eventually(t, "every offset is committed", func() bool { return h.sourceOffset("genk", `{"g":"g0"}`) == `{"n":199}` })
	seen := map[string]bool{}
	for _, m := range h.read("src", 0, int(h.highWatermarks("src", 1)[0])) {
		seen[string(m.Value)] = true
	}
	for i := range 200 {
		if !seen[fmt.Sprintf("v%d", i)] {
			t.Fatalf("v%d never reached Kafka", i)
		}
	}
	if ti, _ := taskInfo(rt, "genk", 0); ti.State != clusterv1.TaskState_TASK_STATE_RUNNING || ti.Failures != 0 {
		t.Errorf("%+v; want RUNNING with no failed records", ti)
	}

	// Without errors.retry.timeout the producer's own retries are all there is.
	h.createTopic("src2", 1)
	h.putConnector(genConnector("genk2", map[string]string{"topic": "src2", "name": "g2", "count": "20", "partition": "0"}))
	failProduces(h, 1000)
	h.assign("genk2", 0, "n1")
	eventually(t, "genk2 reports FAILED", stateIs(h, "genk2", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("genk2", 0).Trace; !strings.Contains(tr, "stage KAFKA_PRODUCE") || !strings.Contains(tr, "produce to src2 partition 0") {
		t.Errorf("trace %q; want the produce failure", tr)
	}
}

func TestSourceTopicCreationByGroup(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("existing", 2)
	g := genConnector("gtc",
		map[string]string{"topic": "plain", "name": "a", "count": "5"},
		map[string]string{"topic": "compact-users", "name": "b", "count": "5"},
		map[string]string{"topic": "existing", "name": "c", "count": "5"},
		map[string]string{"topic": "compact-skip", "name": "d", "count": "5"})
	maps.Copy(g.Config, map[string]string{
		"topic.creation.default.replication.factor":      "1",
		"topic.creation.default.partitions":              "3",
		"topic.creation.groups":                          "compacted",
		"topic.creation.compacted.include":               "compact-.*",
		"topic.creation.compacted.exclude":               "compact-skip",
		"topic.creation.compacted.partitions":            "2",
		"topic.creation.compacted.cleanup.policy":        "compact",
		"topic.creation.default.retention.ms":            "3600000",
		"topic.creation.compacted.min.compaction.lag.ms": "100",
	})
	h.putConnector(g)
	for i := range int32(4) {
		h.assign("gtc", i, "n1")
	}
	h.start("n1")
	for p, topic := range []string{`{"g":"a"}`, `{"g":"b"}`, `{"g":"c"}`, `{"g":"d"}`} {
		eventually(t, fmt.Sprintf("task %d commits", p), func() bool { return h.sourceOffset("gtc", topic) == `{"n":4}` })
	}
	admin, err := sarama.NewClusterAdmin(h.brokers, h.saramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	md, err := admin.DescribeTopics([]string{"plain", "compact-users", "existing", "compact-skip"})
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]int{}
	for _, m := range md {
		parts[m.Name] = len(m.Partitions)
	}
	if want := map[string]int{"plain": 3, "compact-users": 2, "existing": 2, "compact-skip": 3}; !maps.Equal(parts, want) {
		t.Errorf("partitions %v; want %v", parts, want)
	}
	cfgOf := func(topic string) map[string]string {
		entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, e := range entries {
			if e.Source == sarama.SourceTopic {
				out[e.Name] = e.Value
			}
		}
		return out
	}
	if c := cfgOf("compact-users"); c["cleanup.policy"] != "compact" || c["min.compaction.lag.ms"] != "100" || c["retention.ms"] != "" {
		t.Errorf("compact-users configs %v; want its group's cleanup.policy and min.compaction.lag.ms only", c)
	}
	if c := cfgOf("plain"); c["retention.ms"] != "3600000" || c["cleanup.policy"] != "" {
		t.Errorf("plain configs %v; want the default group's retention.ms only", c)
	}
}

func TestSourceTopicCreationNeedsBothDefaults(t *testing.T) {
	h := newHarness(t, "n1")
	g := genConnector("gbad", map[string]string{"topic": "x", "name": "a"})
	g.Config["topic.creation.default.partitions"] = "3"
	h.putConnector(g)
	h.assign("gbad", 0, "n1")
	h.start("n1")
	eventually(t, "the task reports FAILED", stateIs(h, "gbad", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("gbad", 0).Trace; !strings.Contains(tr, "topic.creation.default.replication.factor is missing") {
		t.Errorf("trace %q; want the missing key named", tr)
	}
}

func TestSinkHeadersGoThroughTheHeaderConverter(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("hd", 1)
	h.produceMsgs(&sarama.ProducerMessage{Topic: "hd", Partition: 0, Value: sarama.StringEncoder("v"),
		Headers: []sarama.RecordHeader{{Key: []byte("n"), Value: []byte("5")}, {Key: []byte("s"), Value: []byte("text")},
			{Key: []byte("null"), Value: nil}}})
	h.putConnector(sinkConnector("hds", "hd", 1))
	h.assign("hds", 0, "n1")
	h.start("n1")
	eventually(t, "the record is put", func() bool { return len(h.plugins.sink.collected()) == 1 })
	hs := h.plugins.sink.collected()[0].Headers
	if len(hs) != 3 || hs[0].Value.GetIntValue() != 5 || hs[0].Schema.GetType() != pluginv1.Schema_TYPE_INT8 ||
		hs[1].Value.GetStringValue() != "text" || hs[2].Value.GetKind() != nil {
		t.Errorf("headers %v; want n=5 (int8), s=text, null", hs)
	}
}

func TestConfigProvidersResolveAtTaskStartAndStayHidden(t *testing.T) {
	h := newHarness(t, "n1")
	dir := t.TempDir()
	const secret = "s3cr3t-topic-name"
	props := filepath.Join(dir, "x.properties")
	if err := os.WriteFile(props, []byte("topic="+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRIBUTARY_RUNTIME_TEST_NAME", "from-env")
	h.createTopic(secret, 1)
	var logs bytes.Buffer
	var logMu sync.Mutex
	h.log = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	g := genConnector("gp", map[string]string{"topic": "${file:" + props + ":topic}", "name": "${env:TRIBUTARY_RUNTIME_TEST_NAME}", "count": "5"})
	g.Config["value.converter"] = "${env:TRIBUTARY_RUNTIME_TEST_CONVERTER}"
	t.Setenv("TRIBUTARY_RUNTIME_TEST_CONVERTER", "string")
	h.putConnector(g)
	h.assign("gp", 0, "n1")
	// A sink whose plugin echoes the secret in its error: the trace must not show it.
	h.createTopic("in", 1)
	h.produce("in", 1, 1)
	h.plugins.sink.setFailPut(status.Error(codes.Internal, "cannot write to "+secret))
	s := sinkConnector("sp", "in", 1)
	s.Tasks[0].Config["target"] = "${file:" + props + ":topic}"
	h.putConnector(s)
	h.assign("sp", 0, "n1")
	h.start("n1")

	eventually(t, "the source commits", func() bool { return h.sourceOffset("gp", `{"g":"from-env"}`) == `{"n":4}` })
	if hw := h.highWatermarks(secret, 1); hw[0] != 5 {
		t.Errorf("topic %s holds %d records; want 5", secret, hw[0])
	}
	open := h.plugins.source.openRequests()[0]
	if open.Config["topic"] != secret || open.Config["name"] != "from-env" {
		t.Errorf("the plugin opened with %v; want the resolved values", open.Config)
	}
	var stored map[string]string
	h.store.Read(func(st *state.State) { stored = st.Connector("gp").Tasks[0].Config })
	if !strings.HasPrefix(stored["topic"], "${file:") {
		t.Errorf("the stored task config holds %q; want the placeholder", stored["topic"])
	}
	eventually(t, "the sink reports FAILED", stateIs(h, "sp", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("sp", 0).Trace; strings.Contains(tr, secret) || !strings.Contains(tr, "cannot write to [hidden]") {
		t.Errorf("trace %q; want the resolved value hidden", tr)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if strings.Contains(out, secret) {
		t.Errorf("the logs show the resolved value:\n%s", out)
	}
	if !strings.Contains(out, "[hidden]") {
		t.Errorf("the logs never mention the failed put; want it with the value hidden:\n%s", out)
	}
}

func TestUnresolvablePlaceholderFailsTheTaskNamingTheKey(t *testing.T) {
	h := newHarness(t, "n1")
	g := genConnector("gu", map[string]string{"topic": "${env:TRIBUTARY_NOT_SET_ANYWHERE}", "name": "a"})
	h.putConnector(g)
	h.assign("gu", 0, "n1")
	h.start("n1")
	eventually(t, "the task reports FAILED", stateIs(h, "gu", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("gu", 0).Trace; !strings.Contains(tr, "config topic: ${env:TRIBUTARY_NOT_SET_ANYWHERE}: environment variable") {
		t.Errorf("trace %q; want the key and placeholder named", tr)
	}
	if n := len(h.plugins.source.openRequests()); n != 0 {
		t.Errorf("the plugin task was opened %d times; want never", n)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func TestSinkTransformsRunAfterConvertersAndFilteredOffsetsCount(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("in", 1)
	var msgs []*sarama.ProducerMessage
	for i := range 10 {
		m := jsonMsg("in", i)
		if i%3 == 0 {
			m.Headers = []sarama.RecordHeader{{Key: []byte("drop"), Value: []byte("yes")}}
		}
		msgs = append(msgs, m)
	}
	h.produceMsgs(msgs...)
	h.putConnector(jsonSink("tx", "in", map[string]string{
		"transforms":                  "tag,drop",
		"transforms.tag.type":         "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.tag.static.field": "origin",
		"transforms.tag.static.value": "tributary",
		"transforms.drop.type":        "org.apache.kafka.connect.transforms.Filter",
		"transforms.drop.predicate":   "hasDrop",
		"predicates":                  "hasDrop",
		"predicates.hasDrop.type":     "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
		"predicates.hasDrop.name":     "drop",
	}))
	h.assign("tx", 0, "n1")
	// A transform that fails: ExtractField takes maps, and these values are strings.
	h.createTopic("plain", 1)
	h.produce("plain", 1, 3)
	bad := sinkConnector("txbad", "plain", 1)
	maps.Copy(bad.Config, map[string]string{
		"transforms":                                    "ex",
		"transforms.ex.type":                            "org.apache.kafka.connect.transforms.ExtractField$Value",
		"transforms.ex.field":                           "x",
		"errors.tolerance":                              "all",
		"errors.deadletterqueue.topic.name":             "plain-dlq",
		"errors.deadletterqueue.context.headers.enable": "true",
	})
	h.putConnector(bad)
	h.assign("txbad", 0, "n1")
	rt, _ := h.start("n1")

	// The last record is filtered out, and still the committed offset reaches the end.
	eventually(t, "every offset is committed", func() bool { return h.sinkOffsets("tx")[0] == 10 })
	var got []string
	for _, r := range h.plugins.sink.collected() {
		if r.Topic != "in" {
			continue
		}
		var fields []string
		for _, e := range r.GetValue().GetMapValue().GetEntries() {
			fields = append(fields, fmt.Sprintf("%s=%v", e.GetKey().GetStringValue(), e.GetValue().GetKind()))
		}
		got = append(got, strings.Join(fields, ","))
	}
	want := []string{}
	for _, i := range []int{1, 2, 4, 5, 7, 8} {
		want = append(want, fmt.Sprintf("i=&{%d},origin=&{tributary}", i))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the sink got\n %v\nwant\n %v", got, want)
	}
	if ti, _ := taskInfo(rt, "tx", 0); ti.Filtered != 4 || ti.Records != 6 {
		t.Errorf("filtered %d, put %d; want 4 and 6", ti.Filtered, ti.Records)
	}

	eventually(t, "txbad commits past its failed records", func() bool { return h.sinkOffsets("txbad")[0] == 3 })
	dead := h.read("plain-dlq", 0, 3)
	hm := headerMap(dead[0].Headers)
	if string(dead[0].Value) != "val-0" || hm["__connect.errors.stage"] != "TRANSFORMATION" ||
		hm["__connect.errors.class.name"] != "org.apache.kafka.connect.transforms.ExtractField$Value" {
		t.Errorf("dead-lettered %q with headers %v; want val-0 from stage TRANSFORMATION, ExtractField$Value", dead[0].Value, hm)
	}
}

func TestSourceTransformsRunBeforeConvertersAndFilteredOffsetsAdvance(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("kept", 1)
	g := genConnector("gtx",
		map[string]string{"topic": "keep", "name": "a", "count": "20"},
		map[string]string{"topic": "drop-me", "name": "b", "count": "20"})
	maps.Copy(g.Config, map[string]string{
		"transforms":                   "drop,route,via",
		"transforms.drop.type":         "org.apache.kafka.connect.transforms.Filter",
		"transforms.drop.predicate":    "dropTopic",
		"transforms.route.type":        "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex":       "keep",
		"transforms.route.replacement": "kept",
		"transforms.via.type":          "org.apache.kafka.connect.transforms.InsertHeader",
		"transforms.via.header":        "via",
		"transforms.via.value.literal": "tributary",
		"predicates":                   "dropTopic",
		"predicates.dropTopic.type":    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.dropTopic.pattern": "drop-.*",
	})
	h.putConnector(g)
	h.assign("gtx", 0, "n1")
	h.assign("gtx", 1, "n1")
	rt, _ := h.start("n1")
	eventually(t, "the filtered task's offsets advance to its last record", func() bool { return h.sourceOffset("gtx", `{"g":"b"}`) == `{"n":19}` })
	eventually(t, "the routed task's offsets advance", func() bool { return h.sourceOffset("gtx", `{"g":"a"}`) == `{"n":19}` })
	msgs := h.read("kept", 0, 20)
	for i, m := range msgs {
		hm := headerMap(m.Headers)
		if string(m.Value) != fmt.Sprintf("v%d", i) || hm["via"] != "tributary" || hm["n"] != fmt.Sprint(i) {
			t.Fatalf("kept record %d: %q headers %v; want v%d with headers n and via=tributary", i, m.Value, hm, i)
		}
	}
	admin, err := sarama.NewClusterAdmin(h.brokers, h.saramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, topic := range []string{"keep", "drop-me"} {
		md, err := admin.DescribeTopics([]string{topic})
		if err == nil && len(md) == 1 && md[0].Err == sarama.ErrNoError {
			t.Errorf("topic %s exists; nothing should have been produced to it", topic)
		}
	}
	if ti, _ := taskInfo(rt, "gtx", 1); ti.Filtered != 20 || ti.Records != 0 {
		t.Errorf("task 1: filtered %d, produced %d; want 20 and 0", ti.Filtered, ti.Records)
	}
}

func TestStoppedMeansNoTasksAndRestartIsInPlace(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.putConnector(genConnector("gl", map[string]string{"topic": "src", "name": "g0", "batch": "10", "sleep.ms": "5"}))
	h.assign("gl", 0, "n1")
	rt, _ := h.start("n1")
	eventually(t, "the task runs and commits", func() bool {
		return h.sourceOffset("gl", `{"g":"g0"}`) != "" && stateIs(h, "gl", 0, clusterv1.TaskState_TASK_STATE_RUNNING)()
	})

	// A restart request gives the task a new epoch on the same node: it restarts in place,
	// from the committed offsets.
	before := h.epoch("gl", 0)
	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_RestartTasks{RestartTasks: &clusterv1.RestartTasks{
		Tasks: []*clusterv1.TaskID{{Connector: "gl", Task: 0}}}}})
	eventually(t, "the task runs again under the new epoch", func() bool {
		ti, ok := taskInfo(rt, "gl", 0)
		return ok && ti.Epoch != before && ti.StartCount == 2 && stateIs(h, "gl", 0, clusterv1.TaskState_TASK_STATE_RUNNING)()
	})
	opens := h.plugins.source.openRequests()
	last := opens[len(opens)-1]
	if len(last.Offsets) != 1 || string(last.Offsets[0].Partition) != `{"g":"g0"}` {
		t.Errorf("the restarted task opened with offsets %v; want the committed ones", last.Offsets)
	}

	// STOPPED: no task runs, and the plugin task is closed.
	h.setTarget("gl", clusterv1.TargetState_TARGET_STATE_STOPPED)
	eventually(t, "no task runs", func() bool { return len(rt.Running()) == 0 })
	eventually(t, "the plugin task is closed", func() bool { return len(h.plugins.source.closed()) == 2 })
	frozen := h.sourceOffset("gl", `{"g":"g0"}`)
	polls := h.plugins.source.pollCount()
	never(t, "poll or commit by a STOPPED connector's task", func() bool {
		return h.plugins.source.pollCount() != polls || h.sourceOffset("gl", `{"g":"g0"}`) != frozen
	})
}

// TestGarbageBatchFailsOnlyItsTask has one source task's plugin answer every Poll with
// bytes that are no PollResponse: the kernel's batch decoder refuses them, that task
// FAILS with an error saying the plugin's answer could not be decoded, and a task of
// another connector beside it keeps running and committing.
func TestGarbageBatchFailsOnlyItsTask(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("good", 1)
	h.createTopic("bad", 1)
	h.putConnector(genConnector("good", map[string]string{"topic": "good", "name": "g", "batch": "10", "sleep.ms": "5"}))
	h.assign("good", 0, "n1")
	h.putConnector(genConnector("bad", map[string]string{"topic": "bad", "name": "b", "garbage": "true"}))
	h.assign("bad", 0, "n1")
	rt, _ := h.start("n1")

	eventually(t, "the task sent garbage reports FAILED", stateIs(h, "bad", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	trace := h.status("bad", 0).Trace
	for _, want := range []string{`connector "bad" task 0`, "poll:", "failed to unmarshal"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace %q does not mention %q", trace, want)
		}
	}
	if hw := h.highWatermarks("bad", 1); hw[0] != 0 {
		t.Errorf("topic bad holds %d records; the garbage batch must produce none", hw[0])
	}
	// The other task goes on: it commits offsets after the failure.
	after := h.sourceOffset("good", `{"g":"g"}`)
	eventually(t, "the good task commits past "+after, func() bool {
		o := h.sourceOffset("good", `{"g":"g"}`)
		return o != "" && o != after
	})
	if ti, _ := taskInfo(rt, "good", 0); ti.State != clusterv1.TaskState_TASK_STATE_RUNNING || ti.StartCount != 1 {
		t.Errorf("the good task: %+v; want RUNNING, started once", ti)
	}
}

// A source task with no transform to run writes its records' keys and values from the
// plugin's encoding of them (convert.WireConverter); one with a transform decodes them
// first. The two write the same bytes.
func TestSourceWritesTheSameBytesWithAndWithoutDecoding(t *testing.T) {
	h := newHarness(t, "n1")
	const n = 50
	for _, name := range []string{"wire", "decoded"} {
		h.createTopic(name, 1)
		c := genConnector(name, map[string]string{"topic": name, "name": "same", "count": strconv.Itoa(n), "struct": "true"})
		c.Config["key.converter"] = "json"
		c.Config["value.converter"] = "json"
		if name == "decoded" {
			// A filter whose predicate never matches: the records pass unchanged, decoded.
			maps.Copy(c.Config, map[string]string{"transforms": "keep",
				"transforms.keep.type": "org.apache.kafka.connect.transforms.Filter", "transforms.keep.predicate": "never",
				"predicates": "never", "predicates.never.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
				"predicates.never.pattern": "no-such-topic"})
		}
		h.putConnector(c)
		h.assign(name, 0, "n1")
	}
	rt, _ := h.start("n1")
	wire, decoded := h.read("wire", 0, n), h.read("decoded", 0, n)
	if w, _ := taskInfo(rt, "wire", 0); w.Undecoded != n {
		t.Errorf("the task without transforms wrote %d of its %d records undecoded; want all", w.Undecoded, n)
	}
	if d, _ := taskInfo(rt, "decoded", 0); d.Undecoded != 0 {
		t.Errorf("the task with a transform wrote %d records undecoded; want none", d.Undecoded)
	}
	for i := range n {
		w, d := wire[i], decoded[i]
		if !bytes.Equal(w.Key, d.Key) || !bytes.Equal(w.Value, d.Value) || len(w.Headers) != 1 || len(d.Headers) != 1 ||
			!bytes.Equal(w.Headers[0].Value, d.Headers[0].Value) {
			t.Fatalf("record %d differs:\n wire    %s %s %v\n decoded %s %s %v", i, w.Key, w.Value, w.Headers, d.Key, d.Value, d.Headers)
		}
	}
	if want := `"payload":{"n":7,"s":"v\"7\"","half":3.5,"none":null}}`; !strings.HasSuffix(string(wire[7].Value), want) ||
		string(wire[7].Key) != `{"schema":{"type":"string","optional":false},"payload":"k7"}` {
		t.Errorf("record 7 is %s %s; want the key k7 and a value ending %s", wire[7].Key, wire[7].Value, want)
	}
}
