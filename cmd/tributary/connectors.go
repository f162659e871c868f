package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newConnectorsCmd) }

func newConnectorsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "connectors",
		Aliases: []string{"connector", "conn"},
		Short:   "List, inspect and control connectors",
		Long: `List, inspect and control connectors. As in Kafka Connect, a connector is in one of
three target states:

  RUNNING  its tasks run (a new connector's state unless it is created otherwise)
  PAUSED   its tasks stay where they are and keep their resources, but move no data
  STOPPED  its tasks shut down and it lists none; its config and offsets stay

pause, stop and resume move between them (resume also leaves STOPPED); restart restarts
the connector, its tasks, or one task. A connector's offsets can be altered or reset
only while it is STOPPED.

` + recreateHelp,
	}
	cmd.AddCommand(
		&cobra.Command{Use: "list", Short: "List connectors with their state", Args: cobra.NoArgs, RunE: connectorsList},
		&cobra.Command{Use: "get NAME", Short: "Show a connector's config and tasks", Args: cobra.ExactArgs(1), RunE: connectorsGet},
		newConnectorsStatusCmd(),
		&cobra.Command{Use: "config NAME", Short: "Show a connector's config (secrets masked)", Args: cobra.ExactArgs(1), RunE: connectorsConfig},
		newOffsetsCmd(),
		newTopicsCmd(),
		targetCmd("pause", "Pause a connector's tasks; they keep their resources", "paused", adminv1.AdminClient.PauseConnector),
		targetCmd("resume", "Resume a paused or stopped connector", "resumed", adminv1.AdminClient.ResumeConnector),
		targetCmd("stop", "Stop a connector: its tasks shut down, config and offsets stay", "stopped", adminv1.AdminClient.StopConnector),
		targetCmd("delete", "Delete a connector and its offsets", "deleted", adminv1.AdminClient.DeleteConnector),
		newRestartCmd(),
	)
	return cmd
}

// recreateHelp says how a connector created again under an old name starts, and how to
// make it carry on from chosen positions.
const recreateHelp = `A connector deleted and created again under the same name does not resume the old one's
offsets: a source starts from the beginning of its data, a sink from the earliest offset
of each partition. To carry on from chosen positions instead, create it stopped, set its
offsets, then resume it:

  tributary apply -f conn.yaml    # with spec.state: stopped (Strimzi or Tributary manifest)
                                  # or "initial_state": "STOPPED" (Kafka Connect REST body)
  tributary connectors offsets alter NAME -f offsets.json
  tributary connectors resume NAME`

// connectorOp is an AdminClient method that takes a connector's name.
type connectorOp func(adminv1.AdminClient, context.Context, *adminv1.ConnectorRequest, ...grpc.CallOption) (*adminv1.Empty, error)

func targetCmd(use, short, done string, op connectorOp) *cobra.Command {
	return &cobra.Command{
		Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				if _, err := op(c, ctx, &adminv1.ConnectorRequest{Name: args[0]}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "connector %s %s\n", args[0], done)
				return nil
			})
		},
	}
}

func newRestartCmd() *cobra.Command {
	var includeTasks, onlyFailed bool
	var task int32
	cmd := &cobra.Command{
		Use:   "restart NAME [--include-tasks] [--only-failed] | restart NAME --task ID",
		Short: "Restart a connector, its tasks, or one task",
		Long: `Restart restarts a connector as Kafka Connect's POST /connectors/NAME/restart does:

  (no flags)                     the connector alone
  --include-tasks                the connector and all of its tasks
  --only-failed                  the connector if it FAILED (a Tributary connector has no
                                 instance of its own that can fail, so nothing)
  --include-tasks --only-failed  the tasks that FAILED

With --include-tasks or --only-failed it prints the status with what restarts marked
RESTARTING. --task ID restarts that one task (POST /connectors/NAME/tasks/ID/restart).
A task restarts in place, on its node, from its committed offsets.`,
		Example: `  tributary connectors restart my-sink --include-tasks --only-failed
  tributary connectors restart my-sink --task 1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			oneTask := cmd.Flags().Changed("task")
			if oneTask && (includeTasks || onlyFailed) {
				return errors.New("--task restarts one task; it cannot be combined with --include-tasks or --only-failed")
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				if oneTask {
					if _, err := c.RestartTask(ctx, &adminv1.TaskRequest{Connector: args[0], Task: task}); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "task %s-%d restarted\n", args[0], task)
					return nil
				}
				st, err := c.RestartConnector(ctx, &adminv1.RestartConnectorRequest{
					Name: args[0], IncludeTasks: includeTasks, OnlyFailed: onlyFailed})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), st)
				}
				if onlyFailed && !restarting(st) {
					what := "the connector has not FAILED (a Tributary connector has no instance of its own that can fail)"
					if includeTasks {
						what = "no task of it has FAILED"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "nothing restarted: %s; connector %s is %s, tasks %s\n",
						what, args[0], st.GetConnector().GetState(), taskSummary(st.Tasks))
					if !includeTasks && strings.Contains(taskSummary(st.Tasks), "FAILED") {
						fmt.Fprintf(cmd.OutOrStdout(), "to restart the FAILED tasks: tributary connectors restart %s --include-tasks --only-failed\n", args[0])
					}
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "connector %s restarted\n", args[0])
				if includeTasks || onlyFailed {
					return printStatus(cmd, st)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&includeTasks, "include-tasks", false, "restart the connector's tasks too")
	cmd.Flags().BoolVar(&onlyFailed, "only-failed", false, "restart only what has FAILED")
	cmd.Flags().Int32Var(&task, "task", 0, "restart only the task with this id (as status lists it)")
	return cmd
}

// restarting reports whether a restart plan restarts anything.
func restarting(st *adminv1.ConnectorStatus) bool {
	if st.GetConnector().GetState() == "RESTARTING" {
		return true
	}
	for _, t := range st.GetTasks() {
		if t.State == "RESTARTING" {
			return true
		}
	}
	return false
}

// taskSummary counts tasks by state: "2 RUNNING, 1 FAILED"; "-" for none.
func taskSummary(tasks []*adminv1.TaskStatus) string {
	if len(tasks) == 0 {
		return "-"
	}
	counts := map[string]int{}
	for _, t := range tasks {
		counts[t.State]++
	}
	states := make([]string, 0, len(counts))
	for s := range counts {
		states = append(states, s)
	}
	sort.Strings(states)
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = strconv.Itoa(counts[s]) + " " + s
	}
	return strings.Join(parts, ", ")
}

func connectorsGet(cmd *cobra.Command, args []string) error {
	format, err := outputFormat()
	if err != nil {
		return err
	}
	if format == "yaml" {
		return getKafkaConnectors(cmd, args)
	}
	asJSON := format == "json"
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		info, err := c.GetConnector(ctx, &adminv1.ConnectorRequest{Name: args[0]})
		if err != nil {
			return err
		}
		if asJSON {
			return printProto(cmd.OutOrStdout(), info)
		}
		t := newTable(cmd.OutOrStdout())
		t.row("NAME", info.Name)
		t.row("TYPE", info.Type)
		t.row("TASKS", strconv.Itoa(len(info.Tasks)))
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout())
		return printConfig(cmd, info.Config)
	})
}

func printConfig(cmd *cobra.Command, cfg map[string]string) error {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := newTable(cmd.OutOrStdout(), "KEY", "VALUE")
	for _, k := range keys {
		t.row(k, cfg[k])
	}
	return t.flush()
}

func connectorsConfig(cmd *cobra.Command, args []string) error {
	asJSON, err := jsonOutput()
	if err != nil {
		return err
	}
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		info, err := c.GetConnector(ctx, &adminv1.ConnectorRequest{Name: args[0]})
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(cmd.OutOrStdout(), info.Config)
		}
		return printConfig(cmd, info.Config)
	})
}

func newConnectorsStatusCmd() *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "status NAME [-w]",
		Short: "Show the state of a connector and its tasks (-w: keep watching)",
		Long: `Status shows the state of a connector and of each task, the worker it runs on and, for
a task that failed, its trace. With -w it then keeps watching and prints a line each time
the connector's or a task's state, worker or trace changes (Ctrl-C ends it); with -o json
each change is one JSON line (a WatchStatus event).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !watch {
				return connectorsStatus(cmd, args)
			}
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdminStream(cmd, 0, func(ctx context.Context, c adminv1.AdminClient) error {
				return watchStatus(ctx, c, cmd.OutOrStdout(), args[0], asJSON)
			})
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep watching and print each change")
	return cmd
}

func connectorsStatus(cmd *cobra.Command, args []string) error {
	asJSON, err := jsonOutput()
	if err != nil {
		return err
	}
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		st, err := c.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: args[0]})
		if err != nil {
			return err
		}
		if asJSON {
			return printProto(cmd.OutOrStdout(), st)
		}
		return printStatus(cmd, st)
	})
}

func printStatus(cmd *cobra.Command, st *adminv1.ConnectorStatus) error {
	w := cmd.OutOrStdout()
	t := newTable(w)
	t.row("CONNECTOR", st.Name)
	t.row("TYPE", st.Type)
	t.row("STATE", st.GetConnector().GetState())
	t.row("WORKER", st.GetConnector().GetWorkerId())
	if tr := st.GetConnector().GetTrace(); tr != "" {
		t.row("TRACE", firstLine(tr))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(st.Tasks) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	t = newTable(w, "TASK", "STATE", "WORKER", "TRACE")
	for _, ts := range st.Tasks {
		worker := ts.WorkerId
		if worker == "" {
			worker = "-"
		}
		t.row(strconv.Itoa(int(ts.Id)), ts.State, worker, firstLine(ts.Trace))
	}
	return t.flush()
}

func newOffsetsCmd() *cobra.Command {
	get := func(use string) *cobra.Command {
		return &cobra.Command{Use: use, Short: "Show a connector's committed offsets", Args: cobra.ExactArgs(1), RunE: connectorsOffsets}
	}
	cmd := get("offsets NAME")
	cmd.Short = "Show, alter or reset a connector's committed offsets"
	cmd.Long = `Offsets shows the offsets a connector has committed: for a source connector the
partitions and offsets its tasks wrote (the file source's are {"filename": …} and
{"position": N}, N a byte offset), for a sink connector {"kafka_topic": …,
"kafka_partition": …} and {"kafka_offset": N}, N the next record to deliver. With -o json
it prints the body of Kafka Connect's GET /connectors/NAME/offsets, which "offsets alter
-f" takes back.

"offsets alter" and "offsets reset" change them, as PATCH and DELETE
/connectors/NAME/offsets do, only while the connector is STOPPED:

  tributary connectors stop NAME
  tributary connectors offsets reset NAME                # read everything again
  tributary connectors offsets alter NAME -f offsets.json
  tributary connectors resume NAME

` + recreateHelp
	cmd.AddCommand(get("get NAME"), newOffsetsAlterCmd(), &cobra.Command{
		Use:   "reset NAME",
		Short: "Remove every offset of a stopped connector",
		Long: `Reset removes every offset of a STOPPED connector (DELETE /connectors/NAME/offsets).
Once resumed, a source starts from the beginning of its data and a sink from the earliest
offset of each partition.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeOffsets(cmd, args[0], func(ctx context.Context, c adminv1.AdminClient) (*adminv1.Message, error) {
				return c.ResetOffsets(ctx, &adminv1.ConnectorRequest{Name: args[0]})
			})
		},
	})
	return cmd
}

func newOffsetsAlterCmd() *cobra.Command {
	var file, partition, offset string
	cmd := &cobra.Command{
		Use:   "alter NAME (-f FILE | --partition JSON --offset JSON)",
		Short: "Set or remove some offsets of a stopped connector",
		Long: `Alter sets the offsets of the partitions it names, or with a null offset removes them,
for a STOPPED connector (PATCH /connectors/NAME/offsets); the partitions it does not name
keep theirs. FILE ("-" for standard input) holds the same JSON as the REST request body:

  {"offsets": [{"partition": {"filename": "/data/in.txt"}, "offset": {"position": 1024}}]}

  {"offsets": [{"partition": {"kafka_topic": "orders", "kafka_partition": 0},
                "offset": {"kafka_offset": 500}}]}

--partition and --offset give one partition and its offset on the command line instead.`,
		Example: `  tributary connectors offsets alter my-source -f offsets.json
  tributary connectors offsets alter my-source --partition '{"filename":"/data/in.txt"}' --offset '{"position":1024}'
  tributary connectors offsets alter my-sink --partition '{"kafka_topic":"orders","kafka_partition":0}' --offset '{"kafka_offset":500}'
  tributary connectors offsets alter my-sink --partition '{"kafka_topic":"orders","kafka_partition":1}' --offset null`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var offsets []*adminv1.Offset
			switch {
			case file != "" && (partition != "" || offset != ""):
				return errors.New("give the offsets either in a file (-f) or with --partition and --offset, not both")
			case file != "":
				var err error
				if offsets, err = readOffsetsFile(cmd.InOrStdin(), file); err != nil {
					return err
				}
			case partition != "" && cmd.Flags().Changed("offset"):
				offsets = []*adminv1.Offset{{Partition: partition, Offset: offset}}
			default:
				return errors.New("no offsets given: use -f FILE, or --partition JSON with --offset JSON (or null)")
			}
			return changeOffsets(cmd, args[0], func(ctx context.Context, c adminv1.AdminClient) (*adminv1.Message, error) {
				return c.AlterOffsets(ctx, &adminv1.AlterOffsetsRequest{Name: args[0], Offsets: offsets})
			})
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", `JSON file of offsets, as the REST PATCH body ("-" for standard input)`)
	cmd.Flags().StringVar(&partition, "partition", "", "one partition, a JSON object")
	cmd.Flags().StringVar(&offset, "offset", "", "the partition's offset, a JSON object, or null to remove it")
	return cmd
}

// readOffsetsFile reads offsets in the shape of the body of Kafka Connect's PATCH
// /connectors/NAME/offsets.
func readOffsetsFile(stdin io.Reader, file string) ([]*adminv1.Offset, error) {
	var data []byte
	var err error
	if file == "-" {
		file = "<stdin>"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, err
	}
	var body struct {
		Offsets []struct {
			Partition json.RawMessage `json:"partition"`
			Offset    json.RawMessage `json:"offset"`
		} `json:"offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf(`%s: %v; want {"offsets": [{"partition": {…}, "offset": {…}}, …]}, the body of PATCH /connectors/NAME/offsets`, file, err)
	}
	if len(body.Offsets) == 0 {
		return nil, fmt.Errorf(`%s: no offsets; want {"offsets": [{"partition": {…}, "offset": {…}}, …]}`, file)
	}
	out := make([]*adminv1.Offset, len(body.Offsets))
	for i, o := range body.Offsets {
		out[i] = &adminv1.Offset{Partition: string(o.Partition), Offset: string(o.Offset)}
	}
	return out, nil
}

// changeOffsets runs an offsets change and prints the node's answer; refused because the
// connector is not STOPPED, it also says how to stop it with this CLI.
func changeOffsets(cmd *cobra.Command, name string, call func(context.Context, adminv1.AdminClient) (*adminv1.Message, error)) error {
	asJSON, err := jsonOutput()
	if err != nil {
		return err
	}
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		msg, err := call(ctx, c)
		if st, ok := status.FromError(err); ok && st.Code() == codes.FailedPrecondition {
			return fmt.Errorf("%s\nStop it first: tributary connectors stop %s", st.Message(), name)
		}
		if err != nil {
			return err
		}
		if asJSON {
			return printProto(cmd.OutOrStdout(), msg)
		}
		fmt.Fprintln(cmd.OutOrStdout(), msg.GetMessage())
		return nil
	})
}

func connectorsOffsets(cmd *cobra.Command, args []string) error {
	asJSON, err := jsonOutput()
	if err != nil {
		return err
	}
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		offs, err := c.GetOffsets(ctx, &adminv1.ConnectorRequest{Name: args[0]})
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(cmd.OutOrStdout(), offsetsBody(offs))
		}
		t := newTable(cmd.OutOrStdout(), "PARTITION", "OFFSET")
		for _, o := range offs.Offsets {
			t.row(o.Partition, o.Offset)
		}
		return t.flush()
	})
}

// offsetsJSON is the body of Kafka Connect's GET /connectors/NAME/offsets.
type offsetsJSON struct {
	Offsets []offsetJSON `json:"offsets"`
}

type offsetJSON struct {
	Partition json.RawMessage `json:"partition"`
	Offset    json.RawMessage `json:"offset"`
}

// offsetsBody turns offsets into the REST body; a stored value that is not JSON (no
// plugin should write one) goes out as a string.
func offsetsBody(offs *adminv1.Offsets) offsetsJSON {
	raw := func(s string) json.RawMessage {
		if s == "" {
			return json.RawMessage("null")
		}
		if json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
		b, _ := json.Marshal(s)
		return b
	}
	out := offsetsJSON{Offsets: []offsetJSON{}}
	for _, o := range offs.GetOffsets() {
		out.Offsets = append(out.Offsets, offsetJSON{raw(o.Partition), raw(o.Offset)})
	}
	return out
}
