package main

// The harness for end-to-end tests: real tributary and plugin binaries, started as
// processes, driven through the CLI, the admin gRPC service and real clients.

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// binDir holds the tributary binary and plugins/; TRIBUTARY_BIN names a prebuilt one
// (make test sets it), otherwise TestMain builds them.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse() // testing.Short needs parsed flags
	binDir = os.Getenv("TRIBUTARY_BIN")
	if binDir == "" && !testing.Short() {
		dir, err := os.MkdirTemp("", "tributary-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := buildAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, "build binaries:", err)
			return 1
		}
		binDir = dir
	}
	return m.Run()
}

func buildAll(dir string) error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	builds := [][2]string{{filepath.Join(dir, "tributary"), "./cmd/tributary"}}
	mains, _ := filepath.Glob(filepath.Join(root, "plugins", "*", "main.go"))
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		builds = append(builds, [2]string{filepath.Join(dir, "plugins", "tributary-"+name), "./plugins/" + name})
	}
	// As make build installs the Go example plugin (the reload test copies it).
	builds = append(builds, [2]string{filepath.Join(dir, "plugins", "tributary-example-go"), "./plugins/examples/go"})
	for _, b := range builds {
		if err := testsvc.GoBuild(root, b[0], b[1]); err != nil {
			return err
		}
	}
	return nil
}

func e2e(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: starts real processes")
	}
}

// syncBuffer collects a process's output for waiting on lines and for failure reports.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// startProc runs the tributary binary with args; it is killed when the test ends, and its
// output is printed if the test failed.
func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(binDir, "tributary"), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		// A graceful stop first, so a node stops its plugins and removes their sockets;
		// whatever is left after a few seconds is killed with everything it started.
		if p.cmd.Process != nil {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
		p.signal(syscall.SIGKILL)
		<-p.done
		// make test runs binaries built with -race (bin/race): a race in the kernel, or in
		// a plugin (whose stderr the kernel logs), is a failure of the test that ran it.
		if out := p.out.String(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector reported a data race (see its output below)", name)
		}
		if t.Failed() {
			t.Logf("---- output of %s ----\n%s", name, p.out.String())
		}
	})
	return p
}

// signal sends sig to the process and everything it started (its plugins).
func (p *proc) signal(sig syscall.Signal) {
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, sig)
	}
}

// kill9 SIGKILLs the process alone (its plugin children see their parent die) and waits.
func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// waitOutput waits for a line matching re and returns its submatches.
func (p *proc) waitOutput(re string, timeout time.Duration) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			p.t.Fatalf("%s exited (%v) before printing %q:\n%s", p.name, p.cmd.ProcessState, re, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s did not print %q within %s:\n%s", p.name, re, timeout, p.out.String())
	return nil
}

// freePort returns a port nothing listens on, for a process to bind later (see
// testsvc.FreePort for why it is not port 0's pick).
func freePort(t *testing.T) int {
	t.Helper()
	return testsvc.FreePort(t)
}

// startBrokerProc runs `tributary broker` as its own process and returns its address.
func startBrokerProc(t *testing.T) string {
	t.Helper()
	p := startProc(t, "broker", "broker", "--port", "0", "--data-dir", t.TempDir())
	return p.waitOutput(`broker ready: (\S+)`, 30*time.Second)[1]
}

// agent is one `tributary agent` process and what it needs to be started again.
type agent struct {
	*proc
	id                   string
	args                 []string
	admin, rest, cluster string
}

type agentOpts struct {
	id      string
	broker  string
	dataDir string
	// join lists cluster addresses to join; with expect > 0 it is the bootstrap_expect
	// member list; when both are empty the agent bootstraps a new cluster.
	join   []string
	expect int
	extra  []string
}

// newAgent allocates the agent's ports; launch (or start) runs it.
func newAgent(t *testing.T, o agentOpts) *agent {
	t.Helper()
	ports := []int{freePort(t), freePort(t), freePort(t), freePort(t)}
	a := &agent{
		id:      o.id,
		rest:    fmt.Sprintf("127.0.0.1:%d", ports[0]),
		admin:   fmt.Sprintf("127.0.0.1:%d", ports[1]),
		cluster: fmt.Sprintf("127.0.0.1:%d", ports[2]),
	}
	a.args = []string{"agent", "--node-id", o.id, "--data-dir", o.dataDir,
		"--rest-port", strconv.Itoa(ports[0]), "--admin-port", strconv.Itoa(ports[1]),
		"--cluster-port", strconv.Itoa(ports[2]), "--raft-port", strconv.Itoa(ports[3]),
		"--plugin-dir", filepath.Join(binDir, "plugins"),
		"--kafka-bootstrap-servers", o.broker, "--offset-flush-interval", "300ms", "--log-level", "info"}
	a.args = append(a.args, o.extra...)
	return a
}

// setJoin sets how the agent finds its cluster (see agentOpts.join).
func (a *agent) setJoin(join []string, expect int) {
	switch {
	case expect > 0:
		a.args = append(a.args, "--bootstrap-expect", strconv.Itoa(expect), "--join", strings.Join(join, ","))
	case len(join) > 0:
		a.args = append(a.args, "--join", strings.Join(join, ","))
	default:
		a.args = append(a.args, "--bootstrap")
	}
}

func startAgent(t *testing.T, o agentOpts) *agent {
	t.Helper()
	a := newAgent(t, o)
	a.setJoin(o.join, o.expect)
	a.start(t)
	return a
}

// launch starts the process without waiting for it to be ready.
func (a *agent) launch(t *testing.T) {
	t.Helper()
	a.proc = startProc(t, "agent "+a.id, a.args...)
}

func (a *agent) waitReady(t *testing.T) {
	t.Helper()
	a.waitOutput(`tributary node \S+ ready`, 60*time.Second)
}

func (a *agent) start(t *testing.T) {
	t.Helper()
	a.launch(t)
	a.waitReady(t)
}

// restart starts the agent again with the same id, ports and data dir.
func (a *agent) restart(t *testing.T) { a.start(t) }

func (a *agent) client(t *testing.T) adminv1.AdminClient {
	t.Helper()
	conn, err := grpc.NewClient(a.admin, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return adminv1.NewAdminClient(conn)
}

// cli runs a tributary CLI command against the agent and returns its combined output.
func (a *agent) cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "tributary"), append([]string{"--addr", a.admin}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitStatus polls a connector's status until ok accepts it.
func waitStatus(t *testing.T, cl adminv1.AdminClient, name string, timeout time.Duration, what string, ok func(*adminv1.ConnectorStatus) bool) *adminv1.ConnectorStatus {
	t.Helper()
	var last *adminv1.ConnectorStatus
	var lastErr error
	if testsvc.WaitFor(timeout, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		last, lastErr = cl.GetConnectorStatus(ctx, &adminv1.ConnectorRequest{Name: name})
		return lastErr == nil && ok(last)
	}) {
		return last
	}
	t.Fatalf("connector %s: %s not reached within %s; last status %v, err %v", name, what, timeout, last, lastErr)
	return nil
}

func allTasks(state string) func(*adminv1.ConnectorStatus) bool {
	return func(st *adminv1.ConnectorStatus) bool {
		if len(st.Tasks) == 0 {
			return false
		}
		for _, tk := range st.Tasks {
			if tk.State != state {
				return false
			}
		}
		return true
	}
}

// readLines returns the file's complete lines (a partial last line is left out).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if len(data) > 0 && data[len(data)-1] != '\n' && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}

// appendLines appends lines to a file, each with its newline, in one write.
func appendLines(t *testing.T, path string, lines []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s-%06d", prefix, i))
	}
	return out
}

// checkDelivery compares what arrived with what was sent: nothing lost, order kept, and
// duplicates only as re-deliveries (at-least-once). It returns the number of duplicates.
func checkDelivery(t *testing.T, sent, got []string) int {
	t.Helper()
	seen := map[string]bool{}
	var firsts []string
	for _, l := range got {
		if !seen[l] {
			seen[l] = true
			firsts = append(firsts, l)
		}
	}
	if len(firsts) != len(sent) {
		var missing []string
		for _, l := range sent {
			if !seen[l] {
				missing = append(missing, l)
			}
		}
		t.Fatalf("delivered %d distinct lines, sent %d; %d missing (first: %v)", len(firsts), len(sent), len(missing), missing[:min(5, len(missing))])
	}
	for i := range sent {
		if firsts[i] != sent[i] {
			t.Fatalf("order broken at line %d: got %q, want %q", i, firsts[i], sent[i])
		}
	}
	return len(got) - len(firsts)
}

// waitDelivered waits until every sent line is in the file (duplicates do not count),
// then checks the delivery and returns what arrived and the number of duplicates.
func waitDelivered(t *testing.T, path string, sent []string, timeout time.Duration) ([]string, int) {
	t.Helper()
	want := map[string]bool{}
	for _, l := range sent {
		want[l] = true
	}
	var got []string
	testsvc.WaitFor(timeout, func() bool {
		got = readLines(t, path)
		seen := 0
		have := map[string]bool{}
		for _, l := range got {
			if want[l] && !have[l] {
				have[l] = true
				seen++
			}
		}
		return seen == len(want)
	})
	return got, checkDelivery(t, sent, got) // fails the test, naming what is missing
}

// waitLines waits until the file holds at least n complete lines.
func waitLines(t *testing.T, path string, n int, timeout time.Duration) []string {
	t.Helper()
	var got []string
	if testsvc.WaitFor(timeout, func() bool { got = readLines(t, path); return len(got) >= n }) {
		return got
	}
	t.Fatalf("%s has %d lines after %s, want at least %d", path, len(got), timeout, n)
	return nil
}

// childPIDs returns the pids of the processes whose parent is pid and whose command
// line contains name.
func childPIDs(pid int, name string) []int {
	var out []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		cpid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if strings.Contains(string(cmdline), name) {
			out = append(out, cpid)
		}
	}
	return out
}
