package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

func TestConnectorsCommands(t *testing.T) {
	n := startCLINode(t)
	n.mustRun(t, "apply", "-f", writeFile(t, "c.yaml", cliStrimziSource+"---\n"+cliStrimziSink+"---\n"+
		`{"name": "secret-source", "config": {"connector.class": "file-source", "file": "/x", "topic": "t", "password": "hunter2"}}`))
	n.place(t, "n2", "my-source-connector", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_FAILED)
	var epoch uint64
	n.store.Read(func(s *state.State) { epoch = s.Assignment(state.TaskKey{Connector: "my-source-connector"}).Epoch })
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: []*clusterv1.TaskOffsets{{
		Task: &clusterv1.TaskID{Connector: "my-source-connector"}, Epoch: epoch,
		Source: []*clusterv1.SourceOffset{{Partition: []byte(`{"filename":"/opt/kafka/LICENSE"}`), Offset: []byte(`{"position":1234}`)}}}}}}})

	steps := []struct {
		args []string
		want string
	}{
		{[]string{"connectors", "list"}, `NAME                 TYPE    STATE    TASKS
my-sink-connector    sink    RUNNING  2 UNASSIGNED
my-source-connector  source  RUNNING  1 FAILED, 1 RUNNING
secret-source        source  RUNNING  1 UNASSIGNED
`},
		{[]string{"connectors", "status", "my-source-connector"}, `CONNECTOR  my-source-connector
TYPE       source
STATE      RUNNING
WORKER     n2

TASK  STATE    WORKER  TRACE
0     RUNNING  n2
1     FAILED   n2      file not found: /nope …
`},
		{[]string{"connectors", "config", "secret-source"}, `KEY              VALUE
connector.class  file-source
file             /x
name             secret-source
password         [hidden]
topic            t
`},
		{[]string{"connectors", "get", "my-sink-connector"}, `NAME   my-sink-connector
TYPE   sink
TASKS  2

KEY              VALUE
connector.class  org.apache.kafka.connect.file.FileStreamSinkConnector
file             /tmp/my-file
name             my-sink-connector
tasks.max        2
topics           my-topic
`},
		{[]string{"connectors", "offsets", "my-source-connector"}, `PARTITION                          OFFSET
{"filename":"/opt/kafka/LICENSE"}  {"position":1234}
`},
		{[]string{"connectors", "pause", "my-sink-connector"}, "connector my-sink-connector paused\n"},
		{[]string{"connectors", "stop", "my-sink-connector"}, "connector my-sink-connector stopped\n"},
		{[]string{"connectors", "status", "my-sink-connector"}, `CONNECTOR  my-sink-connector
TYPE       sink
STATE      STOPPED
WORKER     n1
`},
		{[]string{"connectors", "resume", "my-sink-connector"}, "connector my-sink-connector resumed\n"},
		{[]string{"connectors", "restart", "my-source-connector"}, "connector my-source-connector restarted\n"},
		{[]string{"connectors", "restart", "my-source-connector", "--include-tasks", "--only-failed"}, `connector my-source-connector restarted
CONNECTOR  my-source-connector
TYPE       source
STATE      RUNNING
WORKER     n2

TASK  STATE       WORKER  TRACE
0     RUNNING     n2
1     RESTARTING  n2
`},
		{[]string{"connectors", "delete", "secret-source"}, "connector secret-source deleted\n"},
		{[]string{"connectors", "list", "-o", "json"}, `{
  "names": [
    "my-sink-connector",
    "my-source-connector"
  ]
}
`},
		{[]string{"connectors", "status", "my-sink-connector", "-o", "json"}, `{
  "name": "my-sink-connector",
  "connector": {
    "state": "RUNNING",
    "worker_id": "n1",
    "trace": ""
  },
  "tasks": [
    {
      "id": 0,
      "state": "UNASSIGNED",
      "worker_id": "",
      "trace": ""
    },
    {
      "id": 1,
      "state": "UNASSIGNED",
      "worker_id": "",
      "trace": ""
    }
  ],
  "type": "sink"
}
`},
	}
	for _, s := range steps {
		got := n.mustRun(t, s.args...)
		if got != s.want {
			t.Errorf("tributary %s:\n got:\n%s\n want:\n%s", strings.Join(s.args, " "), got, s.want)
		}
	}

	// -o json for config is the config object itself.
	var cfg map[string]string
	if err := json.Unmarshal([]byte(n.mustRun(t, "connectors", "config", "my-sink-connector", "-o", "json")), &cfg); err != nil || cfg["topics"] != "my-topic" {
		t.Errorf("config -o json: %v, %v", cfg, err)
	}
	for _, args := range [][]string{{"connectors", "get", "ghost"}, {"connectors", "pause", "ghost"}, {"connectors", "delete", "ghost"}} {
		if _, _, err := n.run(t, "", args...); err == nil || err.Error() != "Connector ghost not found" {
			t.Errorf("tributary %s: %v, want \"Connector ghost not found\"", strings.Join(args, " "), err)
		}
	}
}

func TestPluginsAndMembers(t *testing.T) {
	n := startCLINode(t)
	n.mustRun(t, "apply", "-f", writeFile(t, "c.yaml", cliStrimziSource))
	n.place(t, "n1", "my-source-connector", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RegisterNode{RegisterNode: &clusterv1.RegisterNode{
		Node: &clusterv1.Node{Id: "n2", RpcAddr: "10.0.0.2:8085"}}}})
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"plugins", "list"}, `CLASS        TYPE    VERSION  BINARY          ALIASES
file-sink    sink    1.0.0    tributary-file  org.apache.kafka.connect.file.FileStreamSinkConnector
file-source  source  1.0.0    tributary-file  org.apache.kafka.connect.file.FileStreamSourceConnector
`},
		{[]string{"members"}, `ID  ADDRESS        VOTER  LEADER  ALIVE  LAST CONTACT  TASKS
n1  n1:8084        yes    no      yes    0s            2
n2  10.0.0.2:8085  no     no      no     -             0
`},
	}
	for _, s := range steps {
		if got := n.mustRun(t, s.args...); got != s.want {
			t.Errorf("tributary %s:\n got:\n%s\n want:\n%s", strings.Join(s.args, " "), got, s.want)
		}
	}
	var members struct {
		Members []struct {
			ID            string `json:"id"`
			LastContactMs string `json:"last_contact_ms"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(n.mustRun(t, "members", "-o", "json")), &members); err != nil || len(members.Members) != 2 ||
		members.Members[1].LastContactMs != "-1" {
		t.Errorf("members -o json: %+v, %v", members, err)
	}
}
