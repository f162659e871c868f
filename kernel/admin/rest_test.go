package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

type restClient struct {
	t   *testing.T
	srv *httptest.Server
}

func newREST(t *testing.T) (*fixture, *restClient) {
	f := newFixture(t)
	srv := httptest.NewServer(f.svc.RESTHandler())
	t.Cleanup(srv.Close)
	return f, &restClient{t: t, srv: srv}
}

// do sends a request and returns the status, the body and the response.
func (c *restClient) do(method, path, body string) (int, string, *http.Response) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp
}

// A sequence of requests with the exact answers Kafka Connect gives to the same ones.
func TestRESTConversation(t *testing.T) {
	f, c := newREST(t)
	steps := []struct {
		method, path, body string
		code               int
		want               string // exact body; "" for none
	}{
		{"GET", "/", "", 200, `{"version":"0.1.0","commit":"abc123","kafka_cluster_id":"kfake-cluster"}`},
		{"GET", "/health", "", 200, `{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}`},
		{"GET", "/connectors", "", 200, `[]`},
		{"POST", "/connectors", `{"name":"local-file-source","config":{"connector.class":"FileStreamSource","tasks.max":"1","file":"test.txt","topic":"connect-test"}}`,
			400, `{"error_code":400,"message":"unknown connector class \"FileStreamSource\"; available: file-sink (org.apache.kafka.connect.file.FileStreamSinkConnector), file-source (org.apache.kafka.connect.file.FileStreamSourceConnector)"}`},
		{"POST", "/connectors", `{"name":"local-file-source","config":{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","tasks.max":1,"file":"test.txt","topic":"connect-test","db.password":"pw"}}`,
			201, `{"name":"local-file-source","config":{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","db.password":"[hidden]","file":"test.txt","name":"local-file-source","tasks.max":"1","topic":"connect-test"},"tasks":[{"connector":"local-file-source","task":0}],"type":"source"}`},
		{"POST", "/connectors", `{"name":"local-file-source","config":{"connector.class":"file-source","file":"test.txt","topic":"t"}}`,
			409, `{"error_code":409,"message":"Connector local-file-source already exists"}`},
		{"GET", "/connectors", "", 200, `["local-file-source"]`},
		{"GET", "/connectors/local-file-source", "", 200,
			`{"name":"local-file-source","config":{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","db.password":"[hidden]","file":"test.txt","name":"local-file-source","tasks.max":"1","topic":"connect-test"},"tasks":[{"connector":"local-file-source","task":0}],"type":"source"}`},
		{"GET", "/connectors/local-file-source/config", "", 200,
			`{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","db.password":"[hidden]","file":"test.txt","name":"local-file-source","tasks.max":"1","topic":"connect-test"}`},
		{"GET", "/connectors/local-file-source/status", "", 200,
			`{"name":"local-file-source","connector":{"state":"RUNNING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""}],"type":"source"}`},
		{"GET", "/connectors/local-file-source/tasks", "", 200,
			`[{"id":{"connector":"local-file-source","task":0},"config":{"batch.size":"2000","connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","db.password":"[hidden]","file":"test.txt","name":"local-file-source","task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","task.number":"0","tasks.max":"1","topic":"connect-test"}}]`},
		{"GET", "/connectors/nope", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"GET", "/connectors/nope/status", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"PUT", "/connectors/nope/pause", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"DELETE", "/connectors/nope", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"PUT", "/connectors/local-file-source/pause", "", 202, ""},
		{"PUT", "/connectors/local-file-source/pause", "", 202, ""},
		{"GET", "/connectors/local-file-source/status", "", 200,
			`{"name":"local-file-source","connector":{"state":"PAUSED","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""}],"type":"source"}`},
		{"PUT", "/connectors/local-file-source/stop", "", 204, ""},
		{"GET", "/connectors/local-file-source/status", "", 200,
			`{"name":"local-file-source","connector":{"state":"STOPPED","worker_id":"node-1"},"tasks":[],"type":"source"}`},
		{"GET", "/connectors/local-file-source/tasks", "", 200, `[]`},
		{"PUT", "/connectors/local-file-source/resume", "", 202, ""},
		{"PUT", "/connectors/local-file-source/resume", "", 202, ""},
		{"POST", "/connectors/local-file-source/restart", "", 204, ""},
		{"POST", "/connectors/local-file-source/restart?includeTasks=true&onlyFailed=true", "", 202,
			`{"name":"local-file-source","connector":{"state":"RUNNING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""}],"type":"source"}`},
		{"POST", "/connectors/local-file-source/tasks/0/restart", "", 204, ""},
		{"POST", "/connectors/local-file-source/tasks/5/restart", "", 404, `{"error_code":404,"message":"Unknown task: local-file-source-5"}`},
		{"GET", "/connectors/local-file-source/tasks/0/status", "", 200, `{"id":0,"state":"UNASSIGNED","worker_id":""}`},
		{"GET", "/connectors/local-file-source/tasks/x/status", "", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", "/connectors/local-file-source/offsets", "", 200, `{"offsets":[]}`},
		{"PUT", "/connectors/local-file-source/config", `{"connector.class":"file-source","file":"other.txt","topic":"connect-test","db.password":"[hidden]","tasks.max":"2"}`,
			200, `{"name":"local-file-source","config":{"connector.class":"file-source","db.password":"[hidden]","file":"other.txt","name":"local-file-source","tasks.max":"2","topic":"connect-test"},"tasks":[{"connector":"local-file-source","task":0},{"connector":"local-file-source","task":1}],"type":"source"}`},
		{"PUT", "/connectors/local-file-source/config", `{"connector.class":"file-source","name":"other"}`,
			400, `{"error_code":400,"message":"Connector name configuration (other) doesn't match connector name in the URL (local-file-source)"}`},
		{"PUT", "/connectors/sink/config", `{"connector.class":"file-sink","topics":"connect-test"}`, 400,
			"{\"error_code\":400,\"message\":\"Connector configuration is invalid and contains the following 1 error(s):\\nMissing required configuration \\\"file\\\" which has no default value.\\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`\"}"},
		{"PUT", "/connectors/sink/config", `{"connector.class":"file-sink","topics":"connect-test","file":"out.txt"}`, 201,
			`{"name":"sink","config":{"connector.class":"file-sink","file":"out.txt","name":"sink","topics":"connect-test"},"tasks":[{"connector":"sink","task":0}],"type":"sink"}`},
		{"PATCH", "/connectors/sink/config", `{"topics":null,"topics.regex":"connect-.*","tasks.max":3}`, 200,
			`{"name":"sink","config":{"connector.class":"file-sink","file":"out.txt","name":"sink","tasks.max":"3","topics.regex":"connect-.*"},"tasks":[{"connector":"sink","task":0},{"connector":"sink","task":1},{"connector":"sink","task":2}],"type":"sink"}`},
		{"PATCH", "/connectors/nope/config", `{"a":"b"}`, 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"PUT", "/connectors/sink/config", `{"connector.class":{"x":1}}`, 400,
			`{"error_code":400,"message":"Config value of \"connector.class\" must be a string, number or boolean"}`},
		{"POST", "/connectors", `{"name":`, 400, `{"error_code":400,"message":"Request body is not valid JSON: unexpected EOF"}`},
		{"GET", "/connectors?expand=status&expand=info&expand=bogus", "", 200,
			`{"local-file-source":{"info":{"name":"local-file-source","config":{"connector.class":"file-source","db.password":"[hidden]","file":"other.txt","name":"local-file-source","tasks.max":"2","topic":"connect-test"},"tasks":[{"connector":"local-file-source","task":0},{"connector":"local-file-source","task":1}],"type":"source"},"status":{"name":"local-file-source","connector":{"state":"RUNNING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""},{"id":1,"state":"UNASSIGNED","worker_id":""}],"type":"source"}},"sink":{"info":{"name":"sink","config":{"connector.class":"file-sink","file":"out.txt","name":"sink","tasks.max":"3","topics.regex":"connect-.*"},"tasks":[{"connector":"sink","task":0},{"connector":"sink","task":1},{"connector":"sink","task":2}],"type":"sink"},"status":{"name":"sink","connector":{"state":"RUNNING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""},{"id":1,"state":"UNASSIGNED","worker_id":""},{"id":2,"state":"UNASSIGNED","worker_id":""}],"type":"sink"}}}`},
		{"GET", "/connectors?expand=bogus", "", 200, `{"local-file-source":{},"sink":{}}`},
		{"GET", "/connector-plugins", "", 200,
			`[{"class":"org.apache.kafka.connect.file.FileStreamSinkConnector","type":"sink","version":"1.0.0"},{"class":"org.apache.kafka.connect.file.FileStreamSourceConnector","type":"source","version":"1.0.0"}]`},
		{"GET", "/connector-plugins/file-sink/config", "", 200,
			`[{"name":"file","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"Destination filename.","group":"File","order":1,"width":"NONE","display_name":"file","dependents":[]}]`},
		{"GET", "/connector-plugins/nope/config", "", 404,
			`{"error_code":404,"message":"unknown connector class \"nope\"; available: file-sink (org.apache.kafka.connect.file.FileStreamSinkConnector), file-source (org.apache.kafka.connect.file.FileStreamSourceConnector)"}`},
		{"PUT", "/connector-plugins/file-sink/config/validate", `{"connector.class":"file-source"}`, 400,
			`{"error_code":400,"message":"Included connector type file-source does not match request type file-sink"}`},
		{"DELETE", "/connectors/sink", "", 204, ""},
		{"GET", "/connectors", "", 200, `["local-file-source"]`},
		{"GET", "/nowhere", "", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"POST", "/connectors/local-file-source/status", "", 405, `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
	}
	for i, s := range steps {
		code, body, _ := c.do(s.method, s.path, s.body)
		if code != s.code || body != s.want {
			t.Errorf("step %d: %s %s\n got  %d %s\n want %d %s", i, s.method, s.path, code, body, s.code, s.want)
		}
	}
	// The PUT that sent back "[hidden]" kept the real secret.
	var c1 *clusterv1.Connector
	f.store.Read(func(st *state.State) { c1 = st.Connector("local-file-source") })
	if c1.Config["db.password"] != "pw" {
		t.Errorf("stored db.password = %q, want the original pw", c1.Config["db.password"])
	}
}

func TestRESTTasksOffsetsValidate(t *testing.T) {
	f, c := newREST(t)
	code, _, resp := c.do("POST", "/connectors", `{"name":"snk","config":{"connector.class":"file-sink","file":"/x","topics":"a","tasks.max":"2"},"initial_state":"PAUSED"}`)
	if code != 201 || resp.Header.Get("Location") != c.srv.URL+"/connectors/snk" {
		t.Fatalf("POST: %d, Location %q", code, resp.Header.Get("Location"))
	}
	f.place(t, "node-2", "snk", clusterv1.TaskState_TASK_STATE_PAUSED, clusterv1.TaskState_TASK_STATE_PAUSED)
	f.report(t, "snk", 1, clusterv1.TaskState_TASK_STATE_FAILED, "Oops: disk full\n\tat x")
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: []*clusterv1.TaskOffsets{
		{Task: &clusterv1.TaskID{Connector: "snk"}, Epoch: f.epoch("snk", 0), Sink: []*clusterv1.SinkOffset{{Topic: "a", Partition: 0, Offset: 10}}}}}}})

	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/connectors/snk/status", "", 200,
			`{"name":"snk","connector":{"state":"PAUSED","worker_id":"node-2"},"tasks":[{"id":0,"state":"PAUSED","worker_id":"node-2"},{"id":1,"state":"FAILED","worker_id":"node-2","trace":"Oops: disk full\n\tat x"}],"type":"sink"}`},
		{"GET", "/connectors/snk/tasks/1/status", "", 200, `{"id":1,"state":"FAILED","worker_id":"node-2","trace":"Oops: disk full\n\tat x"}`},
		{"GET", "/connectors/snk/tasks/2/status", "", 404, `{"error_code":404,"message":"No status found for task snk-2"}`},
		{"POST", "/connectors/snk/restart?includeTasks=true&onlyFailed=true", "", 202,
			`{"name":"snk","connector":{"state":"PAUSED","worker_id":"node-2"},"tasks":[{"id":0,"state":"PAUSED","worker_id":"node-2"},{"id":1,"state":"RESTARTING","worker_id":"node-2"}],"type":"sink"}`},
		{"POST", "/connectors/snk/restart?includeTasks=true", "", 202,
			`{"name":"snk","connector":{"state":"RESTARTING","worker_id":"node-2"},"tasks":[{"id":0,"state":"RESTARTING","worker_id":"node-2"},{"id":1,"state":"RESTARTING","worker_id":"node-2"}],"type":"sink"}`},
		{"GET", "/connectors/snk/offsets", "", 200, `{"offsets":[{"partition":{"kafka_topic":"a","kafka_partition":0},"offset":{"kafka_offset":10}}]}`},
		{"PATCH", "/connectors/snk/offsets", `{"offsets":[{"partition":{"kafka_topic":"a","kafka_partition":0},"offset":{"kafka_offset":5}}]}`, 400,
			`{"error_code":400,"message":"Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/snk/stop' endpoint"}`},
		{"PUT", "/connectors/snk/stop", "", 204, ""},
		{"PATCH", "/connectors/snk/offsets", `{"offsets":[{"partition":{"kafka_topic":"a","kafka_partition":0},"offset":{"kafka_offset":5}},{"partition":{"kafka_topic":"a","kafka_partition":3},"offset":{"kafka_offset":1}}]}`, 200,
			`{"message":"The offsets for this connector have been altered successfully"}`},
		{"GET", "/connectors/snk/offsets", "", 200, `{"offsets":[{"partition":{"kafka_topic":"a","kafka_partition":0},"offset":{"kafka_offset":5}},{"partition":{"kafka_topic":"a","kafka_partition":3},"offset":{"kafka_offset":1}}]}`},
		{"DELETE", "/connectors/snk/offsets", "", 200, `{"message":"The offsets for this connector have been reset successfully"}`},
		{"GET", "/connectors/snk/offsets", "", 200, `{"offsets":[]}`},
		{"PUT", "/connector-plugins/org.apache.kafka.connect.file.FileStreamSinkConnector/config/validate", `{"name":"v","topics":"a","topics.regex":"b"}`, 200,
			`{"name":"org.apache.kafka.connect.file.FileStreamSinkConnector","error_count":2,"groups":["Common","File"],"configs":[` +
				`{"definition":{"name":"name","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"Globally unique name to use for this connector.","group":"Common","order":1,"width":"NONE","display_name":"Connector name","dependents":[]},"value":{"name":"name","value":"v","recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"connector.class","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"Name or alias of the connector, e.g. file-source or org.apache.kafka.connect.file.FileStreamSourceConnector.","group":"Common","order":2,"width":"NONE","display_name":"Connector class","dependents":[]},"value":{"name":"connector.class","value":"org.apache.kafka.connect.file.FileStreamSinkConnector","recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"tasks.max","type":"INT","required":false,"default_value":"1","importance":"HIGH","documentation":"Maximum number of tasks to use for this connector.","group":"Common","order":3,"width":"NONE","display_name":"Tasks max","dependents":[]},"value":{"name":"tasks.max","value":"1","recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"topics","type":"LIST","required":false,"default_value":"","importance":"HIGH","documentation":"List of topics to consume, separated by commas. Set exactly one of topics or topics.regex.","group":"Common","order":4,"width":"NONE","display_name":"Topics","dependents":[]},"value":{"name":"topics","value":"a","recommended_values":[],"errors":["topics and topics.regex are mutually exclusive options, but both are set; remove one of them."],"visible":true}},` +
				`{"definition":{"name":"topics.regex","type":"STRING","required":false,"default_value":"","importance":"HIGH","documentation":"Regular expression giving the topics to consume. Set exactly one of topics or topics.regex.","group":"Common","order":5,"width":"NONE","display_name":"Topics regex","dependents":[]},"value":{"name":"topics.regex","value":"b","recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"key.converter","type":"CLASS","required":false,"default_value":null,"importance":"LOW","documentation":"Converter between record keys and the bytes in Kafka; the node's default when unset.","group":"Common","order":6,"width":"NONE","display_name":"Key converter class","dependents":[]},"value":{"name":"key.converter","value":null,"recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"value.converter","type":"CLASS","required":false,"default_value":null,"importance":"LOW","documentation":"Converter between record values and the bytes in Kafka; the node's default when unset.","group":"Common","order":7,"width":"NONE","display_name":"Value converter class","dependents":[]},"value":{"name":"value.converter","value":null,"recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"header.converter","type":"CLASS","required":false,"default_value":null,"importance":"LOW","documentation":"Converter between header values and the bytes in Kafka; the node's default when unset.","group":"Common","order":8,"width":"NONE","display_name":"Header converter class","dependents":[]},"value":{"name":"header.converter","value":null,"recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"transforms","type":"LIST","required":false,"default_value":"","importance":"LOW","documentation":"Aliases for the transformations to be applied to records, in order.","group":"Common","order":9,"width":"NONE","display_name":"Transforms","dependents":[]},"value":{"name":"transforms","value":null,"recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"predicates","type":"LIST","required":false,"default_value":"","importance":"LOW","documentation":"Aliases for the predicates used by transformations.","group":"Common","order":10,"width":"NONE","display_name":"Predicates","dependents":[]},"value":{"name":"predicates","value":null,"recommended_values":[],"errors":[],"visible":true}},` +
				`{"definition":{"name":"file","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"Destination filename.","group":"File","order":1,"width":"NONE","display_name":"file","dependents":[]},"value":{"name":"file","value":null,"recommended_values":[],"errors":["Missing required configuration \"file\" which has no default value."],"visible":true}}]}`},
	}
	for i, s := range steps {
		code, body, _ := c.do(s.method, s.path, s.body)
		if code != s.code || body != s.want {
			t.Errorf("step %d: %s %s\n got  %d %s\n want %d %s", i, s.method, s.path, code, body, s.code, s.want)
		}
	}
}

// A name that needs escaping in a URL still routes to its connector.
func TestRESTEscapedName(t *testing.T) {
	_, c := newREST(t)
	if code, body, _ := c.do("PUT", "/connectors/a%2Fb%20c/config", `{"connector.class":"file-source","file":"x","topic":"t"}`); code != 201 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body, _ := c.do("GET", "/connectors/a%2Fb%20c/status", ""); code != 200 || !strings.Contains(body, `"name":"a/b c"`) {
		t.Errorf("GET status: %d %s", code, body)
	}
}

// The offsets and lifecycle endpoints, with Kafka Connect's status codes, bodies and
// messages for each refusal.
func TestRESTOffsetsAndLifecycle(t *testing.T) {
	f, c := newREST(t)
	if code, body, _ := c.do("POST", "/connectors", `{"name":"src","config":{"connector.class":"file-source","file":"/in","topic":"t"}}`); code != 201 {
		t.Fatalf("POST: %d %s", code, body)
	}
	f.place(t, "node-2", "src", clusterv1.TaskState_TASK_STATE_RUNNING)
	f.commit(t, "src", []*clusterv1.SourceOffset{{Partition: []byte(`{"filename":"/in"}`), Offset: []byte(`{"position":120}`)}}, nil)
	const notStopped = `{"error_code":400,"message":"Connectors must be in the STOPPED state before their offsets can be modified. ` +
		`This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint"}`
	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/connectors/src/offsets", "", 200, `{"offsets":[{"partition":{"filename":"/in"},"offset":{"position":120}}]}`},
		{"PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"filename":"/in"},"offset":{"position":0}}]}`, 400, notStopped},
		{"DELETE", "/connectors/src/offsets", "", 400, notStopped},
		{"PUT", "/connectors/src/pause", "", 202, ""},
		{"PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"filename":"/in"},"offset":{"position":0}}]}`, 400, notStopped},
		{"GET", "/connectors/src/status", "", 200,
			`{"name":"src","connector":{"state":"PAUSED","worker_id":"node-2"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"node-2"}],"type":"source"}`},
		{"PUT", "/connectors/src/stop", "", 204, ""},
		{"PUT", "/connectors/src/stop", "", 204, ""},
		{"GET", "/connectors/src/status", "", 200, `{"name":"src","connector":{"state":"STOPPED","worker_id":"node-1"},"tasks":[],"type":"source"}`},
		{"GET", "/connectors/src", "", 200,
			`{"name":"src","config":{"connector.class":"file-source","file":"/in","name":"src","topic":"t"},"tasks":[],"type":"source"}`},
		{"GET", "/connectors/src/offsets", "", 200, `{"offsets":[{"partition":{"filename":"/in"},"offset":{"position":120}}]}`},
		{"PATCH", "/connectors/src/offsets", `{}`, 400,
			`{"error_code":400,"message":"Partitions / offsets need to be provided for an alter offsets request"}`},
		{"PATCH", "/connectors/src/offsets", `{"offsets":[]}`, 400,
			`{"error_code":400,"message":"Partitions / offsets need to be provided for an alter offsets request"}`},
		{"PATCH", "/connectors/src/offsets", `{"offsets":[{}]}`, 400,
			`{"error_code":400,"message":"The partition for a source connector offset cannot be null or missing"}`},
		{"PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"filename":"/in"},"offset":7}]}`, 400,
			`{"error_code":400,"message":"The offset for a source connector must either be null or a JSON object, got 7"}`},
		{"PATCH", "/connectors/src/offsets", ``, 400, `{"error_code":400,"message":"Request body is empty; send a JSON object"}`},
		{"PATCH", "/connectors/src/offsets", `{"offsets":[{"partition":{"filename":"/in"},"offset":{"position":60}}]}`, 200,
			`{"message":"The offsets for this connector have been altered successfully"}`},
		{"GET", "/connectors/src/offsets", "", 200, `{"offsets":[{"partition":{"filename":"/in"},"offset":{"position":60}}]}`},
		{"DELETE", "/connectors/src/offsets", "", 200, `{"message":"The offsets for this connector have been reset successfully"}`},
		{"GET", "/connectors/src/offsets", "", 200, `{"offsets":[]}`},
		{"PATCH", "/connectors/nope/offsets", `{"offsets":[{"partition":{"a":1},"offset":null}]}`, 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"DELETE", "/connectors/nope/offsets", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
		{"GET", "/connectors/nope/offsets", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
		// A task of a STOPPED connector does not exist.
		{"POST", "/connectors/src/tasks/0/restart", "", 404, `{"error_code":404,"message":"Unknown task: src-0"}`},
		{"PUT", "/connectors/src/resume", "", 202, ""},
		{"GET", "/connectors/src/status", "", 200,
			`{"name":"src","connector":{"state":"RUNNING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""}],"type":"source"}`},
		{"POST", "/connectors/src/restart", "", 204, ""},
		{"POST", "/connectors/src/restart?includeTasks=false&onlyFailed=false", "", 204, ""},
		{"POST", "/connectors/src/restart?onlyFailed=true", "", 202,
			`{"name":"src","connector":{"state":"RUNNING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""}],"type":"source"}`},
		{"POST", "/connectors/src/restart?includeTasks=true", "", 202,
			`{"name":"src","connector":{"state":"RESTARTING","worker_id":"node-1"},"tasks":[{"id":0,"state":"UNASSIGNED","worker_id":""}],"type":"source"}`},
		{"POST", "/connectors/nope/restart?includeTasks=true", "", 404, `{"error_code":404,"message":"Connector nope not found"}`},
	}
	for i, s := range steps {
		code, body, _ := c.do(s.method, s.path, s.body)
		if code != s.code || body != s.want {
			t.Errorf("step %d: %s %s %s\n got  %d %s\n want %d %s", i, s.method, s.path, s.body, code, body, s.code, s.want)
		}
	}
}
