package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// lifecycle is a running agent with a file source (lines-in, reading in) and a file sink
// (lines-out, writing out) joined by the topic "lines", driven through the CLI, the admin
// gRPC service and the Kafka Connect REST API.
type lifecycle struct {
	t       *testing.T
	a       *agent
	cl      adminv1.AdminClient
	dir     string
	in, out string
	// want is what out must hold, line for line, once the pipeline is idle.
	want []string
}

// rest sends a request to the agent's Kafka Connect REST API and returns the status and
// body.
func (l *lifecycle) rest(method, path, body string) (int, string) {
	l.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+l.a.rest+path, r)
	if err != nil {
		l.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		l.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// mustREST sends a request that must be answered with code and, unless want is "*", the
// body want exactly.
func (l *lifecycle) mustREST(method, path, body string, code int, want string) string {
	l.t.Helper()
	gotCode, got := l.rest(method, path, body)
	if gotCode != code || (want != "*" && got != want) {
		l.t.Fatalf("%s %s %s:\n got  %d %s\n want %d %s", method, path, body, gotCode, got, code, want)
	}
	return got
}

// cli runs a CLI command that must succeed and print want exactly ("*": anything).
func (l *lifecycle) cli(want string, args ...string) string {
	l.t.Helper()
	out, err := l.a.cli(l.t, args...)
	if err != nil || (want != "*" && out != want) {
		l.t.Fatalf("tributary %s: %v\n got:\n%s\n want:\n%s", strings.Join(args, " "), err, out, want)
	}
	return out
}

// expect adds lines to what the output must hold and waits until it holds exactly that.
func (l *lifecycle) expect(what string, lines ...string) {
	l.t.Helper()
	l.want = append(l.want, lines...)
	waitLines(l.t, l.out, len(l.want), 60*time.Second)
	// Anything that should not come (a duplicate, a line from the wrong place) would land
	// right behind: the output must stay exactly what is wanted.
	var got []string
	testsvc.Consistently(l.t, 500*time.Millisecond, what+": the output is exactly the lines sent",
		func() bool { got = readLines(l.t, l.out); return slices.Equal(got, l.want) },
		func() string {
			return fmt.Sprintf("it has %d lines, want %d; the last ones:\n got  %v\n want %v", len(got), len(l.want), tail(got, 12), tail(l.want, 12))
		})
}

func tail(s []string, n int) []string { return s[max(0, len(s)-n):] }

// waitOffset waits until a committed offset of connector has key = want (e.g. the file
// source's "position", a sink's "kafka_offset").
func (l *lifecycle) waitOffset(connector, key string, want int64) {
	l.t.Helper()
	var last *adminv1.Offsets
	testsvc.Eventually(l.t, 30*time.Second, fmt.Sprintf("connector %s commits an offset with %s = %d", connector, key, want), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		offs, err := l.cl.GetOffsets(ctx, &adminv1.ConnectorRequest{Name: connector})
		cancel()
		if err != nil {
			return false
		}
		last = offs
		for _, o := range offs.Offsets {
			var m map[string]int64
			if json.Unmarshal([]byte(o.Offset), &m) == nil && m[key] == want {
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("offsets %v", last) })
}

// stopped waits until a connector is STOPPED with no tasks.
func (l *lifecycle) stopped(name string) {
	l.t.Helper()
	waitStatus(l.t, l.cl, name, 30*time.Second, "STOPPED with no tasks", func(st *adminv1.ConnectorStatus) bool {
		return st.Connector.State == "STOPPED" && len(st.Tasks) == 0
	})
}

func (l *lifecycle) running(name string) {
	l.t.Helper()
	waitStatus(l.t, l.cl, name, 30*time.Second, "RUNNING with every task RUNNING", func(st *adminv1.ConnectorStatus) bool {
		return st.Connector.State == "RUNNING" && allTasks("RUNNING")(st)
	})
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// startLifecycle starts a broker and an agent and creates the source and sink over REST,
// as a Kafka Connect client would.
func startLifecycle(t *testing.T) *lifecycle {
	t.Helper()
	dir := t.TempDir()
	l := &lifecycle{t: t, dir: dir, in: filepath.Join(dir, "input.txt"), out: filepath.Join(dir, "output.txt")}
	if err := os.WriteFile(l.in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l.a = startAgent(t, agentOpts{id: "lc1", broker: startBrokerProc(t), dataDir: filepath.Join(dir, "node")})
	l.cl = l.a.client(t)
	l.mustREST("POST", "/connectors", `{"name":"lines-in","config":{"connector.class":"FileStreamSource","file":"`+l.in+`","topic":"lines"}}`, 201, "*")
	l.mustREST("POST", "/connectors", `{"name":"lines-out","config":{"connector.class":"FileStreamSink","file":"`+l.out+`","topics":"lines"}}`, 201, "*")
	l.running("lines-in")
	l.running("lines-out")
	return l
}

// Stop, reset, alter and resume a source and a sink through the offsets API, and recreate
// a connector that carries on from a chosen position; every step is checked line for line
// in what the sink wrote.
func TestOffsetsLifecycleEndToEnd(t *testing.T) {
	e2e(t)
	l := startLifecycle(t)
	sent := numbered("line", 0, 100)
	appendLines(t, l.in, sent)
	l.expect("first delivery", sent...)
	size := fileSize(t, l.in)
	l.waitOffset("lines-in", "position", size)

	// The offsets API refuses to change a RUNNING connector's offsets, and says what to do.
	notStopped := `{"error_code":400,"message":"Connectors must be in the STOPPED state before their offsets can be modified. ` +
		`This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/lines-in/stop' endpoint"}`
	l.mustREST("PATCH", "/connectors/lines-in/offsets", `{"offsets":[{"partition":{"filename":"`+l.in+`"},"offset":{"position":0}}]}`, 400, notStopped)
	l.mustREST("DELETE", "/connectors/lines-in/offsets", "", 400, notStopped)
	out, err := l.a.cli(t, "connectors", "offsets", "reset", "lines-in")
	if err == nil || !strings.Contains(out, "Connectors must be in the STOPPED state before their offsets can be modified") ||
		!strings.Contains(out, "Stop it first: tributary connectors stop lines-in") {
		t.Fatalf("tributary connectors offsets reset of a RUNNING connector: %v\n%s", err, out)
	}
	l.mustREST("GET", "/connectors/lines-in/offsets", "", 200,
		fmt.Sprintf(`{"offsets":[{"partition":{"filename":%q},"offset":{"position":%d}}]}`, l.in, size))

	// Stop: the tasks shut down and the connector lists none.
	l.cli("connector lines-in stopped\n", "connectors", "stop", "lines-in")
	l.stopped("lines-in")
	l.mustREST("GET", "/connectors/lines-in/tasks", "", 200, `[]`)
	l.mustREST("GET", "/connectors/lines-in/status", "", 200, `{"name":"lines-in","connector":{"state":"STOPPED","worker_id":"`+l.a.rest+`"},"tasks":[],"type":"source"}`)

	// Reset, resume: the source reads the file again from the start.
	l.cli("The offsets for this connector have been reset successfully\n", "connectors", "offsets", "reset", "lines-in")
	l.cli("{\n  \"offsets\": []\n}\n", "connectors", "offsets", "lines-in", "-o", "json")
	l.cli("connector lines-in resumed\n", "connectors", "resume", "lines-in")
	l.running("lines-in")
	l.expect("after reset and resume", sent...)
	l.waitOffset("lines-in", "position", size)

	// Alter the position to the start of line 60: the source reads on from there.
	mid := int64(60 * (len(sent[0]) + 1))
	l.cli("connector lines-in stopped\n", "connectors", "stop", "lines-in")
	l.stopped("lines-in")
	offsets := filepath.Join(l.dir, "offsets.json")
	os.WriteFile(offsets, fmt.Appendf(nil, `{"offsets": [{"partition": {"filename": %q}, "offset": {"position": %d}}]}`, l.in, mid), 0o644)
	l.cli("The offsets for this connector have been altered successfully\n", "connectors", "offsets", "alter", "lines-in", "-f", offsets)
	l.mustREST("GET", "/connectors/lines-in/offsets", "", 200,
		fmt.Sprintf(`{"offsets":[{"partition":{"filename":%q},"offset":{"position":%d}}]}`, l.in, mid))
	l.cli("connector lines-in resumed\n", "connectors", "resume", "lines-in")
	l.expect("after altering the source position to line 60", sent[60:]...)
	l.waitOffset("lines-in", "position", size)

	// The sink, over REST: the topic holds 240 records (100, 100 again, then 40); moving
	// its offset back to 230 delivers the last 10 again.
	l.waitOffset("lines-out", "kafka_offset", 240)
	l.mustREST("PATCH", "/connectors/lines-out/offsets", `{"offsets":[{"partition":{"kafka_topic":"lines","kafka_partition":0},"offset":{"kafka_offset":230}}]}`, 400,
		strings.ReplaceAll(notStopped, "lines-in", "lines-out"))
	l.mustREST("PUT", "/connectors/lines-out/stop", "", 204, "")
	l.stopped("lines-out")
	l.mustREST("PATCH", "/connectors/lines-out/offsets", `{"offsets":[{"partition":{"kafka_topic":"lines","kafka_partition":0}}]}`, 200,
		`{"message":"The offsets for this connector have been altered successfully"}`)
	l.mustREST("GET", "/connectors/lines-out/offsets", "", 200, `{"offsets":[]}`)
	l.mustREST("PATCH", "/connectors/lines-out/offsets", `{"offsets":[{"partition":{"kafka_topic":"lines","kafka_partition":0},"offset":{"kafka_offset":230}}]}`, 200,
		`{"message":"The offsets for this connector have been altered successfully"}`)
	l.mustREST("GET", "/connectors/lines-out/offsets", "", 200, `{"offsets":[{"partition":{"kafka_topic":"lines","kafka_partition":0},"offset":{"kafka_offset":230}}]}`)
	l.mustREST("PUT", "/connectors/lines-out/resume", "", 202, "")
	l.running("lines-out")
	l.expect("after altering the sink offset to 230", sent[90:]...)
	l.waitOffset("lines-out", "kafka_offset", 240)

	// Delete the source and create it again: it does not pick up the old offsets. Created
	// STOPPED, given a position, then resumed, it carries on from there.
	l.cli("connector lines-in deleted\n", "connectors", "delete", "lines-in")
	l.mustREST("POST", "/connectors", `{"name":"lines-in","config":{"connector.class":"FileStreamSource","file":"`+l.in+`","topic":"lines"},"initial_state":"STOPPED"}`, 201,
		`{"name":"lines-in","config":{"connector.class":"FileStreamSource","file":"`+l.in+`","name":"lines-in","topic":"lines"},"tasks":[],"type":"source"}`)
	l.stopped("lines-in")
	l.mustREST("GET", "/connectors/lines-in/offsets", "", 200, `{"offsets":[]}`)
	at95 := int64(95 * (len(sent[0]) + 1))
	l.cli("The offsets for this connector have been altered successfully\n", "connectors", "offsets", "alter", "lines-in",
		"--partition", fmt.Sprintf(`{"filename":%q}`, l.in), "--offset", fmt.Sprintf(`{"position":%d}`, at95))
	l.cli("connector lines-in resumed\n", "connectors", "resume", "lines-in")
	l.running("lines-in")
	l.expect("after creating the source again from line 95", sent[95:]...)

	// And new lines still flow.
	more := numbered("more", 0, 20)
	appendLines(t, l.in, more)
	l.expect("new lines after all that", more...)
}

// Pause and resume, restart with includeTasks / onlyFailed, and restart of one task, with
// the REST API's status codes and bodies and the CLI's output.
func TestPauseResumeRestartEndToEnd(t *testing.T) {
	e2e(t)
	l := startLifecycle(t)
	first := numbered("a", 0, 50)
	appendLines(t, l.in, first)
	l.expect("first delivery", first...)

	// Pause: idempotent, 202 and no body; the tasks stay, PAUSED, and move nothing.
	l.mustREST("PUT", "/connectors/lines-in/pause", "", 202, "")
	l.mustREST("PUT", "/connectors/lines-in/pause", "", 202, "")
	waitStatus(t, l.cl, "lines-in", 30*time.Second, "PAUSED with every task PAUSED", func(st *adminv1.ConnectorStatus) bool {
		return st.Connector.State == "PAUSED" && allTasks("PAUSED")(st)
	})
	l.mustREST("GET", "/connectors/lines-in/status", "", 200,
		`{"name":"lines-in","connector":{"state":"PAUSED","worker_id":"`+l.a.rest+`"},"tasks":[{"id":0,"state":"PAUSED","worker_id":"`+l.a.rest+`"}],"type":"source"}`)
	// A task reports PAUSED only from its loop, between polls (runtime: parked), so no
	// poll is in flight now and none starts before resume: lines appended now stay put.
	paused := numbered("b", 0, 30)
	appendLines(t, l.in, paused)
	testsvc.Consistently(t, 1500*time.Millisecond, "a PAUSED source moves no data",
		func() bool { return len(readLines(t, l.out)) == len(l.want) },
		func() string {
			return fmt.Sprintf("the output grew from %d to %d lines", len(l.want), len(readLines(t, l.out)))
		})
	l.mustREST("PUT", "/connectors/lines-in/resume", "", 202, "")
	l.mustREST("PUT", "/connectors/lines-in/resume", "", 202, "")
	l.running("lines-in")
	l.expect("after resume", paused...)
	l.waitOffset("lines-in", "position", fileSize(t, l.in))

	// Restart with neither flag: the connector alone, 204 and no body.
	l.mustREST("POST", "/connectors/lines-in/restart", "", 204, "")
	// onlyFailed with nothing failed: nothing restarts; 202 with the status as it is.
	l.mustREST("POST", "/connectors/lines-in/restart?includeTasks=true&onlyFailed=true", "", 202,
		`{"name":"lines-in","connector":{"state":"RUNNING","worker_id":"`+l.a.rest+`"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"`+l.a.rest+`"}],"type":"source"}`)
	// includeTasks: the connector and its task restart; 202 with both RESTARTING.
	l.mustREST("POST", "/connectors/lines-in/restart?includeTasks=true", "", 202,
		`{"name":"lines-in","connector":{"state":"RESTARTING","worker_id":"`+l.a.rest+`"},"tasks":[{"id":0,"state":"RESTARTING","worker_id":"`+l.a.rest+`"}],"type":"source"}`)
	l.running("lines-in")
	l.mustREST("POST", "/connectors/lines-in/tasks/0/restart", "", 204, "")
	l.mustREST("POST", "/connectors/lines-in/tasks/7/restart", "", 404, `{"error_code":404,"message":"Unknown task: lines-in-7"}`)
	l.running("lines-in")
	l.waitOffset("lines-out", "kafka_offset", int64(len(l.want))) // nothing to deliver again
	l.cli("task lines-out-0 restarted\n", "connectors", "restart", "lines-out", "--task", "0")
	l.running("lines-out")

	// A task that FAILED (its file is missing) is restarted by onlyFailed, and runs once
	// the file is there; the connector itself is not restarted.
	broken := filepath.Join(l.dir, "later.txt")
	l.mustREST("POST", "/connectors", `{"name":"later","config":{"connector.class":"FileStreamSource","file":"`+broken+`","topic":"later"}}`, 201, "*")
	st := waitStatus(t, l.cl, "later", 30*time.Second, "task FAILED", allTasks("FAILED"))
	if !strings.Contains(st.Tasks[0].Trace, broken) {
		t.Fatalf("the FAILED task's trace does not name the missing file:\n%s", st.Tasks[0].Trace)
	}
	if err := os.WriteFile(broken, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.mustREST("POST", "/connectors/later/restart?onlyFailed=true", "", 202, "*") // tasks not included: still FAILED
	if st := waitStatus(t, l.cl, "later", 5*time.Second, "status", func(*adminv1.ConnectorStatus) bool { return true }); st.Tasks[0].State != "FAILED" {
		t.Fatalf("restart?onlyFailed=true without includeTasks restarted a task: %v", st.Tasks)
	}
	l.mustREST("POST", "/connectors/later/restart?includeTasks=true&onlyFailed=true", "", 202,
		`{"name":"later","connector":{"state":"RUNNING","worker_id":"`+l.a.rest+`"},"tasks":[{"id":0,"state":"RESTARTING","worker_id":"`+l.a.rest+`"}],"type":"source"}`)
	l.running("later")

	// Nothing was lost or repeated through all of it.
	last := numbered("c", 0, 20)
	appendLines(t, l.in, last)
	l.expect("after the restarts", last...)
}
