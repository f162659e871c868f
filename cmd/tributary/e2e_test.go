package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// The Strimzi docs' file connector manifests, unchanged but for the file paths and topic.
const strimziSource = `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: my-source-connector
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: org.apache.kafka.connect.file.FileStreamSourceConnector
  tasksMax: 2
  config:
    file: "INPUT"
    topic: my-topic
`

const strimziSink = `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: my-sink-connector
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: org.apache.kafka.connect.file.FileStreamSinkConnector
  tasksMax: 2
  config:
    file: "OUTPUT"
    topics: my-topic
`

// pipeline is a running agent with the Strimzi file source and sink applied.
type pipeline struct {
	broker  string
	agent   *agent
	in, out string
}

func startPipeline(t *testing.T) *pipeline {
	t.Helper()
	dir := t.TempDir()
	p := &pipeline{in: filepath.Join(dir, "input.txt"), out: filepath.Join(dir, "output.txt")}
	if err := os.WriteFile(p.in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.broker = startBrokerProc(t)
	p.agent = startAgent(t, agentOpts{id: "n1", broker: p.broker, dataDir: filepath.Join(dir, "node")})
	src := filepath.Join(dir, "source.yaml")
	sink := filepath.Join(dir, "sink.yaml")
	os.WriteFile(src, []byte(strings.Replace(strimziSource, "INPUT", p.in, 1)), 0o644)
	os.WriteFile(sink, []byte(strings.Replace(strimziSink, "OUTPUT", p.out, 1)), 0o644)
	if out, err := p.agent.cli(t, "apply", "-f", src, "-f", sink); err != nil {
		t.Fatalf("tributary apply: %v\n%s", err, out)
	}
	cl := p.agent.client(t)
	waitStatus(t, cl, "my-source-connector", 30*time.Second, "all tasks RUNNING", allTasks("RUNNING"))
	waitStatus(t, cl, "my-sink-connector", 30*time.Second, "all tasks RUNNING", allTasks("RUNNING"))
	return p
}

func TestFilePipelineEndToEnd(t *testing.T) {
	e2e(t)
	p := startPipeline(t)
	sent := numbered("line", 0, 500)
	appendLines(t, p.in, sent[:200])
	appendLines(t, p.in, sent[200:])
	got := waitLines(t, p.out, len(sent), 30*time.Second)
	if dups := checkDelivery(t, sent, got); dups != 0 || len(got) != len(sent) {
		t.Fatalf("without failures the output must be exactly the input: %d lines, %d duplicates", len(got), dups)
	}

	out, err := p.agent.cli(t, "connectors", "status", "my-source-connector")
	if err != nil || !strings.Contains(out, "RUNNING") {
		t.Fatalf("tributary connectors status: %v\n%s", err, out)
	}

	// A client nobody here wrote sees the records on the topic.
	kcat := testsvc.RequireCommand(t, "kcat", "apt-get install kcat")
	kout, err := exec.Command(kcat, "-b", p.broker, "-C", "-t", "my-topic", "-e", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, kout)
	}
	if n := strings.Count(string(kout), "line-"); n != len(sent) {
		t.Fatalf("kcat read %d records from my-topic, want %d:\n%.500s", n, len(sent), kout)
	}
}

func TestGrpcurlListsAdminService(t *testing.T) {
	e2e(t)
	grpcurl, err := exec.LookPath("grpcurl")
	if err != nil {
		cache := filepath.Join(os.Getenv("HOME"), ".cache", "tributary", "bin", "grpcurl")
		_, serr := os.Stat(cache)
		testsvc.Require(t, serr, "grpcurl (scripts/install-tools.sh grpcurl builds it into the tool cache)")
		grpcurl = cache
	}
	a := startAgent(t, agentOpts{id: "g1", broker: startBrokerProc(t), dataDir: t.TempDir()})
	out, err := exec.Command(grpcurl, "-plaintext", a.admin, "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "tributary.admin.v1.Admin") {
		t.Fatalf("grpcurl list: %v\n%s", err, out)
	}
	out, err = exec.Command(grpcurl, "-plaintext", a.admin, "tributary.admin.v1.Admin/ListPlugins").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "file-source") {
		t.Fatalf("grpcurl ListPlugins: %v\n%s", err, out)
	}
}

// appender writes numbered lines in batches until told to stop, recording what it sent.
type appender struct {
	mu   sync.Mutex
	sent []string
	stop chan struct{}
	done chan struct{}
}

func startAppender(t *testing.T, path string, batches, size int, every time.Duration) *appender {
	a := &appender{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for b := 0; b < batches; b++ {
			lines := numbered("rec", b*size, (b+1)*size)
			appendLines(t, path, lines)
			a.mu.Lock()
			a.sent = append(a.sent, lines...)
			a.mu.Unlock()
			select {
			case <-a.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return a
}

func (a *appender) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.sent)
}

func (a *appender) wait() []string {
	<-a.done
	return a.sent
}

// duplicateRuns counts the runs of consecutive input lines that were delivered twice or more.
func duplicateRuns(sent, got []string) int {
	count := map[string]int{}
	for _, l := range got {
		count[l]++
	}
	runs, in := 0, false
	for _, l := range sent {
		if count[l] > 1 && !in {
			runs++
		}
		in = count[l] > 1
	}
	return runs
}

func TestKernelSIGKILLMidStreamLosesNothing(t *testing.T) {
	e2e(t)
	p := startPipeline(t)
	ap := startAppender(t, p.in, 60, 50, 40*time.Millisecond)
	testsvc.Eventually(t, 60*time.Second, "1000 lines appended", func() bool { return ap.count() >= 1000 })
	p.agent.kill9()
	// Lines keep coming while the kernel is down.
	down := ap.count()
	testsvc.Eventually(t, 60*time.Second, "lines appended while the kernel is down", func() bool { return ap.count() > down })
	p.agent.restart(t)
	sent := ap.wait()
	waitDelivered(t, p.out, sent, 60*time.Second)
	// Re-deliveries still in flight have landed once the source has committed the whole
	// file and the sink every record on the topic: nothing is left to re-read.
	size := fileSize(t, p.in)
	testsvc.Eventually(t, 60*time.Second, "every line and record committed", func() bool {
		pos, _ := offsetPosition(t, p.agent, "my-source-connector")
		return pos == size && sinkRecordsCommitted(t, p.agent, "my-sink-connector") == topicRecords(t, p.broker, "my-topic")
	}, func() string {
		pos, _ := offsetPosition(t, p.agent, "my-source-connector")
		return fmt.Sprintf("source at %d of %d bytes, sink committed %d of %d records", pos, size,
			sinkRecordsCommitted(t, p.agent, "my-sink-connector"), topicRecords(t, p.broker, "my-topic"))
	})
	got := readLines(t, p.out)
	dups := checkDelivery(t, sent, got)
	runs := duplicateRuns(sent, got)
	t.Logf("kernel SIGKILL mid-stream: sent %d, delivered %d, duplicates %d in %d run(s), lost 0", len(sent), len(got), dups, runs)
	// At-least-once: re-deliveries come only from the interval after the last commit, once
	// on the source side and once on the sink side, so at most two runs of lines.
	if runs > 2 {
		t.Fatalf("duplicates form %d separate runs; only the last uncommitted interval (source and sink) may repeat", runs)
	}
}

func TestPluginSIGKILLFailsTasksThenRecovers(t *testing.T) {
	e2e(t)
	p := startPipeline(t)
	cl := p.agent.client(t)
	ap := startAppender(t, p.in, 40, 50, 40*time.Millisecond)
	testsvc.Eventually(t, 60*time.Second, "500 lines appended", func() bool { return ap.count() >= 500 })
	pids := childPIDs(p.agent.cmd.Process.Pid, "tributary-file")
	if len(pids) != 1 {
		t.Fatalf("want one tributary-file plugin process under the agent, found %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	failed := waitStatus(t, cl, "my-source-connector", 20*time.Second, "a task FAILED with the plugin's exit as reason",
		func(st *adminv1.ConnectorStatus) bool {
			for _, tk := range st.Tasks {
				if tk.State == "FAILED" && strings.Contains(tk.Trace, "tributary-file") {
					return true
				}
			}
			return false
		})
	t.Logf("while the plugin was down: %v", failed.Tasks)
	waitStatus(t, cl, "my-source-connector", 30*time.Second, "RUNNING again after the plugin restart", allTasks("RUNNING"))
	waitStatus(t, cl, "my-sink-connector", 30*time.Second, "RUNNING again after the plugin restart", allTasks("RUNNING"))
	if now := childPIDs(p.agent.cmd.Process.Pid, "tributary-file"); len(now) != 1 || now[0] == pids[0] {
		t.Fatalf("plugin not restarted: before %v, now %v", pids, now)
	}
	sent := ap.wait()
	got, dups := waitDelivered(t, p.out, sent, 60*time.Second)
	t.Logf("plugin SIGKILL: sent %d, delivered %d, duplicates %d, lost 0", len(sent), len(got), dups)
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	a := startAgent(t, agentOpts{id: "b1", broker: startBrokerProc(t), dataDir: filepath.Join(dir, "node")})
	cl := a.client(t)
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		return path
	}
	cases := []struct {
		name, manifest string
		want           []string
	}{
		{"unknown class lists the available ones", `name: nope
config:
  connector.class: com.example.NoSuchConnector
`, []string{"unknown connector class", "com.example.NoSuchConnector", "file-source", "file-sink"}},
		{"missing required key names it", `name: nofile
config:
  connector.class: FileStreamSource
  topic: t
`, []string{`"file"`}},
		{"malformed YAML names the line", "name: bad\nconfig:\n  connector.class: FileStreamSource\n  file: [unclosed\n", []string{"line"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := a.cli(t, "apply", "-f", write(strings.ReplaceAll(c.name, " ", "_")+".yaml", c.manifest))
			if err == nil {
				t.Fatalf("apply succeeded, want a refusal:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("error output does not mention %q:\n%s", w, out)
				}
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := cl.ListConnectors(ctx, &adminv1.ListConnectorsRequest{})
	if err != nil || len(list.Names) != 0 {
		t.Fatalf("refused configs must change nothing; connectors = %v, %v", list.GetNames(), err)
	}

	// A valid config whose input file does not exist fails its task, with the reason.
	missing := filepath.Join(dir, "does-not-exist.txt")
	path := write("missing.yaml", "name: missing-file\nconfig:\n  connector.class: FileStreamSource\n  topic: t\n  file: "+missing+"\n")
	if out, err := a.cli(t, "apply", "-f", path); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	st := waitStatus(t, cl, "missing-file", 30*time.Second, "task FAILED", allTasks("FAILED"))
	if !strings.Contains(st.Tasks[0].Trace, missing) {
		t.Fatalf("FAILED trace does not name the missing file %s:\n%s", missing, st.Tasks[0].Trace)
	}
}

// topicRecords sums the high watermarks of a topic's partitions: the records it holds.
func topicRecords(t *testing.T, broker, topic string) int64 {
	t.Helper()
	c, err := sarama.NewClient([]string{broker}, e2eSaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	parts, err := c.Partitions(topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	var n int64
	for _, p := range parts {
		hw, err := c.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatalf("high watermark of %s/%d: %v", topic, p, err)
		}
		n += hw
	}
	return n
}
