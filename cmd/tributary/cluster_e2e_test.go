package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// testCluster is a broker and real `tributary agent` processes formed with bootstrap_expect.
type testCluster struct {
	t      *testing.T
	broker string
	dir    string
	nodes  []*agent
}

// clusterFlags keep snapshots frequent so restarted nodes catch up from one.
var clusterFlags = []string{"--voters", "3", "--snapshot-threshold", "16", "--snapshot-interval", "300ms"}

func startCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	c := &testCluster{t: t, broker: startBrokerProc(t), dir: t.TempDir()}
	var join []string
	for i := 1; i <= n; i++ {
		a := newAgent(t, agentOpts{id: fmt.Sprintf("n%d", i), broker: c.broker,
			dataDir: filepath.Join(c.dir, fmt.Sprintf("n%d", i)), extra: clusterFlags})
		c.nodes = append(c.nodes, a)
		join = append(join, a.cluster)
	}
	for _, a := range c.nodes {
		a.setJoin(join, n)
		a.launch(t)
	}
	for _, a := range c.nodes {
		a.waitReady(t)
	}
	c.waitMembers(c.nodes[0], n, 30*time.Second)
	return c
}

// addNode starts one more agent that joins through the first node.
func (c *testCluster) addNode(id string) *agent {
	c.t.Helper()
	a := startAgent(c.t, agentOpts{id: id, broker: c.broker, dataDir: filepath.Join(c.dir, id),
		join: []string{c.nodes[0].cluster}, extra: clusterFlags})
	c.nodes = append(c.nodes, a)
	return a
}

func (c *testCluster) node(id string) *agent {
	for _, a := range c.nodes {
		if a.id == id {
			return a
		}
	}
	c.t.Fatalf("no node %q", id)
	return nil
}

// members asks a node for the member list (served with the leader's liveness view).
func (c *testCluster) members(via *agent) (*adminv1.ListMembersResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return via.client(c.t).ListMembers(ctx, &adminv1.ListMembersRequest{})
}

// waitMembers waits until via reports n alive members and a leader.
func (c *testCluster) waitMembers(via *agent, n int, timeout time.Duration) *adminv1.ListMembersResponse {
	c.t.Helper()
	var last *adminv1.ListMembersResponse
	var err error
	if testsvc.WaitFor(timeout, func() bool {
		last, err = c.members(via)
		if err != nil || last.LeaderId == "" {
			return false
		}
		alive := 0
		for _, m := range last.Members {
			if m.Alive {
				alive++
			}
		}
		return alive == n
	}) {
		return last
	}
	c.t.Fatalf("%d alive members with a leader not reached within %s: last %v, err %v", n, timeout, last, err)
	return nil
}

// createPipeline creates a file source and sink through `name` on topic name.
func (c *testCluster) createPipeline(via *agent, name string) (in, out string) {
	c.t.Helper()
	in, out = filepath.Join(c.dir, name+".in"), filepath.Join(c.dir, name+".out")
	os.WriteFile(in, nil, 0o644)
	cl := via.client(c.t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, req := range []*adminv1.CreateConnectorRequest{
		{Name: name + "-src", Config: map[string]string{"connector.class": "FileStreamSource", "file": in, "topic": name}},
		{Name: name + "-sink", Config: map[string]string{"connector.class": "FileStreamSink", "file": out, "topics": name}},
	} {
		if _, err := cl.CreateConnector(ctx, req); err != nil {
			c.t.Fatalf("create %s: %v", req.Name, err)
		}
	}
	for _, n := range []string{name + "-src", name + "-sink"} {
		waitStatus(c.t, cl, n, 30*time.Second, "all tasks RUNNING", allTasks("RUNNING"))
	}
	return in, out
}

// worker returns the node running a connector's task 0, as the state says.
func worker(t *testing.T, via *agent, connector string) string {
	t.Helper()
	st := waitStatus(t, via.client(t), connector, 30*time.Second, "task 0 RUNNING", allTasks("RUNNING"))
	return st.Tasks[0].WorkerId
}

// runningOn waits until every task of the connectors is RUNNING on one of the nodes.
func runningOn(t *testing.T, via *agent, nodes []string, timeout time.Duration, connectors ...string) {
	t.Helper()
	for _, name := range connectors {
		waitStatus(t, via.client(t), name, timeout, fmt.Sprintf("all tasks RUNNING on %v", nodes), func(st *adminv1.ConnectorStatus) bool {
			if !allTasks("RUNNING")(st) {
				return false
			}
			for _, tk := range st.Tasks {
				if !slices.Contains(nodes, tk.WorkerId) {
					return false
				}
			}
			return true
		})
	}
}

// taskStarts scrapes tributary_task_starts_total from every running node: "node/connector/task" → starts.
func (c *testCluster) taskStarts() map[string]float64 {
	c.t.Helper()
	out := map[string]float64{}
	for _, a := range c.nodes {
		if a.proc == nil || a.exited() {
			continue
		}
		resp, err := http.Get("http://" + a.rest + "/metrics")
		if err != nil {
			c.t.Fatalf("scrape %s: %v", a.id, err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "tributary_task_starts_total{") {
				continue
			}
			labels := line[strings.Index(line, "{")+1 : strings.Index(line, "}")]
			var conn, task string
			for _, kv := range strings.Split(labels, ",") {
				k, v, _ := strings.Cut(kv, "=")
				v = strings.Trim(v, `"`)
				switch k {
				case "connector":
					conn = v
				case "task":
					task = v
				}
			}
			f, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			out[a.id+"/"+conn+"/"+task] = f
		}
		resp.Body.Close()
	}
	return out
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func others(all []*agent, not ...string) (ids []string, first *agent) {
	for _, a := range all {
		if !slices.Contains(not, a.id) {
			ids = append(ids, a.id)
			if first == nil {
				first = a
			}
		}
	}
	return ids, first
}

func TestClusterFormsAndSurvivesLeaderAndFollowerSIGKILL(t *testing.T) {
	e2e(t)
	c := startCluster(t, 3)
	peers, err := c.nodes[1].client(t).RaftListPeers(context.Background(), &adminv1.RaftListPeersRequest{})
	if err != nil || len(peers.Peers) != 3 {
		t.Fatalf("raft peers = %v, %v; want 3 voters", peers, err)
	}
	for _, p := range peers.Peers {
		if p.Suffrage != "voter" {
			t.Fatalf("peer %s is %s, want voter", p.Id, p.Suffrage)
		}
	}
	inA, outA := c.createPipeline(c.nodes[1], "alpha")
	inB, outB := c.createPipeline(c.nodes[2], "beta")
	conns := []string{"alpha-src", "alpha-sink", "beta-src", "beta-sink"}
	var sent []string
	send := func(from, to int) {
		lines := numbered("x", from, to)
		appendLines(t, inA, lines)
		appendLines(t, inB, lines)
		sent = append(sent, lines...)
	}
	send(0, 100)

	// SIGKILL the leader: a new one is elected and every task runs on the survivors.
	leaderID := c.waitMembers(c.nodes[0], 3, 10*time.Second).LeaderId
	c.node(leaderID).kill9()
	survivors, via := others(c.nodes, leaderID)
	c.waitMembers(via, 2, 20*time.Second)
	runningOn(t, via, survivors, 30*time.Second, conns...)
	send(100, 200)

	// Enough commits go by while it is down for the leader to compact its log past it.
	idx := func(a *agent) float64 { return scrape(t, a, "tributary_raft_applied_index") }
	start, next := idx(via), 200
	testsvc.Eventually(t, 30*time.Second, "the raft index to advance by 40 while lines are sent", func() bool {
		if idx(via) >= start+40 {
			return true
		}
		send(next, next+10)
		next += 10
		return false
	}, func() string { return fmt.Sprintf("from %v to %v", start, idx(via)) })
	// The killed node comes back, catches up from a snapshot, and is alive again.
	c.node(leaderID).restart(t)
	c.waitMembers(via, 3, 30*time.Second)
	snaps, _ := filepath.Glob(filepath.Join(c.dir, leaderID, "raft", "snapshots", "*", "meta.json"))
	if len(snaps) == 0 {
		t.Fatalf("restarted node %s has no Raft snapshot; with --snapshot-threshold 16 it should", leaderID)
	}

	// SIGKILL a follower: the rest keep running everything.
	newLeader := c.waitMembers(via, 3, 10*time.Second).LeaderId
	_, follower := others(c.nodes, newLeader)
	follower.kill9()
	survivors, via = others(c.nodes, follower.id)
	c.waitMembers(via, 2, 20*time.Second)
	runningOn(t, via, survivors, 30*time.Second, conns...)
	send(next, next+100)

	for _, out := range []string{outA, outB} {
		got, dups := waitDelivered(t, out, sent, 60*time.Second)
		t.Logf("%s: sent %d, delivered %d, duplicates %d, lost 0", filepath.Base(out), len(sent), len(got), dups)
	}
}

func TestClusterSourceFailoverMidStream(t *testing.T) {
	e2e(t)
	c := startCluster(t, 3)
	in, out := c.createPipeline(c.nodes[0], "fo")
	ap := startAppender(t, in, 60, 50, 40*time.Millisecond)
	testsvc.Eventually(t, 60*time.Second, "800 lines appended", func() bool { return ap.count() >= 800 })
	victim := worker(t, c.nodes[0], "fo-src")
	sinkOnVictim := worker(t, c.nodes[0], "fo-sink") == victim
	// What may be delivered twice: the lines the source read past its last committed
	// position (the new owner reads them again), and, if the sink dies too, the lines it
	// wrote past its last committed offset. Read before the kill, both bound the
	// windows at the kill from above (commits only move them forward).
	srcPos, _ := offsetPosition(t, c.nodes[0], "fo-src")
	sinkCommitted := sinkRecordsCommitted(t, c.nodes[0], "fo-sink")
	c.node(victim).kill9()
	killed := time.Now()
	inAtKill, err := os.Stat(in)
	if err != nil {
		t.Fatal(err)
	}
	outAtKill := len(readLines(t, out))
	survivors, via := others(c.nodes, victim)
	runningOn(t, via, survivors, 30*time.Second, "fo-src")
	failover := time.Since(killed)
	t.Logf("failover: SIGKILL of %s → fo-src RUNNING on another node in %s (Kafka Connect's default wait: 5m)", victim, failover.Round(time.Millisecond))
	sent := ap.wait()
	got, dups := waitDelivered(t, out, sent, 60*time.Second)
	const lineBytes = int64(len("rec-000000\n"))
	bound := int((inAtKill.Size() - srcPos) / lineBytes)
	if sinkOnVictim {
		bound += outAtKill - int(sinkCommitted)
	}
	if dups > bound {
		t.Fatalf("failover re-delivered %d lines; at most %d may be (source read %d bytes past its committed position %d; sink on the victim: %v, %d lines written, %d committed)",
			dups, bound, inAtKill.Size()-srcPos, srcPos, sinkOnVictim, outAtKill, sinkCommitted)
	}
	t.Logf("source failover: sent %d, delivered %d, duplicates %d (bound %d), lost 0", len(sent), len(got), dups, bound)
}

// sinkRecordsCommitted sums a sink connector's committed Kafka offsets over its
// partitions: the records it has made durable, 0 if none are committed.
func sinkRecordsCommitted(t *testing.T, via *agent, connector string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	offs, err := via.client(t).GetOffsets(ctx, &adminv1.ConnectorRequest{Name: connector})
	if err != nil {
		return 0
	}
	var n int64
	for _, o := range offs.Offsets {
		var v struct {
			Offset int64 `json:"kafka_offset"`
		}
		if err := json.Unmarshal([]byte(o.Offset), &v); err != nil {
			t.Fatalf("sink offset %q: %v", o.Offset, err)
		}
		n += v.Offset
	}
	return n
}

// offsetPosition reads the file source's committed position from the state.
func offsetPosition(t *testing.T, via *agent, connector string) (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	offs, err := via.client(t).GetOffsets(ctx, &adminv1.ConnectorRequest{Name: connector})
	if err != nil || len(offs.Offsets) == 0 {
		return 0, false
	}
	var o struct {
		Position int64 `json:"position"`
	}
	if err := json.Unmarshal([]byte(offs.Offsets[0].Offset), &o); err != nil {
		t.Fatalf("offset %q: %v", offs.Offsets[0].Offset, err)
	}
	return o.Position, true
}

func TestClusterZombieNodeIsFenced(t *testing.T) {
	e2e(t)
	c := startCluster(t, 3)
	in, out := c.createPipeline(c.nodes[0], "zz")
	ap := startAppender(t, in, 80, 50, 40*time.Millisecond)
	testsvc.Eventually(t, 60*time.Second, "600 lines appended", func() bool { return ap.count() >= 600 })
	zombieID := worker(t, c.nodes[0], "zz-src")
	zombie := c.node(zombieID)
	survivors, via := others(c.nodes, zombieID)

	// Watch the committed source position from a survivor: a commit by the zombie (an
	// older position under a stale epoch) would move it backwards.
	var mu sync.Mutex
	var regressions []string
	var watched atomic.Int32
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		var last int64
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if pos, ok := offsetPosition(t, via, "zz-src"); ok {
				watched.Add(1)
				if pos < last {
					mu.Lock()
					regressions = append(regressions, fmt.Sprintf("%d after %d", pos, last))
					mu.Unlock()
				}
				last = max(last, pos)
			}
		}
	}()

	zombie.signal(syscall.SIGSTOP)
	runningOn(t, via, survivors, 30*time.Second, "zz-src")
	// The new owner commits under its epoch: the position moves past what the zombie
	// had committed, so a stale commit from the zombie would move it backwards.
	frozen, _ := offsetPosition(t, via, "zz-src")
	testsvc.Eventually(t, 30*time.Second, "the new owner of zz-src commits a position past "+strconv.FormatInt(frozen, 10),
		func() bool { pos, _ := offsetPosition(t, via, "zz-src"); return pos > frozen })
	zombie.signal(syscall.SIGCONT)

	// The zombie notices its lease ran out and stops its stale task.
	zombie.waitOutput(`lease changed.*held=false`, 20*time.Second)
	testsvc.Eventually(t, 20*time.Second, "zombie "+zombieID+" stops its zz-src task", func() bool {
		st := waitStatus(t, via.client(t), "zz-src", 10*time.Second, "RUNNING", allTasks("RUNNING"))
		return st.Tasks[0].WorkerId != zombieID && !zombieRuns(t, zombie, "zz-src")
	})
	sent := ap.wait()
	got, dups := waitDelivered(t, out, sent, 60*time.Second)
	close(stopWatch)
	<-watchDone
	if len(regressions) > 0 {
		t.Fatalf("the committed source position moved backwards (a stale commit was accepted): %v", regressions)
	}
	if watched.Load() < 2 {
		t.Fatalf("the position watcher read the committed position %d times; it must have watched the fencing", watched.Load())
	}
	// The zombie window: what the frozen node still wrote once it ran again. The lease
	// check before each batch leaves only records handed to the producer before the
	// freeze, at most one poll's batch (1024 records).
	zombieRecords := scrape(t, zombie, "tributary_source_records_acked_after_lease_total")
	zombieWindow := scrape(t, zombie, "tributary_source_zombie_window_seconds")
	t.Logf("zombie fenced: sent %d, delivered %d, duplicates %d, committed position never moved backwards; "+
		"zombie window: %.0f records acked after the lease ran out, the last %.0f ms after it",
		len(sent), len(got), dups, zombieRecords, zombieWindow*1000)
	if zombieRecords > 1024 {
		t.Errorf("the frozen node wrote %.0f records after its lease ran out; want at most one batch (1024)", zombieRecords)
	}
}

// scrape returns the value of an unlabelled metric from a node's /metrics.
func scrape(t *testing.T, a *agent, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + a.rest + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", a.id, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	t.Fatalf("%s has no metric %s", a.id, name)
	return 0
}

// zombieRuns says whether the node reports a running instance of the connector's task 0.
func zombieRuns(t *testing.T, a *agent, connector string) bool {
	resp, err := http.Get("http://" + a.rest + "/metrics")
	if err != nil {
		return true // cannot tell yet
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `tributary_task_state{connector="`+connector+`"`) {
			return true
		}
	}
	return false
}

func TestClusterAddingConnectorOrNodeRestartsNothingElse(t *testing.T) {
	e2e(t)
	c := startCluster(t, 3)
	c.createPipeline(c.nodes[0], "one")
	before := c.taskStarts()
	if len(before) != 2 {
		t.Fatalf("want 2 started tasks, metrics show %v", before)
	}
	c.createPipeline(c.nodes[1], "two")
	mid := c.taskStarts()
	// Creating "two" neither restarts nor moves a task of "one" (a move is a start under
	// a new node/connector/task key).
	for k, v := range mid {
		if strings.Contains(k, "/one-") && before[k] != v {
			t.Fatalf("creating a connector started %s again: starts %v → %v (all: %v)", k, before[k], v, mid)
		}
	}
	added := c.addNode("n4")
	c.waitMembers(c.nodes[0], 4, 30*time.Second)
	peers, err := added.client(t).RaftListPeers(context.Background(), &adminv1.RaftListPeersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peers.Peers {
		if p.Id == "n4" && p.Suffrage != "nonvoter" {
			t.Fatalf("n4 joined as %s; beyond --voters 3 it must be a nonvoter", p.Suffrage)
		}
	}
	// The scheduler evens out the load: one task moves to n4 (2,1,1,0 → 1,1,1,1). Once it
	// runs there the plan has settled; anything else it restarted has been restarted.
	testsvc.Eventually(t, 30*time.Second, "a task runs on n4", func() bool {
		for _, name := range []string{"one-src", "one-sink", "two-src", "two-sink"} {
			if worker(t, c.nodes[0], name) == "n4" {
				return true
			}
		}
		return false
	})
	after := c.taskStarts()
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("task %s was restarted by adding a connector and a node: starts %v → %v (all: %v)", k, v, after[k], after)
		}
	}
	// The join may move tasks only to even out the load: 4 tasks on 3 nodes (2,1,1) plus
	// an empty node needs exactly one move.
	// taskStarts counts per node/connector/task: a move is a start on a node that had
	// not run that task (a new key), a restart in place a count that grew.
	moved := 0
	for k, v := range after {
		if mid[k] != v {
			moved++
		}
	}
	if moved != 1 {
		t.Fatalf("adding a node restarted %d tasks; balancing 2,1,1,0 needs one move (before %v, after %v)", moved, mid, after)
	}
	t.Logf("task starts before %v, after the new connector %v, after the new node %v", before, mid, after)
}

func TestClusterFullRestartKeepsEverything(t *testing.T) {
	e2e(t)
	c := startCluster(t, 3)
	in, out := c.createPipeline(c.nodes[0], "keep")
	sent := numbered("k", 0, 300)
	appendLines(t, in, sent)
	waitLines(t, out, len(sent), 30*time.Second)
	// Every line is committed on both sides before the restart (the source's position
	// at the end of the file, the sink's offsets past every record): a graceful restart
	// then has nothing to re-deliver.
	inInfo, err := os.Stat(in)
	if err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 30*time.Second, fmt.Sprintf("keep-src commits position %d (the whole file) and keep-sink %d records", inInfo.Size(), len(sent)), func() bool {
		pos, _ := offsetPosition(t, c.nodes[0], "keep-src")
		return pos == inInfo.Size() && sinkRecordsCommitted(t, c.nodes[0], "keep-sink") == int64(len(sent))
	})
	posBefore, _ := offsetPosition(t, c.nodes[0], "keep-src")
	workersBefore := map[string]string{"keep-src": worker(t, c.nodes[0], "keep-src"), "keep-sink": worker(t, c.nodes[0], "keep-sink")}

	for _, a := range c.nodes {
		a.signal(syscall.SIGTERM)
	}
	for _, a := range c.nodes {
		<-a.done
	}
	for _, a := range c.nodes {
		a.launch(t)
	}
	for _, a := range c.nodes {
		a.waitReady(t)
	}
	c.waitMembers(c.nodes[0], 3, 30*time.Second)
	for name, w := range workersBefore {
		if got := worker(t, c.nodes[0], name); got != w {
			t.Errorf("%s ran on %s before the restart and on %s after; assignments must survive", name, w, got)
		}
	}
	if pos, ok := offsetPosition(t, c.nodes[1], "keep-src"); !ok || pos < posBefore {
		t.Fatalf("source offset after restart = %d (ok %v), before = %d", pos, ok, posBefore)
	}
	more := numbered("k", 300, 400)
	appendLines(t, in, more)
	sent = append(sent, more...)
	waitLines(t, out, len(sent), 30*time.Second)
	// A re-delivery would add lines after these: none may come.
	testsvc.Consistently(t, time.Second, fmt.Sprintf("%d lines in %s", len(sent), out),
		func() bool { return len(readLines(t, out)) == len(sent) },
		func() string { return fmt.Sprintf("it has %d", len(readLines(t, out))) })
	got := readLines(t, out)
	if dups := checkDelivery(t, sent, got); dups != 0 {
		t.Fatalf("a graceful full restart re-delivered %d lines; offsets were not kept", dups)
	}
}
