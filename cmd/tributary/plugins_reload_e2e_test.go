package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fmt"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// copyPlugin installs bin/plugins/src into dir as name the way an operator would (copy
// aside, rename into place), with extra appended to make a changed binary.
func copyPlugin(t *testing.T, src, dir, name, extra string) {
	t.Helper()
	b := must(os.ReadFile(filepath.Join(binDir, "plugins", src)))
	tmp := filepath.Join(dir, ".tmp-"+name)
	if err := os.WriteFile(tmp, append(b, extra...), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// taskStartsOf scrapes tributary_task_starts_total of one task from a node.
func taskStartsOf(t *testing.T, a *agent, connector string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + a.rest + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", a.id, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	prefix := `tributary_task_starts_total{connector="` + connector + `",task="0"} `
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", a.id, resp.Status)
	}
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// A binary copied into a running node's plugin dir becomes creatable within seconds
// without restarting any task; a changed binary serves a task from its next start, and
// the old process stops once no task uses it; the plugins' sockets live under the data
// dir and are gone when the node stops.
func TestPluginsPickedUpWithoutRestart(t *testing.T) {
	e2e(t)
	plugins, dir := t.TempDir(), t.TempDir()
	copyPlugin(t, "tributary-file", plugins, "tributary-file", "")
	in := filepath.Join(dir, "in.txt")
	os.WriteFile(in, []byte("one\n"), 0o644)
	dataDir := filepath.Join(dir, "node")
	a := startAgent(t, agentOpts{id: "n1", broker: startBrokerProc(t), dataDir: dataDir,
		extra: []string{"--plugin-dir", plugins, "--plugin-rescan-interval", "200ms"}})
	cl := a.client(t)
	create := func(name string, cfg map[string]string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := cl.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: name, Config: cfg})
		return err
	}
	if err := create("lines", map[string]string{"connector.class": "FileStreamSource", "file": in, "topic": "lines"}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, cl, "lines", 30*time.Second, "RUNNING", allTasks("RUNNING"))
	if n := taskStartsOf(t, a, "lines"); n != 1 {
		t.Fatalf("lines started %v times, want 1", n)
	}

	counter := map[string]string{"connector.class": "example-counter", "topic": "counts", "interval.ms": "50"}
	err := create("counter", counter)
	if err == nil || !strings.Contains(err.Error(), "plugins are searched in "+plugins) {
		t.Fatalf("creating a class no binary holds: %v; want the error to say where plugins are searched", err)
	}
	copyPlugin(t, "tributary-example-go", plugins, "tributary-example-go", "")
	testsvc.Eventually(t, 15*time.Second, "the copied plugin's class is creatable",
		func() bool { err = create("counter", counter); return err == nil },
		func() string { return fmt.Sprintf("last error: %v", err) })
	waitStatus(t, cl, "counter", 30*time.Second, "RUNNING", allTasks("RUNNING"))
	if n := taskStartsOf(t, a, "lines"); n != 1 {
		t.Fatalf("picking up a new plugin restarted another task: lines started %v times", n)
	}
	list, err := a.cli(t, "plugins", "list")
	if err != nil || !regexpMatch(`example-counter\s+source\s+1\.0\.0\s+tributary-example-go\s+[0-9a-f]{12}\s`, list) {
		t.Fatalf("plugins list: %v\n%s", err, list)
	}
	if out, err := a.cli(t, "plugins", "reload"); err != nil || !strings.Contains(out, "no change in "+plugins) {
		t.Fatalf("plugins reload with nothing new: %v\n%s", err, out)
	}

	// A changed binary: the running task stays on the old process until it restarts.
	oldPids := childPIDs(a.cmd.Process.Pid, "tributary-file")
	if len(oldPids) != 1 {
		t.Fatalf("tributary-file processes before the change: %v", oldPids)
	}
	copyPlugin(t, "tributary-file", plugins, "tributary-file", "\x00changed")
	out, err := a.cli(t, "plugins", "reload")
	if err != nil || !regexpMatch(`tributary-file\s+replaced`, out) {
		// The periodic rescan may have been first; then the reload sees no change.
		if err != nil || !strings.Contains(out, "no change") {
			t.Fatalf("plugins reload after changing a binary: %v\n%s", err, out)
		}
	}
	if n := taskStartsOf(t, a, "lines"); n != 1 {
		t.Fatalf("replacing a binary restarted its task: lines started %v times", n)
	}
	if alive := slices.ContainsFunc(childPIDs(a.cmd.Process.Pid, "tributary-file"), func(p int) bool { return p == oldPids[0] }); !alive {
		t.Fatal("the old process stopped while a task still ran on it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err = cl.RestartTask(ctx, &adminv1.TaskRequest{Connector: "lines", Task: 0})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the old tributary-file process stops once its task moved to the new one", func() bool {
		pids := childPIDs(a.cmd.Process.Pid, "tributary-file")
		return len(pids) == 1 && pids[0] != oldPids[0]
	})
	waitStatus(t, cl, "lines", 30*time.Second, "RUNNING", allTasks("RUNNING"))
	if n := taskStartsOf(t, a, "counter"); n != 1 {
		t.Fatalf("counter started %v times, want 1", n)
	}

	// A value a config provider resolved is hidden in the plugin's own log lines too (the
	// file plugin logs the file it reads).
	secretPath := filepath.Join(dir, "classified-input.txt")
	os.WriteFile(secretPath, []byte("x\n"), 0o644)
	props := filepath.Join(dir, "secret.properties")
	os.WriteFile(props, []byte("path="+secretPath+"\n"), 0o600)
	if err := create("hidden", map[string]string{"connector.class": "FileStreamSource", "topic": "hidden",
		"file": "${file:" + props + ":path}"}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, cl, "hidden", 30*time.Second, "RUNNING", allTasks("RUNNING"))
	// The plugin's attributes come in no fixed order.
	a.waitOutput(`"reading file from the start" .*(connector=hidden .*file=\[hidden\]|file=\[hidden\] .*connector=hidden)`, 10*time.Second)
	if strings.Contains(a.out.String(), "classified-input") {
		t.Fatal("the node's log shows a value a config provider resolved")
	}

	socks := filepath.Join(dataDir, "plugin-sockets")
	if entries, err := os.ReadDir(socks); err != nil || len(entries) != 2 {
		t.Fatalf("socket dirs under %s while two plugins run: %d, %v", socks, len(entries), err)
	}
	a.signal(syscall.SIGTERM)
	<-a.done
	if entries, err := os.ReadDir(socks); err != nil || len(entries) != 0 {
		t.Fatalf("socket dirs left under %s after the node stopped: %d, %v", socks, len(entries), err)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testsvc.Eventually(t, timeout, what, cond)
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
