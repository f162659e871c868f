package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// kafkaConnector is a Strimzi KafkaConnector resource as `-o yaml` prints it: what
// `tributary apply -f` reads back unchanged (status is ignored on apply).
type kafkaConnector struct {
	APIVersion string               `json:"apiVersion" yaml:"apiVersion"`
	Kind       string               `json:"kind" yaml:"kind"`
	Metadata   kcMetadata           `json:"metadata" yaml:"metadata"`
	Spec       kafkaConnectorSpec   `json:"spec" yaml:"spec"`
	Status     kafkaConnectorStatus `json:"status" yaml:"status"`
}

type kcMetadata struct {
	Name   string            `json:"name" yaml:"name"`
	Labels map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

type kafkaConnectorSpec struct {
	Class    string            `json:"class" yaml:"class"`
	TasksMax *int              `json:"tasksMax,omitempty" yaml:"tasksMax,omitempty"`
	State    string            `json:"state" yaml:"state"`
	Config   map[string]string `json:"config,omitempty" yaml:"config,omitempty"`
}

type kcCondition struct {
	Type    string `json:"type" yaml:"type"`
	Status  string `json:"status" yaml:"status"`
	Reason  string `json:"reason,omitempty" yaml:"reason,omitempty"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

type kafkaConnectorStatus struct {
	Conditions      []kcCondition   `json:"conditions" yaml:"conditions"`
	ConnectorStatus kcConnectorJSON `json:"connectorStatus" yaml:"connectorStatus"`
	TasksMax        int             `json:"tasksMax" yaml:"tasksMax"`
	Topics          []string        `json:"topics" yaml:"topics"`
}

// kcConnectorJSON is the REST API's Status shape, as Strimzi copies it into the status.
type kcConnectorJSON struct {
	Name      string        `json:"name" yaml:"name"`
	Connector kcStateJSON   `json:"connector" yaml:"connector"`
	Tasks     []kcTaskState `json:"tasks" yaml:"tasks"`
	Type      string        `json:"type" yaml:"type"`
}

type kcStateJSON struct {
	State    string `json:"state" yaml:"state"`
	WorkerID string `json:"worker_id" yaml:"worker_id"`
	Trace    string `json:"trace,omitempty" yaml:"trace,omitempty"`
}

type kcTaskState struct {
	ID       int32  `json:"id" yaml:"id"`
	State    string `json:"state" yaml:"state"`
	WorkerID string `json:"worker_id" yaml:"worker_id"`
	Trace    string `json:"trace,omitempty" yaml:"trace,omitempty"`
}

// ready is kubectl's READY for a connector: it runs, and so does every task.
func ready(st *adminv1.ConnectorStatus) bool {
	if st.GetConnector().GetState() != "RUNNING" {
		return false
	}
	for _, t := range st.GetTasks() {
		if t.State != "RUNNING" {
			return false
		}
	}
	return true
}

// toKafkaConnector turns a connector into a KafkaConnector resource whose spec folds
// back into exactly the config the connector has: connector.class becomes spec.class,
// tasks.max spec.tasksMax (left out when the config leaves it out), the name is
// metadata.name, and everything else stays in spec.config.
func toKafkaConnector(s *adminv1.ConnectorSummary) kafkaConnector {
	cfg := map[string]string{}
	for k, v := range s.GetInfo().GetConfig() {
		cfg[k] = v
	}
	out := kafkaConnector{APIVersion: "kafka.strimzi.io/v1beta2", Kind: "KafkaConnector",
		Metadata: kcMetadata{Name: s.GetInfo().GetName()}}
	out.Spec.Class = cfg["connector.class"]
	delete(cfg, "connector.class")
	delete(cfg, "name")
	tasksMax := 1
	if v, ok := cfg["tasks.max"]; ok {
		if n, err := strconv.Atoi(v); err == nil && strconv.Itoa(n) == v {
			tasksMax = n
			out.Spec.TasksMax = &n
			delete(cfg, "tasks.max")
		}
	}
	out.Spec.State = strings.ToLower(s.GetTargetState())
	if len(cfg) > 0 {
		out.Spec.Config = cfg
	}
	st := s.GetStatus()
	cond := kcCondition{Type: "Ready", Status: "True"}
	if !ready(st) {
		cond = kcCondition{Type: "NotReady", Status: "True", Reason: st.GetConnector().GetState(),
			Message: "tasks " + taskSummary(st.GetTasks())}
		for _, t := range st.GetTasks() {
			if t.Trace != "" {
				cond.Message = fmt.Sprintf("task %d %s: %s", t.Id, t.State, firstLine(t.Trace))
				break
			}
		}
	}
	out.Status = kafkaConnectorStatus{Conditions: []kcCondition{cond}, TasksMax: tasksMax, Topics: configuredTopics(s.GetInfo().GetConfig()),
		ConnectorStatus: kcConnectorJSON{Name: st.GetName(), Type: st.GetType(), Tasks: []kcTaskState{},
			Connector: kcStateJSON{State: st.GetConnector().GetState(), WorkerID: st.GetConnector().GetWorkerId(), Trace: st.GetConnector().GetTrace()}}}
	for _, t := range st.GetTasks() {
		out.Status.ConnectorStatus.Tasks = append(out.Status.ConnectorStatus.Tasks,
			kcTaskState{ID: t.Id, State: t.State, WorkerID: t.WorkerId, Trace: t.Trace})
	}
	return out
}

// configuredTopics are the topics a connector's config names (topics for a sink, topic
// for a source that writes one); Strimzi's status.topics lists the topics in use.
func configuredTopics(cfg map[string]string) []string {
	out := []string{}
	for _, k := range []string{"topics", "topic"} {
		for _, t := range strings.Split(cfg[k], ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// printKafkaConnectors writes the connectors as YAML documents separated by ---.
func printKafkaConnectors(w io.Writer, conns []*adminv1.ConnectorSummary) error {
	var buf bytes.Buffer
	for i, c := range conns {
		if i > 0 {
			buf.WriteString("---\n")
		}
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(toKafkaConnector(c)); err != nil {
			return err
		}
		enc.Close()
	}
	_, err := buf.WriteTo(w)
	return err
}

// outputFormat is -o: table, json or yaml.
func outputFormat() (string, error) {
	switch f := strings.ToLower(flags.output); f {
	case "", "table", "text":
		return "table", nil
	case "json", "yaml":
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q: use table, json or yaml", flags.output)
}

// shortClass is a class name's last part: FileStreamSourceConnector.
func shortClass(c string) string {
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		return c[i+1:]
	}
	return c
}

// age prints a duration as kubectl does: 45s, 12m, 3h, 5d.
func age(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func connectorsList(cmd *cobra.Command, _ []string) error {
	format, err := outputFormat()
	if err != nil {
		return err
	}
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		resp, err := c.DescribeConnectors(ctx, &adminv1.DescribeConnectorsRequest{})
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		switch format {
		case "json":
			return printProto(w, resp)
		case "yaml":
			return printKafkaConnectors(w, resp.Connectors)
		}
		t := newTable(w, "NAME", "CLASS", "TYPE", "STATE", "TASKS", "READY", "RESTARTS", "AGE")
		for _, s := range resp.Connectors {
			st := s.GetStatus()
			running := 0
			for _, tk := range st.GetTasks() {
				if tk.State == "RUNNING" {
					running++
				}
			}
			r := "False"
			if ready(st) {
				r = "True"
			}
			t.row(s.GetInfo().GetName(), shortClass(s.GetInfo().GetConfig()["connector.class"]), st.GetType(),
				st.GetConnector().GetState(), fmt.Sprintf("%d/%d", running, len(st.GetTasks())), r,
				strconv.FormatUint(s.GetRestarts(), 10), age(s.GetAgeMs()))
		}
		return t.flush()
	})
}

// getKafkaConnectors prints connectors (all, or those named) as KafkaConnector resources.
func getKafkaConnectors(cmd *cobra.Command, names []string) error {
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		var conns []*adminv1.ConnectorSummary
		if len(names) == 0 {
			resp, err := c.DescribeConnectors(ctx, &adminv1.DescribeConnectorsRequest{})
			if err != nil {
				return err
			}
			conns = resp.Connectors
		}
		for _, n := range names {
			resp, err := c.DescribeConnectors(ctx, &adminv1.DescribeConnectorsRequest{Name: n})
			if err != nil {
				return err
			}
			conns = append(conns, resp.Connectors...)
		}
		return printKafkaConnectors(cmd.OutOrStdout(), conns)
	})
}

func init() { register(newGetCmd) }

func newGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get (kafkaconnectors [NAME…] | kafkaconnect)",
		Short: "Print resources as Strimzi YAML that apply -f takes back",
		Long: `Get prints connectors as Strimzi KafkaConnector resources (kafkaconnectors, or
kafkaconnector, kctr, connectors) with a status block as Strimzi reports it (conditions,
connectorStatus, tasksMax, topics), and the worker as a KafkaConnect resource
(kafkaconnect). The output is YAML (-o json for JSON); apply -f of it changes nothing:

  tributary get kafkaconnectors -o yaml > connectors.yaml
  tributary apply -f connectors.yaml      # every connector "unchanged"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch strings.ToLower(args[0]) {
			case "kafkaconnectors", "kafkaconnector", "kctr", "connectors", "connector":
				if strings.ToLower(flags.output) == "json" {
					return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
						name := ""
						if len(args) > 1 {
							name = args[1]
						}
						resp, err := c.DescribeConnectors(ctx, &adminv1.DescribeConnectorsRequest{Name: name})
						if err != nil {
							return err
						}
						var out []kafkaConnector
						for _, s := range resp.Connectors {
							out = append(out, toKafkaConnector(s))
						}
						return printJSON(cmd.OutOrStdout(), out)
					})
				}
				return getKafkaConnectors(cmd, args[1:])
			case "kafkaconnect", "kafkaconnects", "kc":
				return getKafkaConnect(cmd)
			}
			return fmt.Errorf("unknown resource %q: use kafkaconnectors or kafkaconnect", args[0])
		},
	}
}
