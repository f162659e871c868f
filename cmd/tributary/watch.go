package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// withAdminStream is withAdmin for a call that lasts as long as the user wants (a watch):
// no overall timeout but timeout if set, ended by Ctrl-C or SIGTERM.
func withAdminStream(cmd *cobra.Command, timeout time.Duration, fn func(ctx context.Context, c adminv1.AdminClient) error) error {
	c, done, err := dialAdmin()
	if err != nil {
		return fmt.Errorf("admin address %s: %w", flags.addr, err)
	}
	defer done()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return rpcError(fn(ctx, c))
}

// statusWatcher prints what changed between the statuses a WatchStatus stream delivers:
// a line when a connector's state changes, a line per task whose state, worker or trace
// changes.
type statusWatcher struct {
	w    io.Writer
	last map[string]*adminv1.ConnectorStatus
	now  func() time.Time
}

func newStatusWatcher(w io.Writer) *statusWatcher {
	return &statusWatcher{w: w, last: map[string]*adminv1.ConnectorStatus{}, now: time.Now}
}

func (sw *statusWatcher) stamp() string { return sw.now().Format("15:04:05") }

// print writes the lines for one event.
func (sw *statusWatcher) print(e *adminv1.StatusEvent) {
	st := e.GetStatus()
	name := st.GetName()
	if e.GetDeleted() {
		fmt.Fprintf(sw.w, "%s  %s  deleted\n", sw.stamp(), name)
		delete(sw.last, name)
		return
	}
	prev := sw.last[name]
	sw.last[name] = st
	if prev == nil || prev.GetConnector().GetState() != st.GetConnector().GetState() ||
		prev.GetConnector().GetTrace() != st.GetConnector().GetTrace() {
		line := fmt.Sprintf("%s  %s  %s  tasks %s", sw.stamp(), name, st.GetConnector().GetState(), runningOf(st.GetTasks()))
		if tr := st.GetConnector().GetTrace(); tr != "" {
			line += "  (" + firstLine(tr) + ")"
		}
		fmt.Fprintln(sw.w, line)
	}
	old := map[int32]*adminv1.TaskStatus{}
	for _, t := range prev.GetTasks() {
		old[t.Id] = t
	}
	for _, t := range st.GetTasks() {
		o := old[t.Id]
		if o != nil && o.State == t.State && o.WorkerId == t.WorkerId && o.Trace == t.Trace {
			continue
		}
		line := fmt.Sprintf("%s  %s  task %d  %s  on %s", sw.stamp(), name, t.Id, t.State, dash(t.WorkerId))
		if t.Trace != "" {
			line += "  " + firstLine(t.Trace)
		}
		fmt.Fprintln(sw.w, line)
	}
}

// runningOf says how many tasks run: "2/2 RUNNING".
func runningOf(tasks []*adminv1.TaskStatus) string {
	n := 0
	for _, t := range tasks {
		if t.State == "RUNNING" {
			n++
		}
	}
	return fmt.Sprintf("%d/%d RUNNING", n, len(tasks))
}

// watchStatus streams statuses of name (all when "") until ctx ends, printing changes;
// with JSON it prints each event as one JSON line.
func watchStatus(ctx context.Context, c adminv1.AdminClient, w io.Writer, name string, asJSON bool) error {
	s, err := c.WatchStatus(ctx, &adminv1.WatchStatusRequest{Name: name})
	if err != nil {
		return err
	}
	sw := newStatusWatcher(w)
	for {
		e, err := s.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil // the user stopped watching
			}
			return err
		}
		if asJSON {
			if err := printProtoLine(w, e); err != nil {
				return err
			}
			continue
		}
		if e.GetInitialDone() {
			if len(sw.last) == 0 && name == "" {
				fmt.Fprintf(w, "%s  no connectors yet; watching\n", sw.stamp())
			}
			continue
		}
		sw.print(e)
	}
}

func newStatusCmd() *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "status [-w]",
		Short: "Show the cluster at a glance: members, leader, every connector and its tasks",
		Long: `Status shows the cluster's members (leader, liveness, task count) and every connector with
its tasks' states. With -w it then keeps watching and prints a line for each change of a
connector's or task's state, worker or trace as the node learns of it (Ctrl-C ends it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			snapshot := func(ctx context.Context, c adminv1.AdminClient) error {
				members, err := c.ListMembers(ctx, &adminv1.ListMembersRequest{})
				if err != nil {
					return err
				}
				list, err := c.ListConnectors(ctx, &adminv1.ListConnectorsRequest{})
				if err != nil {
					return err
				}
				var statuses []*adminv1.ConnectorStatus
				for _, n := range list.Names {
					if st, err := c.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: n}); err == nil {
						statuses = append(statuses, st)
					}
				}
				if asJSON {
					if err := printProto(w, members); err != nil {
						return err
					}
					for _, st := range statuses {
						if err := printProto(w, st); err != nil {
							return err
						}
					}
					return nil
				}
				leader := members.LeaderId
				if leader == "" {
					leader = "none"
				}
				alive := 0
				for _, m := range members.Members {
					if m.Alive {
						alive++
					}
				}
				fmt.Fprintf(w, "cluster: %d members, %d alive, leader %s\n\n", len(members.Members), alive, leader)
				t := newTable(w, "CONNECTOR", "TYPE", "STATE", "TASKS", "WORKERS", "LAG")
				for _, st := range statuses {
					workers := map[string]bool{}
					for _, tk := range st.Tasks {
						if tk.WorkerId != "" {
							workers[tk.WorkerId] = true
						}
					}
					var ws []string
					for k := range workers {
						ws = append(ws, k)
					}
					sort.Strings(ws)
					t.row(st.Name, st.Type, st.GetConnector().GetState(), runningOf(st.Tasks), dash(strings.Join(ws, ",")), lagOf(ctx, c, st))
				}
				if len(statuses) == 0 {
					t.row("(none)")
				}
				return t.flush()
			}
			if !watch {
				return withAdmin(cmd, snapshot)
			}
			if err := withAdmin(cmd, snapshot); err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintln(w)
			}
			lw := &lockedWriter{w: w}
			return withAdminStream(cmd, 0, func(ctx context.Context, c adminv1.AdminClient) error {
				if !asJSON {
					go watchLag(ctx, c, lw, lagEvery)
				}
				return watchStatus(ctx, c, lw, "", asJSON)
			})
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep watching and print each change")
	return cmd
}

// lagEvery is how often status -w looks at the sinks' lag.
const lagEvery = 5 * time.Second

// lagOf is a sink connector's total lag for a table cell; "-" for a source or when it
// cannot be read.
func lagOf(ctx context.Context, c adminv1.AdminClient, st *adminv1.ConnectorStatus) string {
	if st.GetType() != "sink" {
		return "-"
	}
	lag, err := c.GetLag(ctx, &adminv1.ConnectorRequest{Name: st.GetName()})
	if err != nil {
		return "-"
	}
	return strconv.FormatInt(lag.GetTotal(), 10)
}

// watchLag prints a sink connector's lag each time it changes, looking every interval,
// until ctx ends.
func watchLag(ctx context.Context, c adminv1.AdminClient, w io.Writer, every time.Duration) {
	last := map[string]int64{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		list, err := c.DescribeConnectors(ctx, &adminv1.DescribeConnectorsRequest{})
		if err != nil {
			continue
		}
		for _, s := range list.GetConnectors() {
			if s.GetStatus().GetType() != "sink" {
				continue
			}
			lag, err := c.GetLag(ctx, &adminv1.ConnectorRequest{Name: s.GetInfo().GetName()})
			if err != nil {
				continue
			}
			if prev, ok := last[s.GetInfo().GetName()]; !ok || prev != lag.GetTotal() {
				last[s.GetInfo().GetName()] = lag.GetTotal()
				fmt.Fprintf(w, "%s  %s  lag %d\n", time.Now().Format("15:04:05"), s.GetInfo().GetName(), lag.GetTotal())
			}
		}
	}
}

// lockedWriter serializes the lines of two goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func init() { register(newStatusCmd) }

// waitApplied watches the connectors of specs until each reaches the state its manifest
// asks for (RUNNING with every task RUNNING unless the manifest says paused or stopped),
// printing a progress line per connector as it changes. A FAILED task ends the wait with
// its trace; so does the timeout, with the states reached.
func waitApplied(ctx context.Context, c adminv1.AdminClient, w io.Writer, specs []fileSpec) error {
	want := map[string]string{}
	for _, s := range specs {
		switch s.State {
		case "paused":
			want[s.Name] = "PAUSED"
		case "stopped":
			want[s.Name] = "STOPPED"
		default:
			want[s.Name] = "RUNNING"
		}
	}
	// The timeout is kept here, not sent with the stream: a server that saw the deadline
	// first would end the stream (EOF) before ctx says it has passed. The stream is
	// cancelled once ctx ends, so a failed Recv then always finds ctx.Err() set.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	s, err := c.WatchStatus(sctx, &adminv1.WatchStatusRequest{})
	if err != nil {
		return err
	}
	last := map[string]string{}
	done := map[string]bool{}
	for {
		e, err := s.Recv()
		if err != nil {
			if ctx.Err() != nil {
				var pending []string
				for _, sp := range specs {
					if !done[sp.Name] {
						pending = append(pending, fmt.Sprintf("%s (%s, want %s)", sp.Name, dash(last[sp.Name]), want[sp.Name]))
					}
				}
				if ctx.Err() == context.DeadlineExceeded {
					return fmt.Errorf("timed out waiting for %s", strings.Join(pending, ", "))
				}
				return fmt.Errorf("interrupted while waiting for %s", strings.Join(pending, ", "))
			}
			return err
		}
		st := e.GetStatus()
		target, ours := want[st.GetName()]
		if !ours || e.GetInitialDone() {
			continue
		}
		if e.GetDeleted() {
			return fmt.Errorf("connector %s was deleted while waiting for it", st.GetName())
		}
		line := st.GetConnector().GetState()
		if len(st.GetTasks()) > 0 {
			line += ", tasks " + taskSummary(st.GetTasks())
		}
		if line != last[st.GetName()] {
			last[st.GetName()] = line
			fmt.Fprintf(w, "%s: %s\n", st.GetName(), line)
		}
		for _, t := range st.GetTasks() {
			if t.State == "FAILED" {
				return fmt.Errorf("connector %s: task %d FAILED on %s:\n%s", st.GetName(), t.Id, dash(t.WorkerId), t.Trace)
			}
		}
		done[st.GetName()] = reached(st, target)
		all := true
		for n := range want {
			all = all && done[n]
		}
		if all {
			return nil
		}
	}
}

// reached reports whether st is in the target state: the connector in it, and for
// RUNNING and PAUSED every task too.
func reached(st *adminv1.ConnectorStatus, target string) bool {
	if st.GetConnector().GetState() != target {
		return false
	}
	if target == "STOPPED" {
		return true
	}
	for _, t := range st.GetTasks() {
		if t.State != target {
			return false
		}
	}
	return true
}

// printProtoLine writes m as one line of JSON (JSON lines, for a stream), field names as
// in the .proto.
func printProtoLine(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(w)
	return err
}
