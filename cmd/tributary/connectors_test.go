package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// ageColumn matches an age at the end of a table row (kubectl's 45s, 12m, 3h, 5d).
var ageColumn = regexp.MustCompile(`(?m)\b\d+[smhd]$`)

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
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_RecordActiveTopics{RecordActiveTopics: &clusterv1.RecordActiveTopics{
		Connector: "my-source-connector", Topics: []string{"my-topic"}}}})

	steps := []struct {
		args []string
		want string
	}{
		{[]string{"connectors", "list"}, `NAME                 CLASS                      TYPE    STATE    TASKS  READY  RESTARTS  AGE
my-sink-connector    FileStreamSinkConnector    sink    RUNNING  0/2    False  0         <age>
my-source-connector  FileStreamSourceConnector  source  RUNNING  1/2    False  0         <age>
secret-source        file-source                source  RUNNING  0/1    False  0         <age>
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
		{[]string{"connectors", "topics", "my-source-connector"}, "TOPIC\nmy-topic\n"},
		{[]string{"connectors", "topics", "my-source-connector", "-o", "json"}, `{
  "my-source-connector": {
    "topics": [
      "my-topic"
    ]
  }
}
`},
		{[]string{"connectors", "topics", "my-source-connector", "--reset"}, "active topics of my-source-connector reset\n"},
		{[]string{"connectors", "topics", "my-source-connector"}, "TOPIC\n"},
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
		{[]string{"connectors", "restart", "my-sink-connector", "--include-tasks", "--only-failed"},
			"nothing restarted: no task of it has FAILED; connector my-sink-connector is RUNNING, tasks 2 UNASSIGNED\n"},
		{[]string{"connectors", "restart", "my-sink-connector", "--only-failed"},
			"nothing restarted: the connector has not FAILED (a Tributary connector has no instance of its own that can fail); connector my-sink-connector is RUNNING, tasks 2 UNASSIGNED\n"},
		{[]string{"connectors", "delete", "secret-source"}, "connector secret-source deleted\n"},
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
		// An age depends on the clock: its column is compared as a well-formed age.
		got := ageColumn.ReplaceAllString(n.mustRun(t, s.args...), "<age>")
		if got != s.want {
			t.Errorf("tributary %s:\n got:\n%s\n want:\n%s", strings.Join(s.args, " "), got, s.want)
		}
	}

	// -o json lists each connector with its info, status and counters.
	var list struct {
		Connectors []struct {
			Info struct {
				Name string `json:"name"`
			} `json:"info"`
			TargetState string `json:"target_state"`
			Restarts    string `json:"restarts"`
		} `json:"connectors"`
	}
	if err := json.Unmarshal([]byte(n.mustRun(t, "connectors", "list", "-o", "json")), &list); err != nil || len(list.Connectors) != 2 ||
		list.Connectors[0].Info.Name != "my-sink-connector" || list.Connectors[0].TargetState != "RUNNING" ||
		list.Connectors[1].Info.Name != "my-source-connector" || list.Connectors[1].Restarts != "2" {
		t.Errorf("connectors list -o json: %+v, %v; want the sink RUNNING and the source with 2 restarts (connector and task 1)", list, err)
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
		{[]string{"plugins", "list"}, `CLASS        TYPE    VERSION  BINARY          SHA256  ALIASES
file-sink    sink    1.0.0    tributary-file  -       org.apache.kafka.connect.file.FileStreamSinkConnector
file-source  source  1.0.0    tributary-file  -       org.apache.kafka.connect.file.FileStreamSourceConnector
`},
		{[]string{"plugins", "describe", "org.apache.kafka.connect.file.FileStreamSourceConnector"}, `KEY       TYPE      DEFAULT     IMPORTANCE  DOC
file      STRING    (required)  MEDIUM
topic     STRING    (required)  MEDIUM
password  PASSWORD  -           MEDIUM
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

func TestOffsetsAndRestartCommands(t *testing.T) {
	n := startCLINode(t)
	n.mustRun(t, "apply", "-f", writeFile(t, "c.yaml", cliStrimziSource+"---\n"+cliStrimziSink))
	n.place(t, "n2", "my-source-connector", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_FAILED)
	n.place(t, "n2", "my-sink-connector", clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_RUNNING)
	var epoch uint64
	n.store.Read(func(s *state.State) { epoch = s.Assignment(state.TaskKey{Connector: "my-sink-connector"}).Epoch })
	n.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: []*clusterv1.TaskOffsets{{
		Task: &clusterv1.TaskID{Connector: "my-sink-connector"}, Epoch: epoch,
		Sink: []*clusterv1.SinkOffset{{Topic: "my-topic", Partition: 0, Offset: 40}, {Topic: "my-topic", Partition: 1, Offset: 7}}}}}}})
	const src = "my-source-connector"
	offsetsFile := writeFile(t, "offsets.json", `{"offsets": [{"partition": {"filename": "/opt/kafka/LICENSE"}, "offset": {"position": 1024}}]}`)

	// Refused while RUNNING, with the upstream message and how to stop it with the CLI.
	for _, args := range [][]string{
		{"connectors", "offsets", "alter", src, "-f", offsetsFile},
		{"connectors", "offsets", "reset", src},
	} {
		_, _, err := n.run(t, "", args...)
		want := "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector " +
			"by issuing a 'PUT' request to the '/connectors/my-source-connector/stop' endpoint\nStop it first: tributary connectors stop my-source-connector"
		if err == nil || err.Error() != want {
			t.Errorf("tributary %s: %v\nwant %s", strings.Join(args, " "), err, want)
		}
	}

	steps := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"connectors", "stop", src}, "", "connector my-source-connector stopped\n"},
		{[]string{"connectors", "offsets", "alter", src, "-f", offsetsFile}, "", "The offsets for this connector have been altered successfully\n"},
		{[]string{"connectors", "offsets", src}, "", `PARTITION                          OFFSET
{"filename":"/opt/kafka/LICENSE"}  {"position": 1024}
`},
		{[]string{"connectors", "offsets", "get", src, "-o", "json"}, "", `{
  "offsets": [
    {
      "partition": {
        "filename": "/opt/kafka/LICENSE"
      },
      "offset": {
        "position": 1024
      }
    }
  ]
}
`},
		{[]string{"connectors", "offsets", "alter", src, "--partition", `{"filename":"/opt/kafka/LICENSE"}`, "--offset", `{"position":7}`, "-o", "json"}, "", `{
  "message": "The offsets for this connector have been altered successfully"
}
`},
		{[]string{"connectors", "offsets", "alter", src, "-f", "-"}, `{"offsets":[{"partition":{"filename":"/b"},"offset":{"position":3}}]}`,
			"The offsets for this connector have been altered successfully\n"},
		{[]string{"connectors", "offsets", src}, "", `PARTITION                          OFFSET
{"filename":"/b"}                  {"position":3}
{"filename":"/opt/kafka/LICENSE"}  {"position":7}
`},
		{[]string{"connectors", "offsets", "alter", src, "--partition", `{"filename":"/b"}`, "--offset", "null"}, "",
			"The offsets for this connector have been altered successfully\n"},
		{[]string{"connectors", "offsets", "reset", src}, "", "The offsets for this connector have been reset successfully\n"},
		{[]string{"connectors", "offsets", src}, "", "PARTITION  OFFSET\n"},
		{[]string{"connectors", "offsets", src, "-o", "json"}, "", "{\n  \"offsets\": []\n}\n"},
		{[]string{"connectors", "resume", src}, "", "connector my-source-connector resumed\n"},

		{[]string{"connectors", "stop", "my-sink-connector"}, "", "connector my-sink-connector stopped\n"},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "--partition", `{"kafka_topic":"my-topic","kafka_partition":0}`, "--offset", `{"kafka_offset":5}`}, "",
			"The offsets for this connector have been altered successfully\n"},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "--partition", `{"kafka_topic":"my-topic","kafka_partition":1}`, "--offset", `null`}, "",
			"The offsets for this connector have been altered successfully\n"},
		{[]string{"connectors", "offsets", "my-sink-connector"}, "", `PARTITION                                       OFFSET
{"kafka_topic":"my-topic","kafka_partition":0}  {"kafka_offset":5}
`},
	}
	for _, s := range steps {
		out, errOut, err := n.run(t, s.stdin, s.args...)
		if err != nil || out != s.want {
			t.Errorf("tributary %s: %v %s\n got:\n%s\n want:\n%s", strings.Join(s.args, " "), err, errOut, out, s.want)
		}
	}

	// What offsets -o json prints, alter -f takes back.
	saved := writeFile(t, "saved.json", n.mustRun(t, "connectors", "offsets", "my-sink-connector", "-o", "json"))
	n.mustRun(t, "connectors", "offsets", "reset", "my-sink-connector")
	n.mustRun(t, "connectors", "offsets", "alter", "my-sink-connector", "-f", saved)
	if got := n.mustRun(t, "connectors", "offsets", "my-sink-connector"); !strings.Contains(got, `{"kafka_offset":5}`) {
		t.Errorf("offsets after altering them to what -o json printed:\n%s", got)
	}

	refusals := []struct {
		args []string
		want string
	}{
		{[]string{"connectors", "offsets", "alter", "my-sink-connector"}, "no offsets given: use -f FILE, or --partition JSON with --offset JSON (or null)"},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "--partition", `{"kafka_topic":"my-topic","kafka_partition":0}`},
			"no offsets given: use -f FILE, or --partition JSON with --offset JSON (or null)"},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "-f", offsetsFile, "--partition", "{}"},
			"give the offsets either in a file (-f) or with --partition and --offset, not both"},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "-f", writeFile(t, "typo.json", `{"offset":[]}`)},
			`json: unknown field "offset"; want {"offsets": [{"partition": {…}, "offset": {…}}, …]}, the body of PATCH /connectors/NAME/offsets`},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "-f", writeFile(t, "empty.json", `{"offsets":[]}`)},
			`empty.json: no offsets; want {"offsets": [{"partition": {…}, "offset": {…}}, …]}`},
		{[]string{"connectors", "offsets", "alter", "my-sink-connector", "--partition", `{"kafka_topic":"my-topic"}`, "--offset", `{"kafka_offset":1}`},
			"The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"},
		{[]string{"connectors", "offsets", "reset", "ghost"}, "Connector ghost not found"},
		{[]string{"connectors", "restart", src, "--task", "1", "--include-tasks"},
			"--task restarts one task; it cannot be combined with --include-tasks or --only-failed"},
		{[]string{"connectors", "restart", src, "--task", "9"}, "Unknown task: my-source-connector-9"},
		{[]string{"connectors", "restart", "my-sink-connector", "--task", "0"}, "Unknown task: my-sink-connector-0"}, // STOPPED: no tasks
	}
	for _, r := range refusals {
		_, _, err := n.run(t, "", r.args...)
		if err == nil || !strings.HasSuffix(err.Error(), r.want) {
			t.Errorf("tributary %s: %v\nwant an error ending in %q", strings.Join(r.args, " "), err, r.want)
		}
	}

	// Restarting one task moves its epoch alone.
	epochs := func() (e [2]uint64) {
		n.store.Read(func(s *state.State) {
			for i := range e {
				e[i] = s.Assignment(state.TaskKey{Connector: src, Task: int32(i)}).GetEpoch()
			}
		})
		return e
	}
	n.place(t, "n2", src, clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_FAILED)
	before := epochs()
	if got := n.mustRun(t, "connectors", "restart", src, "--task", "1"); got != "task my-source-connector-1 restarted\n" {
		t.Errorf("restart --task 1: %q", got)
	}
	if after := epochs(); after[0] != before[0] || after[1] == before[1] {
		t.Errorf("restart --task 1: epochs %v → %v; want only task 1's to move", before, after)
	}
	// --only-failed without --include-tasks restarts nothing (the connector cannot fail,
	// tasks are not included), says so and how to restart the failed task.
	n.place(t, "n2", src, clusterv1.TaskState_TASK_STATE_RUNNING, clusterv1.TaskState_TASK_STATE_FAILED)
	if got, want := n.mustRun(t, "connectors", "restart", src, "--only-failed"), `nothing restarted: the connector has not FAILED (a Tributary connector has no instance of its own that can fail); connector my-source-connector is RUNNING, tasks 1 FAILED, 1 RUNNING
to restart the FAILED tasks: tributary connectors restart my-source-connector --include-tasks --only-failed
`; got != want {
		t.Errorf("restart --only-failed:\n got:\n%s\n want:\n%s", got, want)
	}
	if got := n.mustRun(t, "connectors", "restart", src, "--include-tasks", "-o", "json"); !strings.Contains(got, `"state": "RESTARTING"`) {
		t.Errorf("restart --include-tasks -o json shows no RESTARTING:\n%s", got)
	}
}
