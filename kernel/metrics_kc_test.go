package kernel

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

type staticCollector []kcMetric

func (staticCollector) Describe(chan<- *prometheus.Desc)      {}
func (s staticCollector) Collect(ch chan<- prometheus.Metric) { emit(ch, s) }

func mustApply(t *testing.T, st *state.MemStore, cmd *clusterv1.Command) {
	t.Helper()
	if _, err := st.Apply(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
}

// The Kafka Connect metrics of one node, under Strimzi's names, from the state and the
// runtime's task counts; rates come from successive scrapes.
func TestKafkaConnectMetrics(t *testing.T) {
	st := state.NewMemStore()
	for _, c := range []*clusterv1.Connector{
		{Name: "src", Plugin: "file-source", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE,
			Config: map[string]string{"connector.class": "FileStreamSource"}, Tasks: []*clusterv1.TaskConfig{{}}},
		{Name: "snk", Plugin: "file-sink", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SINK,
			Config: map[string]string{"connector.class": "FileStreamSink"}, Tasks: []*clusterv1.TaskConfig{{}, {}}},
	} {
		mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: c}}})
	}
	for _, id := range []string{"n1", "n2"} {
		mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{Node: &clusterv1.Node{Id: id}}}})
	}
	mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{Assign: []*clusterv1.Assignment{
		{Task: &clusterv1.TaskID{Connector: "src", Task: 0}, Node: "n1"},
		{Task: &clusterv1.TaskID{Connector: "snk", Task: 0}, Node: "n2"},
		{Task: &clusterv1.TaskID{Connector: "snk", Task: 1}, Node: "n1"},
	}}}})
	v := kcView{nodeID: "n1", starts: map[state.TaskKey]int{{Connector: "src"}: 2, {Connector: "snk", Task: 1}: 1},
		plugins: func(p string) (string, string) {
			if p == "file-source" {
				return "org.apache.kafka.connect.file.FileStreamSourceConnector", "1.0.0"
			}
			return "", ""
		}}
	v.running = []runtime.TaskInfo{
		{Key: state.TaskKey{Connector: "src"}, State: clusterv1.TaskState_TASK_STATE_RUNNING, Records: 100, Failures: 3, Skipped: 2},
		{Key: state.TaskKey{Connector: "snk", Task: 1}, State: clusterv1.TaskState_TASK_STATE_PAUSED, Records: 40},
	}
	r := &rates{}
	t0 := time.Unix(1000, 0)
	gather := func(v kcView, now time.Time) []kcMetric {
		var ms []kcMetric
		st.Read(func(s *state.State) { ms = kafkaConnectMetrics(s, v, r, now) })
		return ms
	}
	gather(v, t0)
	v.running[0].Records = 400 // 300 more records in 10 s: 30/s
	ms := gather(v, t0.Add(10*time.Second))

	// Gathered through a pedantic registry, as /metrics serves them.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(staticCollector(ms))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	kinds := map[string]string{}
	for _, f := range families {
		kinds[f.GetName()] = f.GetType().String()
		for _, m := range f.GetMetric() {
			var lbl []string
			for _, l := range m.GetLabel() {
				lbl = append(lbl, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			got[f.GetName()+"{"+strings.Join(lbl, ",")+"}"] = v
		}
	}
	for series, want := range map[string]float64{
		"kafka_connect_connector_status{connector=src,status=running}":                                                                   1,
		"kafka_connect_connector_connector_class{connector=src,connector_class=org.apache.kafka.connect.file.FileStreamSourceConnector}": 1,
		"kafka_connect_connector_connector_type{connector=src,connector_type=source}":                                                    1,
		"kafka_connect_connector_task_status{connector=src,status=running,task=0}":                                                       1,
		"kafka_connect_connector_task_status{connector=snk,status=paused,task=1}":                                                        1,
		"kafka_connect_source_task_source_record_poll_rate{connector=src,task=0}":                                                        30,
		"kafka_connect_source_task_metrics_source_record_poll_rate{connector=src,task=0}":                                                30,
		"kafka_connect_source_task_source_record_poll_total{connector=src,task=0}":                                                       400,
		"kafka_connect_sink_task_sink_record_read_total{connector=snk,task=1}":                                                           40,
		"kafka_connect_sink_task_metrics_sink_record_read_rate{connector=snk,task=1}":                                                    0,
		"kafka_connect_task_error_total_record_errors{connector=src,task=0}":                                                             3,
		"kafka_connect_task_error_metrics_total_record_errors{connector=src,task=0}":                                                     3,
		"kafka_connect_task_error_total_records_skipped{connector=src,task=0}":                                                           2,
		"kafka_connect_worker_connector_count{}":                                                                                         1,
		"kafka_connect_worker_task_count{}":                                                                                              2,
		"kafka_connect_worker_task_startup_attempts_total{}":                                                                             3,
		"kafka_connect_worker_connector_paused_task_count{connector=snk}":                                                                1,
		"kafka_connect_worker_connector_total_task_count{connector=snk}":                                                                 1,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if kinds["kafka_connect_source_task_source_record_poll_total"] != "COUNTER" || kinds["kafka_connect_source_task_source_record_poll_rate"] != "GAUGE" {
		t.Errorf("types: %v", kinds)
	}
	// A connector placed nowhere is reported by the leader alone.
	mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: &clusterv1.Connector{
		Name: "idle", Plugin: "file-source", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE,
		TargetState: clusterv1.TargetState_TARGET_STATE_STOPPED}}}})
	reports := func(v kcView) bool {
		for _, m := range gather(v, t0.Add(20*time.Second)) {
			if m.name == "kafka_connect_connector_status" && slices.Equal(m.labels, []string{"connector", "idle", "status", "stopped"}) {
				return true
			}
		}
		return false
	}
	if reports(v) {
		t.Error("a follower reports a connector placed nowhere")
	}
	v.leader = true
	if !reports(v) {
		t.Error("the leader does not report the stopped connector placed nowhere")
	}

	// The sink connector's worker is n2 (its task 0): n1 does not report it.
	for _, m := range ms {
		if m.name == "kafka_connect_connector_status" && strings.Contains(strings.Join(m.labels, ","), "snk") {
			t.Errorf("n1 reports the status of snk, whose worker is n2: %+v", m)
		}
	}
}

// Every metric the Grafana dashboard in scripts/grafana queries is one a node serves.
func TestDashboardQueriesServedMetrics(t *testing.T) {
	data, err := os.ReadFile("../scripts/grafana/tributary-kafka-connect.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	served := map[string]bool{}
	for _, d := range []*prometheus.Desc{descTaskStarts, descTaskRecords, descTaskState, descTaskFailures, descTaskSkipped,
		descTaskDeadLettered, descTaskFiltered, descLeaseStops, descZombieRecords, descZombieSeconds, descLeader, descIndex,
		descPluginUp, descPluginRestarts, descPluginRetired} {
		served[regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())[1]] = true
	}
	st := state.NewMemStore()
	mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: &clusterv1.Connector{
		Name: "c", Plugin: "p", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE, Tasks: []*clusterv1.TaskConfig{{}}}}}})
	mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{Node: &clusterv1.Node{Id: "n1"}}}})
	mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_SetAssignments{SetAssignments: &clusterv1.SetAssignments{Assign: []*clusterv1.Assignment{
		{Task: &clusterv1.TaskID{Connector: "c"}, Node: "n1"}}}}})
	mustApply(t, st, &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{PutConnector: &clusterv1.PutConnector{Connector: &clusterv1.Connector{
		Name: "s", Plugin: "p", Type: clusterv1.ConnectorType_CONNECTOR_TYPE_SINK, Tasks: []*clusterv1.TaskConfig{{}}}}}})
	v := kcView{nodeID: "n1", running: []runtime.TaskInfo{{Key: state.TaskKey{Connector: "c"}}, {Key: state.TaskKey{Connector: "s"}}}}
	st.Read(func(s *state.State) {
		for _, m := range kafkaConnectMetrics(s, v, &rates{}, time.Now()) {
			served[m.name] = true
		}
	})
	name := regexp.MustCompile(`\b(kafka_connect_[a-z_]+|tributary_[a-z_]+)`)
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries++
			for _, m := range name.FindAllString(tg.Expr, -1) {
				if !served[m] {
					t.Errorf("panel %q queries %s, which no node serves", p.Title, m)
				}
			}
		}
	}
	if queries < 10 {
		t.Errorf("the dashboard has %d queries; want its panels", queries)
	}
}
