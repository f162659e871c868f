package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// httpGet returns a 200 answer's body.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, b)
	}
	return string(b)
}

// grpcurlBin finds grpcurl on PATH or in the tool cache scripts/install-tools.sh fills.
func grpcurlBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	cache := filepath.Join(os.Getenv("HOME"), ".cache", "tributary", "bin", "grpcurl")
	_, err := os.Stat(cache)
	testsvc.Require(t, err, "grpcurl (scripts/install-tools.sh grpcurl builds it into the tool cache)")
	return cache
}

// streamProc runs a long-lived command (a watch), collecting its output; it is
// interrupted when the test ends.
func streamProc(t *testing.T, name string, args ...string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("---- output of %s %v ----\n%s", name, args, out.String())
		}
	})
	return out
}

// waitMatch waits until out matches re after position from, and returns the end of the match.
func waitMatch(t *testing.T, out *syncBuffer, from int, re, what string) int {
	t.Helper()
	rx := regexp.MustCompile(re)
	end := -1
	testsvc.Eventually(t, 30*time.Second, what, func() bool {
		s := out.String()
		if from > len(s) {
			return false
		}
		if loc := rx.FindStringIndex(s[from:]); loc != nil {
			end = from + loc[1]
			return true
		}
		return false
	}, out.String)
	return end
}

// The seed's Strimzi file connectors applied with --wait come back RUNNING; grpcurl (a
// client nobody here wrote) and `connectors status -w` follow a pause and a resume as they
// happen through WatchStatus.
func TestWatchStatusAndApplyWait(t *testing.T) {
	e2e(t)
	grpcurl := grpcurlBin(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "input.txt"), filepath.Join(dir, "output.txt")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, agentOpts{id: "w1", broker: startBrokerProc(t), dataDir: filepath.Join(dir, "node")})
	src, sink := filepath.Join(dir, "source.yaml"), filepath.Join(dir, "sink.yaml")
	os.WriteFile(src, []byte(strings.Replace(strimziSource, "INPUT", in, 1)), 0o644)
	os.WriteFile(sink, []byte(strings.Replace(strimziSink, "OUTPUT", out, 1)), 0o644)

	// The seed's Step 1, the KafkaConnect resource, is accepted by a real node: every
	// plugin it builds in is bundled.
	res, err := a.cli(t, "apply", "-f", seedKafkaConnect)
	if err != nil || !strings.Contains(squeeze(res), "tributary-postgres (bundled, present on node w1)") ||
		!strings.Contains(squeeze(res), "tributary-file (bundled, present on node w1)") {
		t.Fatalf("apply -f kafka-connect.yaml: %v\n%s", err, res)
	}
	if res, err := a.cli(t, "get", "kafkaconnect", "-o", "yaml"); err != nil || !strings.Contains(res, "kind: KafkaConnect") ||
		!strings.Contains(res, "replicas: 1") || !strings.Contains(res, "org.apache.kafka.connect.file.FileStreamSourceConnector") {
		t.Fatalf("get kafkaconnect: %v\n%s", err, res)
	}

	res, err = a.cli(t, "apply", "-f", src, "-f", sink, "--wait", "--timeout", "90s")
	if err != nil {
		t.Fatalf("apply --wait: %v\n%s", err, res)
	}
	// The file source makes one task whatever tasksMax says (one file, one reader).
	for _, line := range []string{"my-source-connector: RUNNING, tasks 1 RUNNING", "my-sink-connector: RUNNING, tasks 2 RUNNING"} {
		if !strings.Contains(res, line) {
			t.Errorf("apply --wait did not print %q:\n%s", line, res)
		}
	}
	// It returned because they run, not by accident: the node says so too.
	cl := a.client(t)
	waitStatus(t, cl, "my-source-connector", time.Second, "all tasks RUNNING right after apply --wait", allTasks("RUNNING"))
	waitStatus(t, cl, "my-sink-connector", time.Second, "all tasks RUNNING right after apply --wait", allTasks("RUNNING"))

	// Applying again changes nothing and returns at once: they already run.
	if res, err := a.cli(t, "apply", "-f", src, "--wait", "--timeout", "30s"); err != nil ||
		!strings.Contains(res, "my-source-connector: RUNNING, tasks 1 RUNNING") {
		t.Fatalf("apply --wait of a running connector: %v\n%s", err, res)
	}

	// get -o yaml | apply -f - changes nothing on a real node: no config written, no task
	// restarted.
	before := waitStatus(t, cl, "my-sink-connector", time.Second, "RUNNING", allTasks("RUNNING"))
	yamlOut, err := a.cli(t, "get", "kafkaconnectors", "-o", "yaml")
	if err != nil {
		t.Fatalf("get kafkaconnectors: %v\n%s", err, yamlOut)
	}
	back := filepath.Join(dir, "back.yaml")
	os.WriteFile(back, []byte(yamlOut), 0o644)
	if res, err := a.cli(t, "apply", "-f", back); err != nil ||
		res != "connector my-sink-connector unchanged\nconnector my-source-connector unchanged\n" {
		t.Errorf("apply of get's output: %v\n%s", err, res)
	}
	if res, err := a.cli(t, "connectors", "list", "-o", "json"); err != nil || strings.Contains(res, `"restarts": "1"`) ||
		!strings.Contains(res, `"generation": "1"`) {
		t.Errorf("after re-applying get's output, a connector restarted or changed generation: %v\n%s", err, res)
	}
	after := waitStatus(t, cl, "my-sink-connector", time.Second, "RUNNING", allTasks("RUNNING"))
	if !proto.Equal(before, after) {
		t.Errorf("status changed: %v → %v", before, after)
	}

	// The cluster at a glance, and the connectors with their counters.
	if res, err := a.cli(t, "status"); err != nil || !strings.Contains(res, "cluster: 1 members, 1 alive, leader w1") ||
		!strings.Contains(squeeze(res), "my-sink-connector sink RUNNING 2/2 RUNNING w1 0") {
		t.Errorf("status: %v\n%s", err, res)
	}
	if res, err := a.cli(t, "connectors", "list"); err != nil ||
		!strings.Contains(squeeze(res), "my-source-connector FileStreamSourceConnector source RUNNING 1/1 True 0") {
		t.Errorf("connectors list: %v\n%s", err, res)
	}
	// A single voter has no one to hand leadership to, and says so.
	if res, err := a.cli(t, "operator", "raft", "transfer-leader"); err == nil || !strings.Contains(res, "the cluster has one voter (w1)") {
		t.Errorf("transfer-leader on one node: %v\n%s", err, res)
	}

	// GET / names the build and the Kafka cluster, read from the broker's metadata.
	var root map[string]string
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+a.rest+"/")), &root); err != nil || root["version"] == "" ||
		root["commit"] == "" || root["kafka_cluster_id"] == "" {
		t.Errorf("GET / = %v, %v; want version, commit and kafka_cluster_id", root, err)
	}

	// Kafka Connect's metric names (as Strimzi's JMX exporter rules name them) beside ours.
	metrics := httpGet(t, "http://"+a.rest+"/metrics")
	for _, want := range []string{
		`kafka_connect_connector_status{connector="my-source-connector",status="running"} 1`,
		`kafka_connect_source_task_source_record_poll_total{connector="my-source-connector",task="0"}`,
		`kafka_connect_sink_task_sink_record_read_rate{connector="my-sink-connector",task="1"}`,
		`kafka_connect_worker_connector_count 2`,
		`tributary_task_records_total{connector="my-source-connector",task="0"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A log level set through /admin/loggers is the node's: it says so in its log, and
	// reports it back.
	req, _ := http.NewRequest("PUT", "http://"+a.rest+"/admin/loggers/tributary.kernel.runtime", strings.NewReader(`{"level":"DEBUG"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT /admin/loggers: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	a.waitOutput(`msg="log level set" .*logger=tributary.kernel.runtime level=DEBUG`, 10*time.Second)
	if got := httpGet(t, "http://"+a.rest+"/admin/loggers/tributary.kernel.runtime"); !strings.Contains(got, `"level":"DEBUG"`) {
		t.Errorf("GET /admin/loggers/tributary.kernel.runtime = %s", got)
	}

	gout := streamProc(t, grpcurl, "-plaintext", "-d", `{"name":"my-source-connector"}`, a.admin, "tributary.admin.v1.Admin/WatchStatus")
	wout := streamProc(t, filepath.Join(binDir, "tributary"), "--addr", a.admin, "connectors", "status", "-w", "my-source-connector")
	gpos := waitMatch(t, gout, 0, `"initialDone": true`, "grpcurl: the first round of WatchStatus events")
	wpos := waitMatch(t, wout, 0, `my-source-connector  task 0  RUNNING  on w1`, "status -w: the current task states")

	if res, err := a.cli(t, "connectors", "pause", "my-source-connector"); err != nil {
		t.Fatalf("pause: %v\n%s", err, res)
	}
	gpos = waitMatch(t, gout, gpos, `"state": "PAUSED"`, "grpcurl: a PAUSED state streamed after the pause")
	wpos = waitMatch(t, wout, wpos, `my-source-connector  PAUSED`, "status -w: the connector PAUSED")
	waitMatch(t, wout, wpos, `task 0  PAUSED  on w1`, "status -w: a task PAUSED")

	if res, err := a.cli(t, "connectors", "resume", "my-source-connector"); err != nil {
		t.Fatalf("resume: %v\n%s", err, res)
	}
	waitMatch(t, gout, gpos, `"state": "RUNNING"`, "grpcurl: RUNNING streamed again after the resume")
	waitMatch(t, wout, wpos, `my-source-connector  RUNNING`, "status -w: the connector RUNNING again")
}
