package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newConnectorsCmd) }

func newConnectorsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "connectors",
		Aliases: []string{"connector", "conn"},
		Short:   "List, inspect and control connectors",
	}
	cmd.AddCommand(
		&cobra.Command{Use: "list", Short: "List connectors with their state", Args: cobra.NoArgs, RunE: connectorsList},
		&cobra.Command{Use: "get NAME", Short: "Show a connector's config and tasks", Args: cobra.ExactArgs(1), RunE: connectorsGet},
		&cobra.Command{Use: "status NAME", Short: "Show the state of a connector and its tasks", Args: cobra.ExactArgs(1), RunE: connectorsStatus},
		&cobra.Command{Use: "config NAME", Short: "Show a connector's config (secrets masked)", Args: cobra.ExactArgs(1), RunE: connectorsConfig},
		&cobra.Command{Use: "offsets NAME", Short: "Show a connector's committed offsets", Args: cobra.ExactArgs(1), RunE: connectorsOffsets},
		targetCmd("pause", "Pause a connector's tasks", "paused", adminv1.AdminClient.PauseConnector),
		targetCmd("resume", "Resume a paused or stopped connector", "resumed", adminv1.AdminClient.ResumeConnector),
		targetCmd("stop", "Stop a connector: its tasks shut down, config and offsets stay", "stopped", adminv1.AdminClient.StopConnector),
		targetCmd("delete", "Delete a connector and its offsets", "deleted", adminv1.AdminClient.DeleteConnector),
		newRestartCmd(),
	)
	return cmd
}

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
	cmd := &cobra.Command{
		Use:   "restart NAME",
		Short: "Restart a connector, and with --include-tasks its tasks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				st, err := c.RestartConnector(ctx, &adminv1.RestartConnectorRequest{
					Name: args[0], IncludeTasks: includeTasks, OnlyFailed: onlyFailed})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), st)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "connector %s restarted\n", args[0])
				if includeTasks {
					return printStatus(cmd, st)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&includeTasks, "include-tasks", false, "restart the connector's tasks too")
	cmd.Flags().BoolVar(&onlyFailed, "only-failed", false, "restart only what has FAILED")
	return cmd
}

func connectorsList(cmd *cobra.Command, _ []string) error {
	asJSON, err := jsonOutput()
	if err != nil {
		return err
	}
	return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
		list, err := c.ListConnectors(ctx, &adminv1.ListConnectorsRequest{})
		if err != nil {
			return err
		}
		if asJSON {
			return printProto(cmd.OutOrStdout(), list)
		}
		t := newTable(cmd.OutOrStdout(), "NAME", "TYPE", "STATE", "TASKS")
		for _, name := range list.Names {
			st, err := c.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: name})
			if err != nil {
				continue // deleted since it was listed
			}
			t.row(name, st.Type, st.GetConnector().GetState(), taskSummary(st.Tasks))
		}
		return t.flush()
	})
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
			return printProto(cmd.OutOrStdout(), offs)
		}
		t := newTable(cmd.OutOrStdout(), "PARTITION", "OFFSET")
		for _, o := range offs.Offsets {
			t.row(o.Partition, o.Offset)
		}
		return t.flush()
	})
}
