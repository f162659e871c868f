package kernel

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tributary-dev/tributary/kernel/state"
)

// metricsRegistry is the node's own registry (not the global one, so several nodes can
// run in one process), read at scrape time from the parts that hold the numbers.
func (n *Node) metricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), nodeCollector{n})
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
