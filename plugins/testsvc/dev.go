package testsvc

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Dev is a `tributary dev` process — the embedded Kafka-protocol broker and one kernel
// node — running the plugins a test gave it, for tests of a connector under a real kernel.
type Dev struct {
	// REST is the Kafka Connect REST API's base URL, http://127.0.0.1:port.
	REST string
	// Brokers are the embedded broker's addresses.
	Brokers []string

	cmd    *exec.Cmd
	logs   *Output
	exited chan struct{}
}

// DevOptions says how to start a [Dev].
type DevOptions struct {
	// Plugins are plugin binaries, linked into the node's plugin dir under their names.
	Plugins []string
	// DataDir keeps the broker's topics and the node's state; empty means a temp dir. A
	// Dev started again on the same DataDir and Ports carries on where the last stopped.
	DataDir string
	// Ports are the REST, admin, cluster, Raft and broker ports ([DevPorts]); nil means
	// free ones.
	Ports []int
}

// DevPorts returns five free ports for [DevOptions.Ports].
func DevPorts(t testing.TB) []int {
	ports := make([]int, 5)
	for i := range ports {
		ports[i] = FreePort(t)
	}
	return ports
}

// StartDev starts `tributary dev` (the binary from [Built]) without the seed pipeline and
// waits until its REST API answers. It is stopped (SIGTERM, then SIGKILL after 20 s) when
// the test ends; a race detector report in its output then fails the test ([CheckRaces]),
// and a failed test gets its output.
func StartDev(t testing.TB, o DevOptions) *Dev {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Ports == nil {
		o.Ports = DevPorts(t)
	}
	plugins := t.TempDir()
	for _, p := range o.Plugins {
		if err := os.Symlink(p, filepath.Join(plugins, filepath.Base(p))); err != nil {
			t.Fatal(err)
		}
	}
	p := o.Ports
	d := &Dev{REST: fmt.Sprintf("http://127.0.0.1:%d", p[0]), Brokers: []string{fmt.Sprintf("127.0.0.1:%d", p[4])},
		logs: &Output{}, exited: make(chan struct{})}
	d.cmd = exec.Command(Built(t, "tributary", repoPath(t, "cmd/tributary")), "dev", "--seed=false",
		"--data-dir", o.DataDir, "--plugin-dir", plugins,
		"--rest-port", strconv.Itoa(p[0]), "--admin-port", strconv.Itoa(p[1]), "--cluster-port", strconv.Itoa(p[2]),
		"--raft-port", strconv.Itoa(p[3]), "--broker-port", strconv.Itoa(p[4]), "--offset-flush-interval", "200ms",
		"--log-level", "info")
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(20 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
		// A race in the kernel, or in a plugin (whose stderr the kernel logs), fails the
		// test that ran it; the output then comes with it.
		CheckRaces(t, "tributary dev", d.Logs())
		if t.Failed() {
			t.Logf("tributary dev output:\n%s", d.Logs())
		}
	})
	var last string
	Eventually(t, 60*time.Second, "tributary dev's REST API to answer", func() bool {
		res, err := http.Get(d.REST + "/connectors")
		if err != nil {
			last = err.Error()
			return false
		}
		res.Body.Close()
		last = res.Status
		return res.StatusCode == http.StatusOK
	}, func() string { return "last: " + last + "\n" + d.Logs() })
	return d
}

// Kill SIGKILLs the process and waits for it to end.
func (d *Dev) Kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
}

// Logs returns what the process has printed so far.
func (d *Dev) Logs() string { return d.logs.String() }

// PutConnector creates or updates connector name with a Kafka Connect REST config body
// (PUT /connectors/{name}/config), failing the test unless it is accepted.
func (d *Dev) PutConnector(t testing.TB, name, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, d.REST+"/connectors/"+name+"/config", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("create connector %s: %s: %s", name, res.Status, b)
	}
}

// repoPath returns the path of rel (slash-separated, from the repository root) for go
// build, from the test's own directory.
func repoPath(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, filepath.FromSlash(rel))
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// Output collects what a process (or a logger) writes while a test reads it: a bytes.Buffer
// safe for one writer and concurrent readers.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Output) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Output) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
