package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tributary-dev/tributary/plugins/protocol"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// proc is a process the harness started. Its output goes to a log file in the work
// directory and is also kept in memory to wait for lines.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	out  *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	f  *os.File
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 { // enough for the ready lines; the file has the rest
		l.b.Write(p)
	}
	return l.f.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	procsMu sync.Mutex
	procs   []*proc // every process started, to stop at exit
)

// start runs a command, logging to dir/name.log.
func start(dir, name string, env []string, path string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	for i := 2; ; i++ { // a restarted process gets a log of its own
		if _, err := os.Stat(logPath); err != nil {
			break
		}
		logPath = filepath.Join(dir, fmt.Sprintf("%s.%d.log", name, i))
	}
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, log: logPath, out: &lockedBuffer{f: f}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	procsMu.Lock()
	procs = append(procs, p)
	procsMu.Unlock()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitOutput waits for a line of output matching re and returns its submatches.
func (p *proc) waitOutput(re string, timeout time.Duration) ([]string, error) {
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		if m := rx.FindStringSubmatch(p.out.String()); m != nil {
			return m, nil
		}
		if p.exited() {
			return nil, fmt.Errorf("%s exited (%v) before printing %q; see %s:\n%s", p.name, p.cmd.ProcessState, re, p.log, tail(p.out.String(), 2000))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s did not print %q within %s; see %s", p.name, re, timeout, p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// stop asks the process to stop (SIGTERM), then kills it after timeout.
func (p *proc) stop(timeout time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill9 SIGKILLs the process alone and waits for it.
func (p *proc) kill9() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stopAll stops every process still running, newest first.
func stopAll() {
	procsMu.Lock()
	ps := append([]*proc(nil), procs...)
	procsMu.Unlock()
	for i := len(ps) - 1; i >= 0; i-- {
		ps[i].stop(5 * time.Second)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startBroker runs `tributary broker` on a free port, topics in memory.
func startBroker(env *benchEnv) (*proc, string, error) {
	p, err := start(env.dir, "broker", nil, env.tributary(), "broker", "--port", "0")
	if err != nil {
		return nil, "", err
	}
	m, err := p.waitOutput(`broker ready: (\S+)`, 30*time.Second)
	if err != nil {
		return nil, "", err
	}
	return p, strings.Split(m[1], ",")[0], nil
}

// agent is one kernel node process.
type agent struct {
	*proc
	id                   string
	args                 []string
	env                  []string
	rest, admin, cluster string
	conn                 *grpc.ClientConn
	client               adminv1.AdminClient
}

type agentOpts struct {
	id      string
	profile string // profile path prefix: run the harness's own profiling agent
}

// newAgent allocates ports and builds the command line of an agent; setJoin adds how it
// finds its cluster.
func newAgent(env *benchEnv, o agentOpts) (*agent, error) {
	var ports [4]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	a := &agent{
		id:      o.id,
		env:     append([]string(nil), env.agentEnv...),
		rest:    fmt.Sprintf("127.0.0.1:%d", ports[0]),
		admin:   fmt.Sprintf("127.0.0.1:%d", ports[1]),
		cluster: fmt.Sprintf("127.0.0.1:%d", ports[2]),
	}
	a.args = []string{"agent", "--node-id", o.id, "--data-dir", filepath.Join(env.dir, "data-"+o.id),
		"--rest-port", strconv.Itoa(ports[0]), "--admin-port", strconv.Itoa(ports[1]),
		"--cluster-port", strconv.Itoa(ports[2]), "--raft-port", strconv.Itoa(ports[3]),
		"--plugin-dir", filepath.Join(env.bin, "plugins"),
		"--kafka-bootstrap-servers", env.broker,
		"--offset-flush-interval", env.flush.String(), "--log-level", env.logLevel}
	if o.profile != "" {
		a.args = append(a.args, "--cpuprofile", o.profile)
		a.env = append(a.env, protocol.CPUProfileEnv+"="+o.profile)
	}
	return a, nil
}

// setJoin makes the agent form a cluster of expect members listed in join, or, with
// expect 0, bootstrap a cluster of its own.
func (a *agent) setJoin(join []string, expect int) {
	if expect > 0 {
		a.args = append(a.args, "--bootstrap-expect", strconv.Itoa(expect), "--join", strings.Join(join, ","))
	} else {
		a.args = append(a.args, "--bootstrap")
	}
}

// launch starts the agent process; with a profile it is the harness itself in agent
// mode (see profagent.go), otherwise bin/tributary agent.
func (a *agent) launch(env *benchEnv) error {
	path := env.tributary()
	if slices.Contains(a.args, "--cpuprofile") {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		path = self
	}
	p, err := start(env.dir, "agent-"+a.id, a.env, path, a.args...)
	if err != nil {
		return err
	}
	a.proc = p
	return nil
}

func (a *agent) waitReady() error {
	if _, err := a.waitOutput(`tributary node \S+ ready`, 60*time.Second); err != nil {
		return err
	}
	if a.conn == nil {
		conn, err := grpc.NewClient(a.admin, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		a.conn, a.client = conn, adminv1.NewAdminClient(conn)
	}
	return nil
}

// startAgent starts a single-node kernel (it bootstraps its own cluster).
func startAgent(env *benchEnv, id, profile string) (*agent, error) {
	a, err := newAgent(env, agentOpts{id: id, profile: profile})
	if err != nil {
		return nil, err
	}
	a.setJoin(nil, 0)
	if err := a.launch(env); err != nil {
		return nil, err
	}
	if err := a.waitReady(); err != nil {
		a.stop(5 * time.Second)
		return nil, err
	}
	return a, nil
}

// shutdown stops the agent gracefully (its plugins stop with it).
func (a *agent) shutdown() {
	if a.conn != nil {
		a.conn.Close()
		a.conn = nil
	}
	a.stop(20 * time.Second)
}

// ---- /proc readings ----

// rssKB returns a process's resident set size (VmRSS) in KiB.
func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no VmRSS")
}

// procStat returns the fields of /proc/PID/stat after the command name: index 0 is the
// state, 1 the parent pid, 11 and 12 utime and stime in clock ticks.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// clockTick is USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// cpuTime returns the user+system CPU time a process has used.
func cpuTime(pid int) time.Duration {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}

// selfCPU returns the CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// child is a plugin process of an agent.
type child struct {
	pid  int
	name string // the binary's base name, e.g. tributary-datagen
}

// processName names a plugin process by its tributary-* binary, also when an interpreter
// runs it ("tributary-pycounter (python3)"), and says when it is not a Go program.
func processName(pid int) string {
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	name := filepath.Base(args[0])
	for _, a := range args[1:] {
		if base := filepath.Base(a); strings.HasPrefix(base, "tributary-") {
			return fmt.Sprintf("%s (%s)", base, name)
		}
	}
	return name
}

// isGo reports whether the process runs a Go binary.
func isGo(pid int) bool {
	_, err := buildinfo.ReadFile(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil
}

// children lists the processes whose parent is pid.
func children(pid int) []child {
	var out []child
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		cpid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		f := procStat(cpid)
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		out = append(out, child{pid: cpid, name: processName(cpid)})
	}
	return out
}

// treeCPU is the CPU time of a process and its live children.
func treeCPU(pid int) time.Duration {
	t := cpuTime(pid)
	for _, c := range children(pid) {
		t += cpuTime(c.pid)
	}
	return t
}

// machineCPU returns the busy and total CPU time of the whole machine (/proc/stat).
func machineCPU() (busy, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	var sum, idle int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest time is already counted in user
			break
		}
		sum += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return time.Duration(sum-idle) * clockTick, time.Duration(sum) * clockTick
}

// cpuMeter measures, over an interval, the CPU each of our processes used and what the
// rest of the machine used (other sessions sharing it), so a reader can judge the noise.
type cpuMeter struct {
	start time.Time
	busy0 time.Duration
	parts []cpuPart
}

// cpuPart is one of our processes (or a process tree) to account for.
type cpuPart struct {
	name string
	read func() time.Duration
	at0  time.Duration
}

// cpuUsage is what a cpuMeter measured.
type cpuUsage struct {
	ours   time.Duration            // all our processes together
	parts  map[string]time.Duration // by part
	others float64                  // cores the rest of the machine used, on average
}

// newCPUMeter starts measuring the CPU of parts.
func newCPUMeter(parts ...cpuPart) *cpuMeter {
	busy, _ := machineCPU()
	m := &cpuMeter{start: time.Now(), busy0: busy, parts: parts}
	for i := range m.parts {
		m.parts[i].at0 = m.parts[i].read()
	}
	return m
}

func (m *cpuMeter) stop() cpuUsage {
	busy, _ := machineCPU()
	u := cpuUsage{parts: map[string]time.Duration{}}
	for _, p := range m.parts {
		d := p.read() - p.at0
		u.parts[p.name] += d
		u.ours += d
	}
	others := busy - m.busy0 - u.ours
	u.others = max(others.Seconds(), 0) / time.Since(m.start).Seconds()
	return u
}

// String lists the parts' CPU in seconds.
func (u cpuUsage) String() string {
	names := make([]string, 0, len(u.parts))
	for n := range u.parts {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %.2f", n, u.parts[n].Seconds())
	}
	return strings.Join(parts, ", ")
}

// pipelineParts are the processes of a benchmark on one agent: this harness (the raw
// client, or the watcher), the broker, the kernel and its plugins.
func pipelineParts(env *benchEnv, a *agent) []cpuPart {
	return []cpuPart{
		{name: "harness", read: selfCPU},
		{name: "broker", read: func() time.Duration { return cpuTime(env.brokerPid()) }},
		{name: "kernel", read: func() time.Duration { return cpuTime(a.pid()) }},
		{name: "plugins", read: func() time.Duration { return treeCPU(a.pid()) - cpuTime(a.pid()) }},
	}
}

// waitFor polls cond every interval until it reports done, or fails after timeout. An
// error with done ends the wait with that error; without done it is retried.
func waitFor(ctx context.Context, what string, timeout, interval time.Duration, cond func() (done bool, err error)) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s (last error: %v)", what, timeout, lastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
