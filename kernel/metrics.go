package kernel

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// metricsRegistry is the node's own registry (not the global one, so several nodes can
// run in one process), read at scrape time from the parts that hold the numbers.
func (n *Node) metricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), nodeCollector{n},
		kcCollector{n: n, rates: &rates{}})
	return reg
}

var (
	descTaskStarts = prometheus.NewDesc("tributary_task_starts_total",
		"Times this node started the task (any epoch).", []string{"connector", "task"}, nil)
	descTaskRecords = prometheus.NewDesc("tributary_task_records_total",
		"Records the running task instance has processed.", []string{"connector", "task"}, nil)
	descTaskState = prometheus.NewDesc("tributary_task_state",
		"1 for the state a task running on this node is in.", []string{"connector", "task", "state"}, nil)
	descTaskFailures = prometheus.NewDesc("tributary_task_record_failures_total",
		"Records the running task instance saw fail a stage (conversion, transformation, put, produce).", []string{"connector", "task"}, nil)
	descTaskSkipped = prometheus.NewDesc("tributary_task_records_skipped_total",
		"Failed records errors.tolerance=all skipped with no dead letter queue to write them to.", []string{"connector", "task"}, nil)
	descTaskDeadLettered = prometheus.NewDesc("tributary_task_records_dead_lettered_total",
		"Failed records the running task instance wrote to its dead letter queue.", []string{"connector", "task"}, nil)
	descTaskFiltered = prometheus.NewDesc("tributary_task_records_filtered_total",
		"Records a transform or predicate dropped.", []string{"connector", "task"}, nil)
	descLeaseStops = prometheus.NewDesc("tributary_task_lease_stops_total",
		"Batches held back, and their task stopped, because this node's lease had expired when they were about to be produced (sources) or put (sinks).", nil, nil)
	descZombieRecords = prometheus.NewDesc("tributary_source_records_acked_after_lease_total",
		"Records of this node's source tasks Kafka acknowledged after the node's lease had run out (the zombie window).", nil, nil)
	descZombieSeconds = prometheus.NewDesc("tributary_source_zombie_window_seconds",
		"The latest ack of a source record after this node's lease had run out, measured from the lease's end.", nil, nil)
	descLeader = prometheus.NewDesc("tributary_raft_leader",
		"1 if this node is the Raft leader.", nil, nil)
	descIndex = prometheus.NewDesc("tributary_raft_applied_index",
		"The last Raft index applied to this node's state.", nil, nil)
	descPluginUp = prometheus.NewDesc("tributary_plugin_up",
		"1 if the plugin process is running.", []string{"binary"}, nil)
	descPluginRestarts = prometheus.NewDesc("tributary_plugin_restarts_total",
		"Times the plugin process was restarted after it died.", []string{"binary"}, nil)
	descPluginRetired = prometheus.NewDesc("tributary_plugin_retired_processes",
		"Processes of a replaced or removed binary still serving the tasks opened on them.", []string{"binary"}, nil)
)

type nodeCollector struct{ n *Node }

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTaskStarts, descTaskRecords, descTaskState, descTaskFailures, descTaskSkipped,
		descTaskDeadLettered, descTaskFiltered, descLeaseStops, descZombieRecords, descZombieSeconds, descLeader, descIndex, descPluginUp, descPluginRestarts, descPluginRetired} {
		ch <- d
	}
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	if rt := n.Runtime; rt != nil {
		ch <- prometheus.MustNewConstMetric(descLeaseStops, prometheus.CounterValue, float64(rt.LeaseStops()))
		zr, zd := rt.ZombieWindow()
		ch <- prometheus.MustNewConstMetric(descZombieRecords, prometheus.CounterValue, float64(zr))
		ch <- prometheus.MustNewConstMetric(descZombieSeconds, prometheus.GaugeValue, zd.Seconds())
		for k, starts := range rt.Starts() {
			ch <- prometheus.MustNewConstMetric(descTaskStarts, prometheus.CounterValue, float64(starts), k.Connector, strconv.Itoa(int(k.Task)))
		}
		for _, t := range rt.Running() {
			task := strconv.Itoa(int(t.Key.Task))
			ch <- prometheus.MustNewConstMetric(descTaskRecords, prometheus.CounterValue, float64(t.Records), t.Key.Connector, task)
			ch <- prometheus.MustNewConstMetric(descTaskState, prometheus.GaugeValue, 1, t.Key.Connector, task,
				strings.TrimPrefix(t.State.String(), "TASK_STATE_"))
			ch <- prometheus.MustNewConstMetric(descTaskFailures, prometheus.CounterValue, float64(t.Failures), t.Key.Connector, task)
			ch <- prometheus.MustNewConstMetric(descTaskSkipped, prometheus.CounterValue, float64(t.Skipped), t.Key.Connector, task)
			ch <- prometheus.MustNewConstMetric(descTaskDeadLettered, prometheus.CounterValue, float64(t.DeadLettered), t.Key.Connector, task)
			ch <- prometheus.MustNewConstMetric(descTaskFiltered, prometheus.CounterValue, float64(t.Filtered), t.Key.Connector, task)
		}
	}
	if cl := n.Cluster; cl != nil {
		leader := 0.0
		if cl.IsLeader() {
			leader = 1
		}
		ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, leader)
		var idx uint64
		cl.Read(func(s *state.State) { idx = s.Index() })
		ch <- prometheus.MustNewConstMetric(descIndex, prometheus.GaugeValue, float64(idx))
	}
	if ph := n.Plugins; ph != nil {
		retired := map[string]int{}
		for _, p := range ph.Processes() {
			if p.Retired { // the binary's current process is listed too, first
				retired[p.Binary]++
				continue
			}
			up := 0.0
			if p.Running {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(descPluginUp, prometheus.GaugeValue, up, p.Binary)
			ch <- prometheus.MustNewConstMetric(descPluginRestarts, prometheus.CounterValue, float64(p.Restarts), p.Binary)
		}
		for binary, n := range retired {
			ch <- prometheus.MustNewConstMetric(descPluginRetired, prometheus.GaugeValue, float64(n), binary)
		}
	}
}

// Kafka Connect's metrics under the Prometheus names Strimzi's JMX exporter rules give
// them (packaging/examples/metrics/kafka-connect-metrics.yaml: lower case, "-" as "_",
// kafka_connect_<type>_<attribute> with connector and task labels), so dashboards and
// alerts written for Strimzi's Kafka Connect work against Tributary. They are derived from
// what the runtime reports per task and from the replicated state; Tributary's own
// tributary_* metrics stay beside them.
//
// A connector's own metrics (kafka_connect_connector_*) are reported by the node its
// status names as worker (the node of task 0; the leader for a connector with task 0
// placed nowhere), as a Kafka Connect worker reports the connectors it runs, so a sum
// over nodes counts each once. Task metrics come from the
// node running the task. The task families are also served under the names of the
// jmx_exporter's older Kafka Connect example (kafka_connect_source_task_metrics_…,
// kafka_connect_sink_task_metrics_…, kafka_connect_task_error_metrics_…), which many
// published dashboards use.

// rateWindow is how far back a *_rate looks, as Kafka Connect's sampled rates (two 30 s
// samples by default) do.
const rateWindow = time.Minute

// rates turns counters into per-second rates over rateWindow, from the values seen at
// each scrape.
type rates struct {
	mu      sync.Mutex
	samples map[string][]rateSample
}

type rateSample struct {
	at time.Time
	v  float64
}

// rate records v for key at now and returns its rate over the samples within
// rateWindow; 0 until there are two.
func (r *rates) rate(key string, v float64, now time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.samples == nil {
		r.samples = map[string][]rateSample{}
	}
	s := append(r.samples[key], rateSample{now, v})
	for len(s) > 1 && now.Sub(s[0].at) > rateWindow {
		s = s[1:]
	}
	if len(s) > 1 && s[len(s)-1].v < s[0].v {
		s = s[len(s)-1:] // a restarted task counts from 0 again
	}
	r.samples[key] = s
	if len(s) < 2 {
		return 0
	}
	dt := s[len(s)-1].at.Sub(s[0].at).Seconds()
	if dt <= 0 {
		return 0
	}
	return (s[len(s)-1].v - s[0].v) / dt
}

// kcMetric is one sample of a Kafka Connect metric.
type kcMetric struct {
	name, help string
	counter    bool
	value      float64
	labels     []string // name, value, name, value …
}

// kcView is what the Kafka Connect metrics are computed from.
type kcView struct {
	nodeID  string
	running []runtime.TaskInfo
	starts  map[state.TaskKey]int
	// plugins gives a connector plugin's class and version by the plugin's name.
	plugins func(plugin string) (class, version string)
	// leader is true on the Raft leader, which reports the connectors no node runs
	// task 0 of (none placed yet, or stopped).
	leader bool
}

func lowerState(s clusterv1.TaskState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "TASK_STATE_"))
}

// kafkaConnectMetrics computes the metrics of one node from st and v.
func kafkaConnectMetrics(st *state.State, v kcView, r *rates, now time.Time) []kcMetric {
	var out []kcMetric
	add := func(name, help string, counter bool, value float64, labels ...string) {
		out = append(out, kcMetric{name: name, help: help, counter: counter, value: value, labels: labels})
	}
	// Connectors whose worker is this node: the node of task 0 (or, unplaced, none).
	connectors := 0
	for _, c := range st.Connectors() {
		a := st.Assignment(state.TaskKey{Connector: c.Name, Task: 0})
		if (a == nil && !v.leader) || (a != nil && a.Node != v.nodeID) {
			continue
		}
		connectors++
		status := "running"
		switch c.TargetState {
		case clusterv1.TargetState_TARGET_STATE_PAUSED:
			status = "paused"
		case clusterv1.TargetState_TARGET_STATE_STOPPED:
			status = "stopped"
		}
		typ := "unknown"
		switch c.Type {
		case clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE:
			typ = "source"
		case clusterv1.ConnectorType_CONNECTOR_TYPE_SINK:
			typ = "sink"
		}
		class, version := c.Config["connector.class"], ""
		if v.plugins != nil {
			if cl, ver := v.plugins(c.Plugin); cl != "" {
				class, version = cl, ver
			}
		}
		add("kafka_connect_connector_status", "Kafka Connect JMX metric connector status (1 for the connector's status).", false, 1,
			"connector", c.Name, "status", status)
		add("kafka_connect_connector_connector_class", "Kafka Connect JMX metric connector class.", false, 1,
			"connector", c.Name, "connector_class", class)
		add("kafka_connect_connector_connector_type", "Kafka Connect JMX metric connector type.", false, 1,
			"connector", c.Name, "connector_type", typ)
		add("kafka_connect_connector_connector_version", "Kafka Connect JMX metric connector version.", false, 1,
			"connector", c.Name, "connector_version", version)
	}

	perConnector := map[string]map[string]int{} // connector → state → tasks here
	attempts := 0
	for _, n := range v.starts {
		attempts += n
	}
	for _, t := range v.running {
		c := st.Connector(t.Key.Connector)
		task := strconv.Itoa(int(t.Key.Task))
		status := lowerState(t.State)
		if perConnector[t.Key.Connector] == nil {
			perConnector[t.Key.Connector] = map[string]int{}
		}
		perConnector[t.Key.Connector][status]++
		lbl := []string{"connector", t.Key.Connector, "task", task}
		add("kafka_connect_connector_task_status", "Kafka Connect JMX Connector task status.", false, 1,
			"connector", t.Key.Connector, "task", task, "status", status)
		recs := float64(t.Records)
		key := t.Key.Connector + "/" + task
		rate := r.rate(key+"/records", recs, now)
		family := func(typ string, counters, gauges map[string]float64) {
			for _, prefix := range []string{"kafka_connect_" + typ + "_", "kafka_connect_" + typ + "_metrics_"} {
				for attr, val := range counters {
					add(prefix+attr, "Kafka Connect JMX metric type "+typ+".", true, val, lbl...)
				}
				for attr, val := range gauges {
					add(prefix+attr, "Kafka Connect JMX metric type "+typ+".", false, val, lbl...)
				}
			}
		}
		if c != nil && c.Type == clusterv1.ConnectorType_CONNECTOR_TYPE_SINK {
			family("sink_task", map[string]float64{"sink_record_read_total": recs, "sink_record_send_total": recs},
				map[string]float64{"sink_record_read_rate": rate, "sink_record_send_rate": rate})
		} else {
			family("source_task", map[string]float64{"source_record_poll_total": recs, "source_record_write_total": recs},
				map[string]float64{"source_record_poll_rate": rate, "source_record_write_rate": rate})
		}
		family("task_error", nil, map[string]float64{
			"total_record_errors":              float64(t.Failures),
			"total_record_failures":            float64(t.Failures),
			"total_records_skipped":            float64(t.Skipped),
			"deadletterqueue_produce_requests": float64(t.DeadLettered),
		})
	}
	add("kafka_connect_worker_connector_count", "Kafka Connect JMX metric worker: connectors run by this worker.", false, float64(connectors))
	add("kafka_connect_worker_task_count", "Kafka Connect JMX metric worker: tasks run by this worker.", false, float64(len(v.running)))
	add("kafka_connect_worker_task_startup_attempts_total", "Kafka Connect JMX metric worker: task starts attempted.", true, float64(attempts))
	for conn, states := range perConnector {
		total := 0
		for _, n := range states {
			total += n
		}
		for _, s := range []string{"running", "paused", "failed", "unassigned", "restarting"} {
			add("kafka_connect_worker_connector_"+s+"_task_count", "Kafka Connect JMX metric worker: the connector's "+s+" tasks on this worker.",
				false, float64(states[s]), "connector", conn)
		}
		add("kafka_connect_worker_connector_total_task_count", "Kafka Connect JMX metric worker: the connector's tasks on this worker.",
			false, float64(total), "connector", conn)
	}
	return out
}

// kcCollector serves kafkaConnectMetrics at scrape time. Its metrics vary with the
// connectors, so it describes none (an unchecked collector).
type kcCollector struct {
	n     *Node
	rates *rates
}

func (kcCollector) Describe(chan<- *prometheus.Desc) {}

func (c kcCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	if n.Runtime == nil || n.Cluster == nil {
		return
	}
	v := kcView{nodeID: n.cfg.NodeID, running: n.Runtime.Running(), starts: n.Runtime.Starts(), leader: n.Cluster.IsLeader()}
	if ph := n.Plugins; ph != nil {
		v.plugins = func(plugin string) (string, string) {
			d, err := ph.Resolve(plugin)
			if err != nil {
				return "", ""
			}
			class := d.Name
			for _, a := range d.Aliases {
				if strings.Contains(a, ".") {
					class = a
					break
				}
			}
			return class, d.Version
		}
	}
	var ms []kcMetric
	n.Cluster.Read(func(st *state.State) { ms = kafkaConnectMetrics(st, v, c.rates, time.Now()) })
	emit(ch, ms)
}

// emit writes metrics, one Desc per name and label set.
func emit(ch chan<- prometheus.Metric, ms []kcMetric) {
	for _, m := range ms {
		var names, values []string
		for i := 0; i+1 < len(m.labels); i += 2 {
			names = append(names, m.labels[i])
			values = append(values, m.labels[i+1])
		}
		t := prometheus.GaugeValue
		if m.counter {
			t = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(m.name, m.help, names, nil), t, m.value, values...)
	}
}
