package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// chaosRecovery is how long a connector may stay short of RUNNING on live nodes after a
// fault: the "no task left UNASSIGNED for more than 10 s".
const chaosRecovery = 10 * time.Second

// chaosFault is one kind of fault: inject harms the node running the source (victim)
// and returns once the cluster is expected to be whole again.
type chaosFault struct {
	name   string
	inject func(t *testing.T, c *testCluster, victim *agent, via *agent) string
}

// TestChaos runs a 3-node cluster with a file pipeline fed continuously and injects
// faults on a schedule drawn from a seed — SIGKILL and restart from the old data dir,
// SIGSTOP past the lease, leader transfer, plugin SIGKILL, an oversized config — then
// audits the sink file after each: nothing lost, order kept, duplicates counted per fault,
// every connector RUNNING on a live node within 10 s, and no more than one batch written
// by a node after its lease ran out. It prints a table per fault. make test runs each
// fault once (about two minutes); make chaos runs it for CHAOS_MINUTES (CHAOS_SEED
// replays a schedule).
func TestChaos(t *testing.T) {
	e2e(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED %q: %v", s, err)
		}
		seed = v
	}
	var until time.Time
	if m := os.Getenv("CHAOS_MINUTES"); m != "" {
		v, err := strconv.ParseFloat(m, 64)
		if err != nil {
			t.Fatalf("CHAOS_MINUTES %q: %v", m, err)
		}
		until = time.Now().Add(time.Duration(v * float64(time.Minute)))
	}
	t.Logf("chaos seed %d (CHAOS_SEED=%d replays this schedule)", seed, seed)
	r := rand.New(rand.NewPCG(seed, seed>>1))

	c := startCluster(t, 3)
	in, out := c.createPipeline(c.nodes[0], "cx")

	// The feed: numbered lines appended while faults happen.
	var mu sync.Mutex
	var sent []string
	next := 0
	feed := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		lines := numbered("cx", next, next+n)
		next += n
		appendLines(t, in, lines)
		sent = append(sent, lines...)
	}
	feeding := func() (stop func()) {
		done, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			for {
				feed(50)
				select {
				case <-done:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		return func() { close(done); <-stopped }
	}

	faults := chaosFaults()
	// Each round runs every fault once, in an order drawn from the seed; make test runs
	// one round, make chaos rounds until CHAOS_MINUTES have passed.
	order := r.Perm(len(faults))
	for !until.IsZero() && time.Now().Before(until) && len(order) < 10000 {
		order = append(order, r.Perm(len(faults))...)
	}

	type row struct {
		fault, victim  string
		dups           int
		recovered      time.Duration
		zombie, detail string
	}
	var rows []row
	prevDups := 0
	for i, fi := range order {
		if !until.IsZero() && i >= len(faults) && time.Now().After(until) {
			break // the rounds were drawn up front; stop once the time is up
		}
		f := faults[fi]
		via := liveAgent(c, "")
		victim := c.node(worker(t, via, "cx-src"))
		via = liveAgent(c, victim.id)
		// Mid-stream: the fault comes once the feed is flowing through to the sink.
		before := len(readLines(t, out))
		stop := feeding()
		waitLines(t, out, before+500, 60*time.Second)
		start := time.Now()
		detail := f.inject(t, c, victim, via)
		// Recovery: both connectors RUNNING on live nodes, within chaosRecovery.
		for _, name := range []string{"cx-src", "cx-sink"} {
			waitStatus(t, via.client(t), name, chaosRecovery, "RUNNING within 10 s of the fault", func(st *adminv1.ConnectorStatus) bool {
				return allTasks("RUNNING")(st) && !slices.ContainsFunc(st.Tasks, func(tk *adminv1.TaskStatus) bool {
					a := c.node(tk.WorkerId)
					return a.exited()
				})
			})
		}
		recovered := time.Since(start)
		feed(50)
		stop()
		mu.Lock()
		upTo := slices.Clone(sent)
		mu.Unlock()
		_, dups := waitDelivered(t, out, upTo, 90*time.Second) // fails on loss or disorder
		zombie := "-"
		if !victim.exited() {
			z := scrape(t, victim, "tributary_source_records_acked_after_lease_total")
			zombie = strconv.FormatFloat(z, 'f', 0, 64)
			if z > 1024 {
				t.Errorf("%s: %s wrote %.0f records after its lease ran out; want at most one batch (1024)", f.name, victim.id, z)
			}
		}
		rows = append(rows, row{f.name, victim.id, dups - prevDups, recovered, zombie, detail})
		prevDups = dups
	}

	var b strings.Builder
	fmt.Fprintf(&b, "chaos seed %d: %d faults, %d lines sent, 0 lost\n", seed, len(rows), next)
	fmt.Fprintf(&b, "%-22s %-6s %11s %14s %18s  %s\n", "fault", "victim", "duplicates", "recovered in", "zombie records", "detail")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-22s %-6s %11d %14s %18s  %s\n", r.fault, r.victim, r.dups, r.recovered.Round(10*time.Millisecond), r.zombie, r.detail)
	}
	t.Log("\n" + b.String())
}

// liveAgent returns a running node other than not.
func liveAgent(c *testCluster, not string) *agent {
	for _, a := range c.nodes {
		if a.id != not && !a.exited() {
			return a
		}
	}
	c.t.Fatalf("no running node besides %q", not)
	return nil
}

func chaosFaults() []chaosFault {
	return []chaosFault{
		{"sigkill-restart", func(t *testing.T, c *testCluster, victim, via *agent) string {
			victim.kill9()
			others, _ := others(c.nodes, victim.id)
			runningOn(t, via, others, chaosRecovery, "cx-src")
			victim.restart(t) // from its data dir as it was: behind the cluster
			return "killed, then restarted from its old data dir"
		}},
		{"sigstop-past-lease", func(t *testing.T, c *testCluster, victim, via *agent) string {
			victim.signal(syscall.SIGSTOP)
			others, _ := others(c.nodes, victim.id)
			runningOn(t, via, others, chaosRecovery, "cx-src")
			victim.signal(syscall.SIGCONT)
			victim.waitOutput(`lease changed.*held=false`, 20*time.Second)
			return "frozen until its task ran elsewhere, then resumed"
		}},
		{"leader-transfer", func(t *testing.T, c *testCluster, _, via *agent) string {
			m := c.waitMembers(via, 3, 30*time.Second)
			old := m.LeaderId
			if out, err := via.cli(t, "operator", "raft", "transfer-leader"); err != nil {
				t.Fatalf("transfer-leader: %v\n%s", err, out)
			}
			testsvc.Eventually(t, 30*time.Second, "a new leader", func() bool {
				m, err := c.members(via)
				return err == nil && m.LeaderId != "" && m.LeaderId != old
			})
			return "leadership moved away from " + old
		}},
		{"plugin-kill", func(t *testing.T, _ *testCluster, victim, _ *agent) string {
			pids := childPIDs(victim.cmd.Process.Pid, "tributary-file")
			if len(pids) == 0 {
				t.Fatalf("%s runs no tributary-file process", victim.id)
			}
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			// Recovery is measured from the relaunch: a process that is not one of those killed.
			testsvc.Eventually(t, chaosRecovery, "the plugin relaunched on "+victim.id, func() bool {
				return slices.ContainsFunc(childPIDs(victim.cmd.Process.Pid, "tributary-file"), func(p int) bool { return !slices.Contains(pids, p) })
			})
			return fmt.Sprintf("SIGKILLed %d plugin process(es); relaunched", len(pids))
		}},
		{"oversized-config", func(t *testing.T, _ *testCluster, _, via *agent) string {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := via.client(t).CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "huge", Config: map[string]string{
				"connector.class": "FileStreamSource", "file": "/dev/null", "topic": "huge",
				"padding": strings.Repeat("x", 3<<20)}})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("a 3 MiB config = %v; want InvalidArgument, refused before it is replicated", err)
			}
			_, err = via.client(t).CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "huge-records", Config: map[string]string{
				"connector.class": "DatagenSource", "topic": "huge", "record.size": "2000000000"}})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("datagen with record.size=2000000000 = %v; want InvalidArgument", err)
			}
			return "3 MiB config and 2 GB records refused"
		}},
	}
}
