package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/state"
	"github.com/tributary-dev/tributary/plugins/kc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// maxBody bounds a request body: a connector config of config.MaxConfigBytes with room
// for JSON's quoting. A larger body is refused with 413 before it is read whole.
const maxBody = config.MaxConfigBytes + config.MaxConfigBytes/4

// RESTHandler returns the Kafka Connect–compatible REST API: the same paths, JSON shapes
// and status codes as Apache Kafka Connect, each mapped onto a Service method.
func (s *Service) RESTHandler() http.Handler {
	r := &rest{s: s, mux: http.NewServeMux()}
	routes := []struct {
		pattern string
		h       func(http.ResponseWriter, *http.Request) error
	}{
		{"GET /{$}", r.serverInfo},
		{"GET /health", r.health},
		{"GET /connectors", r.listConnectors},
		{"GET /connectors/{$}", r.listConnectors},
		{"POST /connectors", r.createConnector},
		{"POST /connectors/{$}", r.createConnector},
		{"GET /connectors/{name}", r.getConnector},
		{"DELETE /connectors/{name}", r.deleteConnector},
		{"GET /connectors/{name}/config", r.getConfig},
		{"PUT /connectors/{name}/config", r.putConfig},
		{"PATCH /connectors/{name}/config", r.patchConfig},
		{"GET /connectors/{name}/status", r.getStatus},
		{"GET /connectors/{name}/tasks", r.getTasks},
		{"GET /connectors/{name}/tasks/{task}/status", r.getTaskStatus},
		{"POST /connectors/{name}/tasks/{task}/restart", r.restartTask},
		{"POST /connectors/{name}/restart", r.restartConnector},
		{"PUT /connectors/{name}/pause", r.pause},
		{"PUT /connectors/{name}/resume", r.resume},
		{"PUT /connectors/{name}/stop", r.stop},
		{"GET /connectors/{name}/offsets", r.getOffsets},
		{"PATCH /connectors/{name}/offsets", r.alterOffsets},
		{"DELETE /connectors/{name}/offsets", r.resetOffsets},
		{"GET /connectors/{name}/topics", r.getTopics},
		{"PUT /connectors/{name}/topics/reset", r.resetTopics},
		{"GET /connector-plugins", r.listPlugins},
		{"GET /connector-plugins/{$}", r.listPlugins},
		{"GET /connector-plugins/{plugin}/config", r.pluginConfig},
		{"PUT /connector-plugins/{plugin}/config/validate", r.validate},
		{"GET /connectors/{name}/tasks-config", r.getTasksConfig},
		{"GET /admin/loggers", r.listLoggers},
		{"GET /admin/loggers/{$}", r.listLoggers},
		{"GET /admin/loggers/{logger}", r.getLogger},
		{"PUT /admin/loggers/{logger}", r.putLogger},
	}
	for _, rt := range routes {
		r.mux.Handle(rt.pattern, r.wrap(rt.h))
	}
	r.mux.HandleFunc("/", r.fallback)
	return r.mux
}

type rest struct {
	s   *Service
	mux *http.ServeMux
}

// httpError is an answer other than 2xx that is not a gRPC status (bad JSON, bad path).
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// wrap turns a handler's error into Kafka Connect's error body.
func (r *rest) wrap(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := h(w, req); err != nil {
			code, msg := httpStatus(err)
			if code == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			if code >= 500 {
				r.s.log.Warn("REST request failed", "method", req.Method, "path", req.URL.Path, "status", code, "err", msg)
			}
			writeError(w, code, msg)
		}
	})
}

// httpStatus maps an error to the status Kafka Connect answers the same failure with.
func httpStatus(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.code, he.msg
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest, st.Message()
	case codes.NotFound:
		return http.StatusNotFound, st.Message()
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict, st.Message()
	case codes.Unavailable:
		return http.StatusServiceUnavailable, st.Message()
	case codes.Unimplemented:
		return http.StatusNotImplemented, st.Message()
	case codes.Canceled, codes.DeadlineExceeded:
		// Kafka Connect answers a request that took too long with 500 "Request timed out".
		return http.StatusInternalServerError, st.Message()
	}
	return http.StatusInternalServerError, st.Message()
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Code: code, Message: msg})
}

type errorBody struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

// writeJSON writes v as Kafka Connect's Jackson would: compact, no HTML escaping, no
// trailing newline.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error_code":500,"message":%q}`, err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))))
	w.WriteHeader(code)
	w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// fallback answers paths no route takes: 405 when the path exists for another method, 404
// otherwise, in Kafka Connect's error shape (Jersey's messages).
func (r *rest) fallback(w http.ResponseWriter, req *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := req.Clone(req.Context())
		probe.Method = m
		if _, pattern := r.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "HTTP 405 Method Not Allowed")
		return
	}
	writeError(w, http.StatusNotFound, "HTTP 404 Not Found")
}

// ---- JSON shapes (field order as Kafka Connect's) ----

type serverInfoJSON struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

type taskIDJSON struct {
	Connector string `json:"connector"`
	Task      int32  `json:"task"`
}

type connectorInfoJSON struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []taskIDJSON      `json:"tasks"`
	Type   string            `json:"type"`
}

type stateJSON struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

type taskStateJSON struct {
	ID       int32  `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

type statusJSON struct {
	Name      string          `json:"name"`
	Connector stateJSON       `json:"connector"`
	Tasks     []taskStateJSON `json:"tasks"`
	Type      string          `json:"type"`
}

type taskInfoJSON struct {
	ID     taskIDJSON        `json:"id"`
	Config map[string]string `json:"config"`
}

type offsetJSON struct {
	Partition json.RawMessage `json:"partition"`
	Offset    json.RawMessage `json:"offset"`
}

type offsetsJSON struct {
	Offsets []offsetJSON `json:"offsets"`
}

type pluginJSON struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

type configKeyJSON struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation *string  `json:"documentation"`
	Group         *string  `json:"group"`
	Order         int32    `json:"order"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

type configValueJSON struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

type configInfoJSON struct {
	Definition configKeyJSON   `json:"definition"`
	Value      configValueJSON `json:"value"`
}

type configInfosJSON struct {
	Name       string           `json:"name"`
	ErrorCount int32            `json:"error_count"`
	Groups     []string         `json:"groups"`
	Configs    []configInfoJSON `json:"configs"`
}

type healthJSON struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func infoJSON(i *adminv1.ConnectorInfo) connectorInfoJSON {
	out := connectorInfoJSON{Name: i.GetName(), Config: i.GetConfig(), Tasks: []taskIDJSON{}, Type: i.GetType()}
	if out.Config == nil {
		out.Config = map[string]string{}
	}
	for _, t := range i.GetTasks() {
		out.Tasks = append(out.Tasks, taskIDJSON{t.GetConnector(), t.GetTask()})
	}
	return out
}

func taskJSON(t *adminv1.TaskStatus) taskStateJSON {
	return taskStateJSON{ID: t.GetId(), State: t.GetState(), WorkerID: t.GetWorkerId(), Trace: t.GetTrace()}
}

func statusOf(st *adminv1.ConnectorStatus) statusJSON {
	out := statusJSON{Name: st.GetName(), Tasks: []taskStateJSON{}, Type: st.GetType(), Connector: stateJSON{
		State: st.GetConnector().GetState(), WorkerID: st.GetConnector().GetWorkerId(), Trace: st.GetConnector().GetTrace()}}
	for _, t := range st.GetTasks() {
		out.Tasks = append(out.Tasks, taskJSON(t))
	}
	return out
}

func keyJSON(k *adminv1.ConfigKeyInfo) configKeyJSON {
	out := configKeyJSON{Name: k.GetName(), Type: k.GetType(), Required: k.GetRequired(), Importance: k.GetImportance(),
		Order: k.GetOrder(), Width: k.GetWidth(), DisplayName: k.GetDisplayName(), Dependents: k.GetDependents()}
	if k.GetHasDefault() {
		out.DefaultValue = ptr(k.GetDefaultValue())
	}
	if k.GetDocumentation() != "" {
		out.Documentation = ptr(k.GetDocumentation())
	}
	if k.GetGroup() != "" {
		out.Group = ptr(k.GetGroup())
	}
	if out.Dependents == nil {
		out.Dependents = []string{}
	}
	return out
}

func ptr(s string) *string { return &s }

// ---- bodies ----

// decodeBody reads a JSON body into v. A body declared as anything but JSON is refused
// with 415, as Jersey refuses it for Kafka Connect's resources (which consume only
// application/json); a body with no Content-Type at all is read as JSON.
func decodeBody(req *http.Request, v any) error {
	if ct := req.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{http.StatusUnsupportedMediaType, "HTTP 415 Unsupported Media Type"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, req.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body is larger than %d bytes; "+
				"a connector config may hold at most %d (read large values from a file with a config provider)", maxBody, config.MaxConfigBytes)}
		}
		if errors.Is(err, io.EOF) {
			return badRequest("Request body is empty; send a JSON object")
		}
		return badRequest("Request body is not valid JSON: %v", err)
	}
	// Anything but white space after the value (a second value, a stray '}') is not a
	// JSON document: More alone misses a closing delimiter.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("Request body has more than one JSON value or data after it")
	}
	return nil
}

// decodeJSON decodes b into v as decodeBody does (numbers kept as written).
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("Request body is not valid JSON: %v", err)
	}
	return nil
}

// configMap reads a config object whose values Kafka Connect would coerce to strings:
// strings, numbers and booleans. Keys with a null value are dropped, or with keepNull
// returned as nil (PATCH removes them).
func configMap(raw map[string]any, keepNull bool) (map[string]*string, error) {
	out := make(map[string]*string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case nil:
			if keepNull {
				out[k] = nil
			}
		case string:
			out[k] = ptr(v)
		case json.Number:
			out[k] = ptr(v.String())
		case bool:
			out[k] = ptr(strconv.FormatBool(v))
		default:
			return nil, badRequest("Config value of %q must be a string, number or boolean", k)
		}
	}
	return out, nil
}

func plain(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func readConfig(req *http.Request, keepNull bool) (map[string]*string, error) {
	var raw map[string]any
	if err := decodeBody(req, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, badRequest("Request body must be a JSON object of config keys and values")
	}
	return configMap(raw, keepNull)
}

// location is the absolute URL of a connector, for Location headers.
func location(req *http.Request, name string) string {
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.Host + "/connectors/" + url.PathEscape(name)
}

// ---- handlers ----

func (r *rest) serverInfo(w http.ResponseWriter, req *http.Request) error {
	info, err := r.s.ServerInfo(req.Context(), &adminv1.ServerInfoRequest{})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, serverInfoJSON{info.Version, info.Commit, info.KafkaClusterId})
	return nil
}

// health answers KIP-1017's GET /health: 200 healthy; 503 starting while the node's
// replica catches up after a (re)start; 500 unhealthy while it knows of no leader.
func (r *rest) health(w http.ResponseWriter, _ *http.Request) error {
	h := r.s.clusterHealth()
	switch {
	case h != nil && !h.CaughtUp:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, healthJSON{Status: "starting",
			Message: fmt.Sprintf("Node %s is catching up with the cluster's state and is not ready to handle requests yet.", r.s.cfg.NodeID)})
	case h != nil && h.Leader == "":
		writeJSON(w, http.StatusInternalServerError, healthJSON{Status: "unhealthy",
			Message: fmt.Sprintf("The cluster has no leader (as seen by node %s): no task runs and no change can be made until one is elected.", r.s.cfg.NodeID)})
	default:
		writeJSON(w, http.StatusOK, healthJSON{Status: "healthy", Message: "Worker has completed startup and is ready to handle requests."})
	}
	return nil
}

func (r *rest) listConnectors(w http.ResponseWriter, req *http.Request) error {
	list, err := r.s.ListConnectors(req.Context(), &adminv1.ListConnectorsRequest{})
	if err != nil {
		return err
	}
	expand, ok := req.URL.Query()["expand"]
	if !ok {
		writeJSON(w, http.StatusOK, list.Names)
		return nil
	}
	out := map[string]map[string]any{}
	for _, name := range list.Names {
		ex := map[string]any{}
		gone := false
		for _, e := range expand {
			switch e {
			case "status":
				st, err := r.s.GetConnectorStatus(req.Context(), &adminv1.ConnectorRequest{Name: name})
				if err != nil {
					gone = true
					break
				}
				ex["status"] = statusOf(r.advertised(st))
			case "info":
				info, err := r.s.GetConnector(req.Context(), &adminv1.ConnectorRequest{Name: name})
				if err != nil {
					gone = true
					break
				}
				ex["info"] = infoJSON(info)
			}
		}
		if !gone { // deleted while we looked: left out, as upstream
			out[name] = ex
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createRequestFields are the fields of Kafka Connect's CreateConnectorRequest.
var createRequestFields = []string{"name", "config", "initial_state"}

func (r *rest) createConnector(w http.ResponseWriter, req *http.Request) error {
	var raw map[string]json.RawMessage
	if err := decodeBody(req, &raw); err != nil {
		return err
	}
	// Kafka Connect reads the body with Jackson's defaults, which fail on a field
	// CreateConnectorRequest does not have; its exception mapper answers that with 500
	// and Jackson's message. A misspelt "initial_state" is refused, not ignored.
	for k := range raw {
		if !slices.Contains(createRequestFields, k) {
			return &httpError{http.StatusInternalServerError, fmt.Sprintf("Unrecognized field %q "+
				"(class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest), not marked as ignorable "+
				"(3 known properties: \"name\", \"config\", \"initial_state\"])", k)}
		}
	}
	var body struct {
		Name         *string        `json:"name"`
		Config       map[string]any `json:"config"`
		InitialState *string        `json:"initial_state"`
	}
	if b, err := json.Marshal(raw); err != nil {
		return badRequest("Request body is not valid JSON: %v", err)
	} else if err := decodeJSON(b, &body); err != nil {
		return err
	}
	cfg, err := configMap(body.Config, false)
	if err != nil {
		return err
	}
	var name, initial string
	if body.Name != nil {
		name = strings.TrimSpace(*body.Name)
	}
	if body.InitialState != nil {
		initial = *body.InitialState
	}
	info, err := r.s.CreateConnector(req.Context(), &adminv1.CreateConnectorRequest{Name: name, Config: plain(cfg), InitialState: initial})
	if err != nil {
		return err
	}
	w.Header().Set("Location", location(req, name))
	writeJSON(w, http.StatusCreated, infoJSON(info))
	return nil
}

func (r *rest) getConnector(w http.ResponseWriter, req *http.Request) error {
	info, err := r.s.GetConnector(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, infoJSON(info))
	return nil
}

func (r *rest) deleteConnector(w http.ResponseWriter, req *http.Request) error {
	if _, err := r.s.DeleteConnector(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r *rest) getConfig(w http.ResponseWriter, req *http.Request) error {
	info, err := r.s.GetConnector(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, infoJSON(info).Config)
	return nil
}

func (r *rest) putConfig(w http.ResponseWriter, req *http.Request) error {
	cfg, err := readConfig(req, false)
	if err != nil {
		return err
	}
	name := req.PathValue("name")
	resp, err := r.s.PutConnectorConfig(req.Context(), &adminv1.PutConnectorConfigRequest{Name: name, Config: plain(cfg)})
	if err != nil {
		return err
	}
	code := http.StatusOK
	if resp.Created {
		code = http.StatusCreated
		w.Header().Set("Location", location(req, name))
	}
	writeJSON(w, code, infoJSON(resp.Info))
	return nil
}

func (r *rest) patchConfig(w http.ResponseWriter, req *http.Request) error {
	patch, err := readConfig(req, true)
	if err != nil {
		return err
	}
	info, err := r.s.patchConnectorConfig(req.Context(), req.PathValue("name"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, infoJSON(info))
	return nil
}

func (r *rest) getStatus(w http.ResponseWriter, req *http.Request) error {
	st, err := r.s.GetConnectorStatus(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusOf(r.advertised(st)))
	return nil
}

func (r *rest) getTasks(w http.ResponseWriter, req *http.Request) error {
	resp, err := r.s.GetTaskConfigs(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	out := []taskInfoJSON{}
	for _, t := range r.withTaskClass(req.PathValue("name"), resp.Tasks) {
		out = append(out, taskInfoJSON{ID: taskIDJSON{t.Id.GetConnector(), t.Id.GetTask()}, Config: t.Config})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// withTaskClass adds task.class to each task config, as Kafka Connect's worker does:
// the task class of the connector's full class name.
func (r *rest) withTaskClass(name string, tasks []*adminv1.TaskInfo) []*adminv1.TaskInfo {
	c := r.s.connector(name)
	if c == nil {
		return tasks
	}
	d := r.s.descriptor(c.Plugin)
	if d == nil {
		return tasks
	}
	tc := taskClass(d)
	for _, t := range tasks {
		if t.Config == nil {
			t.Config = map[string]string{}
		}
		if _, ok := t.Config["task.class"]; !ok {
			t.Config["task.class"] = tc
		}
	}
	return tasks
}

// getTasksConfig answers GET /connectors/{name}/tasks-config (KIP-661, deprecated
// upstream since 3.6 in favour of /tasks): {"<name>-<task>": {config}}.
func (r *rest) getTasksConfig(w http.ResponseWriter, req *http.Request) error {
	name := req.PathValue("name")
	resp, err := r.s.GetTaskConfigs(req.Context(), &adminv1.ConnectorRequest{Name: name})
	if err != nil {
		return err
	}
	out := map[string]map[string]string{}
	for _, t := range r.withTaskClass(name, resp.Tasks) {
		out[fmt.Sprintf("%s-%d", t.Id.GetConnector(), t.Id.GetTask())] = t.Config
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// taskID reads the {task} path value; a value that is not a number matches no task,
// which Jersey answers with 404.
func taskID(req *http.Request) (int32, error) {
	n, err := strconv.ParseInt(req.PathValue("task"), 10, 32)
	if err != nil {
		return 0, &httpError{http.StatusNotFound, "HTTP 404 Not Found"}
	}
	return int32(n), nil
}

func (r *rest) getTaskStatus(w http.ResponseWriter, req *http.Request) error {
	id, err := taskID(req)
	if err != nil {
		return err
	}
	ts, err := r.s.taskStatusOf(req.PathValue("name"), id)
	if err != nil {
		return err
	}
	ts.WorkerId = r.workerAddr()(ts.WorkerId)
	writeJSON(w, http.StatusOK, taskJSON(ts))
	return nil
}

func (r *rest) restartTask(w http.ResponseWriter, req *http.Request) error {
	id, err := taskID(req)
	if err != nil {
		return err
	}
	if _, err := r.s.RestartTask(req.Context(), &adminv1.TaskRequest{Connector: req.PathValue("name"), Task: id}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (r *rest) restartConnector(w http.ResponseWriter, req *http.Request) error {
	q := req.URL.Query()
	includeTasks, onlyFailed := kc.IsTrue(q.Get("includeTasks")), kc.IsTrue(q.Get("onlyFailed"))
	st, err := r.s.RestartConnector(req.Context(), &adminv1.RestartConnectorRequest{
		Name: req.PathValue("name"), IncludeTasks: includeTasks, OnlyFailed: onlyFailed})
	if err != nil {
		return err
	}
	if !includeTasks && !onlyFailed {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusAccepted, statusOf(r.advertised(st)))
	return nil
}

func (r *rest) pause(w http.ResponseWriter, req *http.Request) error {
	if _, err := r.s.PauseConnector(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (r *rest) resume(w http.ResponseWriter, req *http.Request) error {
	if _, err := r.s.ResumeConnector(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (r *rest) stop(w http.ResponseWriter, req *http.Request) error {
	if _, err := r.s.StopConnector(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rawJSON embeds a stored JSON document; one that is not valid JSON goes out as a string.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	if json.Valid([]byte(s)) {
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(s)) == nil {
			return buf.Bytes()
		}
	}
	b, _ := json.Marshal(s)
	return b
}

func (r *rest) getOffsets(w http.ResponseWriter, req *http.Request) error {
	resp, err := r.s.GetOffsets(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	out := offsetsJSON{Offsets: []offsetJSON{}}
	for _, o := range resp.Offsets {
		out.Offsets = append(out.Offsets, offsetJSON{rawJSON(o.Partition), rawJSON(o.Offset)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type messageJSON struct {
	Message string `json:"message"`
}

func (r *rest) alterOffsets(w http.ResponseWriter, req *http.Request) error {
	var body struct {
		Offsets []offsetJSON `json:"offsets"`
	}
	if err := decodeBody(req, &body); err != nil {
		return err
	}
	areq := &adminv1.AlterOffsetsRequest{Name: req.PathValue("name")}
	for _, o := range body.Offsets {
		areq.Offsets = append(areq.Offsets, &adminv1.Offset{Partition: string(o.Partition), Offset: string(o.Offset)})
	}
	msg, err := r.s.AlterOffsets(req.Context(), areq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageJSON{msg.GetMessage()})
	return nil
}

func (r *rest) resetOffsets(w http.ResponseWriter, req *http.Request) error {
	msg, err := r.s.ResetOffsets(req.Context(), &adminv1.ConnectorRequest{Name: req.PathValue("name")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageJSON{msg.GetMessage()})
	return nil
}

// listPlugins lists each plugin once, by its fully qualified class name, as upstream
// does; every alias stays accepted wherever a class is configured. connectorsOnly
// defaults to true, as upstream; false adds the converters, header converters,
// transformations and predicates.
func (r *rest) listPlugins(w http.ResponseWriter, req *http.Request) error {
	only := true
	if v := req.URL.Query().Get("connectorsOnly"); v != "" {
		only = kc.IsTrue(v)
	}
	resp, err := r.s.ListPlugins(req.Context(), &adminv1.ListPluginsRequest{ConnectorsOnly: only})
	if err != nil {
		return err
	}
	out := []pluginJSON{}
	for _, p := range resp.Plugins {
		out = append(out, pluginJSON{Class: restClass(p), Type: p.Type, Version: p.Version})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	writeJSON(w, http.StatusOK, out)
	return nil
}

// workerAddr maps a node id to the worker_id Kafka Connect users know: the host:port
// its REST API is advertised at (Kafka Connect's worker id), as the node registered it.
// An id with no registered address stays as it is.
func (r *rest) workerAddr() func(string) string {
	addrs := map[string]string{}
	r.s.cfg.Store.Read(func(st *state.State) {
		for _, n := range st.Nodes() {
			if n.RestAddr != "" {
				addrs[n.Id] = n.RestAddr
			}
		}
	})
	return func(id string) string {
		if a, ok := addrs[id]; ok {
			return a
		}
		return id
	}
}

// advertised rewrites a status's worker ids as workerAddr does.
func (r *rest) advertised(st *adminv1.ConnectorStatus) *adminv1.ConnectorStatus {
	addr := r.workerAddr()
	if st.Connector != nil {
		st.Connector.WorkerId = addr(st.Connector.WorkerId)
	}
	for _, t := range st.Tasks {
		t.WorkerId = addr(t.WorkerId)
	}
	return st
}

// restClass is the class a plugin is listed by: its first fully qualified alias, else
// its name (built-ins are listed by their full class already).
func restClass(p *adminv1.PluginInfo) string {
	for _, a := range p.Aliases {
		if strings.Contains(a, ".") {
			return a
		}
	}
	return p.Class
}

func (r *rest) pluginConfig(w http.ResponseWriter, req *http.Request) error {
	resp, err := r.s.GetPluginConfig(req.Context(), &adminv1.PluginRequest{Class: req.PathValue("plugin")})
	if err != nil {
		return err
	}
	out := []configKeyJSON{}
	for _, k := range resp.Keys {
		out = append(out, keyJSON(k))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (r *rest) validate(w http.ResponseWriter, req *http.Request) error {
	cfg, err := readConfig(req, false)
	if err != nil {
		return err
	}
	plugin := req.PathValue("plugin")
	if inBody := cfg["connector.class"]; inBody != nil && *inBody != plugin {
		// As upstream: the class in the body must name the plugin in the path.
		a, errA := r.s.cfg.Plugins.Resolve(*inBody)
		b, errB := r.s.cfg.Plugins.Resolve(plugin)
		if errA == nil && errB == nil && a.GetName() != b.GetName() {
			return badRequest("Included connector type %s does not match request type %s", *inBody, plugin)
		}
	}
	infos, err := r.s.ValidateConfig(req.Context(), &adminv1.ValidateConfigRequest{Class: plugin, Config: plain(cfg)})
	if err != nil {
		return err
	}
	out := configInfosJSON{Name: infos.Name, ErrorCount: infos.ErrorCount, Groups: infos.Groups, Configs: []configInfoJSON{}}
	if out.Groups == nil {
		out.Groups = []string{}
	}
	for _, c := range infos.Configs {
		v := configValueJSON{Name: c.Value.GetName(), RecommendedValues: c.Value.GetRecommendedValues(),
			Errors: c.Value.GetErrors(), Visible: c.Value.GetVisible()}
		if c.Value.GetHasValue() {
			v.Value = ptr(c.Value.GetValue())
		}
		if v.RecommendedValues == nil {
			v.RecommendedValues = []string{}
		}
		if v.Errors == nil {
			v.Errors = []string{}
		}
		out.Configs = append(out.Configs, configInfoJSON{Definition: keyJSON(c.Definition), Value: v})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
