package conformance

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one check, for one connector class when the check is one.
type Result struct {
	Check  string `json:"check"`
	Class  string `json:"class,omitempty"`
	Status Status `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// Options say what to test. The zero value tests the plugin's only connector with an
// empty config and a 10 s bound on each call.
type Options struct {
	// Class names the connector to test (its name or an alias). When empty, the config's
	// connector.class, else the plugin's only connector, else every connector for which
	// Config validates.
	Class string
	// Config is the connector config the checks open tasks with.
	Config map[string]string
	// Timeout bounds the plugin's start, each call and its exit after SIGTERM.
	Timeout time.Duration
	// Log receives go-plugin's and the plugin's log lines; nil discards them.
	Log io.Writer
}

// Failed reports whether any of results failed.
func Failed(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Status == Fail })
}

// idlePoll is the poll timeout of the idle check; a poll may take idleBound.
const (
	idlePoll  = 500 * time.Millisecond
	idleBound = 5*idlePoll + 2*time.Second
)

// run is one run of the kit against one plugin process.
type run struct {
	ctx     context.Context
	opts    Options
	c       *protocol.Clients
	class   string
	handles int
	results []Result
}

func (r *run) add(check string, st Status, format string, args ...any) bool {
	r.results = append(r.results, Result{Check: check, Class: r.class, Status: st, Detail: fmt.Sprintf(format, args...)})
	return st != Fail
}

// check records pass with detail when err is nil, else fail with err.
func (r *run) check(name string, err error, format string, args ...any) bool {
	if err != nil {
		return r.add(name, Fail, "%v", err)
	}
	return r.add(name, Pass, format, args...)
}

// call returns the context of one call to the plugin.
func (r *run) call(extra time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.ctx, r.opts.Timeout+extra)
}

func (r *run) handle() string {
	r.handles++
	return "conformance-" + strconv.Itoa(r.handles)
}

// Run launches binary as the kernel would, runs the checks and stops the process. It
// returns the results in the order the checks ran; a failed handshake ends the run.
func Run(ctx context.Context, binary string, opts Options) []Result {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	r := &run{ctx: ctx, opts: opts}
	cmd := exec.Command(binary)
	// The plugin's Unix socket goes in a directory of this run's, removed at the end: the
	// SIGTERM check ends the process before it can remove the socket itself.
	if sockDir, err := os.MkdirTemp("", "tributary-plugins-test-"); err == nil {
		defer os.RemoveAll(sockDir)
		cmd.Env = append(cmd.Env, plugin.EnvUnixSocketDir+"="+sockDir)
	}
	cc := protocol.NewClientConfig(cmd)
	cc.StartTimeout = opts.Timeout
	cc.Logger = hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: opts.Log, Level: hclog.Info})
	cc.SyncStdout, cc.SyncStderr = opts.Log, opts.Log
	gp := plugin.NewClient(cc)
	defer gp.Kill()
	rpc, err := gp.Client()
	if err == nil {
		var raw any
		if raw, err = rpc.Dispense(protocol.PluginName); err == nil {
			var ok bool
			if r.c, ok = raw.(*protocol.Clients); !ok {
				err = fmt.Errorf("dispensed %T, want *protocol.Clients", raw)
			}
		}
	}
	if !r.check("handshake", err, "protocol version %d over gRPC", gp.NegotiatedVersion()) {
		return r.results
	}
	r.health()
	for _, d := range r.describe() {
		r.class = d.GetName()
		r.connector(d)
		r.class = ""
	}
	r.shutdown(cmd)
	return r.results
}

// health asks the gRPC health service go-plugin serves under the name "plugin".
func (r *run) health() {
	ctx, cancel := r.call(0)
	defer cancel()
	resp, err := healthpb.NewHealthClient(r.c.Conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "plugin"})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("health of service \"plugin\" is %s, want SERVING", resp.GetStatus())
	}
	r.check("health", err, "SERVING")
}

// describe checks Describe and returns the connectors to test.
func (r *run) describe() []*pluginv1.ConnectorDescriptor {
	ctx, cancel := r.call(0)
	defer cancel()
	resp, err := r.c.Plugin.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil {
		r.add("describe", Fail, "%v", err)
		return nil
	}
	conns := resp.GetConnectors()
	var names []string
	for _, d := range conns {
		if d.GetName() == "" || (d.GetType() != pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE && d.GetType() != pluginv1.ConnectorType_CONNECTOR_TYPE_SINK) {
			r.add("describe", Fail, "connector %q has type %s; every connector needs a name and the type SOURCE or SINK", d.GetName(), d.GetType())
			return nil
		}
		names = append(names, d.GetName())
	}
	if len(conns) == 0 {
		r.add("describe", Fail, "the plugin describes no connectors")
		return nil
	}
	served := strings.Join(names, ", ")
	want := cmp.Or(r.opts.Class, r.opts.Config["connector.class"])
	var picked []*pluginv1.ConnectorDescriptor
	for _, d := range conns {
		switch {
		case want != "":
			if d.GetName() == want || slices.Contains(d.GetAliases(), want) {
				picked = append(picked, d)
			}
		case len(conns) == 1:
			picked = conns
		default:
			if errs, err := r.validate(d, r.opts.Config); err == nil && len(errs) == 0 {
				picked = append(picked, d)
			}
		}
		if len(picked) > 0 && want != "" {
			break
		}
	}
	switch {
	case len(picked) == 0 && want != "":
		r.add("describe", Fail, "the plugin has no connector %q; it serves: %s", want, served)
	case len(picked) == 0:
		r.add("describe", Fail, "the config validates for none of the plugin's connectors (%s); name one with --class", served)
	default:
		r.add("describe", Pass, "serves %s", served)
	}
	return picked
}

func (r *run) validate(d *pluginv1.ConnectorDescriptor, cfg map[string]string) ([]*pluginv1.ConfigError, error) {
	ctx, cancel := r.call(0)
	defer cancel()
	resp, err := r.c.Connector.Validate(ctx, &pluginv1.ValidateRequest{ConnectorClass: d.GetName(), Config: cfg})
	return resp.GetErrors(), err
}

// connector runs the checks of one connector class.
func (r *run) connector(d *pluginv1.ConnectorDescriptor) {
	cfg := config.Effective(d, r.opts.Config)
	errs, err := r.validate(d, cfg)
	if err == nil && len(errs) > 0 {
		err = fmt.Errorf("the given config does not validate: %s", configErrors(errs))
	}
	good := r.check("validate.good", err, "the given config validates")
	r.validateBad(d, cfg)
	if !good {
		return
	}
	task := r.taskConfigs(d, cfg)
	if task == nil {
		return
	}
	if d.GetType() == pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE {
		r.source(d, task)
	} else {
		r.sink(d, task)
	}
}

func configErrors(errs []*pluginv1.ConfigError) string {
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.GetKey()+": "+e.GetMessage())
	}
	return strings.Join(msgs, "; ")
}

// validateBad removes the first required key the config sets and gives the first typed
// key a value of the wrong type; each must yield an error that names the key.
func (r *run) validateBad(d *pluginv1.ConnectorDescriptor, cfg map[string]string) {
	var tried []string
	try := func(key, what string, bad map[string]string) bool {
		errs, err := r.validate(d, bad)
		if err != nil {
			return r.add("validate.bad", Fail, "%s: %v", what, err)
		}
		for _, e := range errs {
			if e.GetKey() == key || strings.Contains(e.GetMessage(), key) {
				tried = append(tried, fmt.Sprintf("%s: %q", what, e.GetMessage()))
				return true
			}
		}
		if len(errs) == 0 {
			return r.add("validate.bad", Fail, "%s validates", what)
		}
		return r.add("validate.bad", Fail, "%s: no error names %q: %s", what, key, configErrors(errs))
	}
	for _, k := range d.GetConfig() {
		if _, set := cfg[k.GetName()]; k.GetRequired() && !k.GetHasDefault() && set {
			bad := maps.Clone(cfg)
			delete(bad, k.GetName())
			if !try(k.GetName(), "without required "+k.GetName(), bad) {
				return
			}
			break
		}
	}
	wrong := map[pluginv1.ConfigKey_Type]string{pluginv1.ConfigKey_TYPE_INT: "not-a-number", pluginv1.ConfigKey_TYPE_LONG: "not-a-number",
		pluginv1.ConfigKey_TYPE_DOUBLE: "not-a-number", pluginv1.ConfigKey_TYPE_BOOLEAN: "maybe"}
	for _, k := range d.GetConfig() {
		if v, ok := wrong[k.GetType()]; ok {
			bad := maps.Clone(cfg)
			bad[k.GetName()] = v
			if !try(k.GetName(), fmt.Sprintf("%s=%s", k.GetName(), v), bad) {
				return
			}
			break
		}
	}
	if len(tried) == 0 {
		r.add("validate.bad", Skip, "no required key in the config and no typed key to give a wrong value")
		return
	}
	r.add("validate.bad", Pass, "%s", strings.Join(tried, "; "))
}

// taskConfigs checks TaskConfigs with tasks.max 1 and 3 and returns the config of the
// first task for tasks.max=1 (the connector config when the plugin yields none).
func (r *run) taskConfigs(d *pluginv1.ConnectorDescriptor, cfg map[string]string) map[string]string {
	var task map[string]string
	var got []string
	for _, max := range []int32{1, 3} {
		c := maps.Clone(cfg)
		c["tasks.max"] = strconv.Itoa(int(max))
		ctx, cancel := r.call(0)
		resp, err := r.c.Connector.TaskConfigs(ctx, &pluginv1.TaskConfigsRequest{ConnectorClass: d.GetName(), Config: c, MaxTasks: max})
		cancel()
		if err != nil {
			r.add("task-configs.max", Fail, "tasks.max=%d: %v", max, err)
			return nil
		}
		n := len(resp.GetTasks())
		if n > int(max) {
			r.add("task-configs.max", Fail, "tasks.max=%d: %d task configs", max, n)
			return nil
		}
		got = append(got, fmt.Sprintf("tasks.max=%d: %d", max, n))
		if task == nil {
			task = c
			if n > 0 && len(resp.GetTasks()[0].GetConfig()) > 0 {
				task = resp.GetTasks()[0].GetConfig()
			}
		}
	}
	r.add("task-configs.max", Pass, "%s", strings.Join(got, ", "))
	return task
}

// shutdown sends SIGTERM and waits for the process to exit.
func (r *run) shutdown(cmd *exec.Cmd) {
	if cmd.Process == nil || r.c.Done() == nil {
		r.add("shutdown", Skip, "the plugin's process is not known")
		return
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.add("shutdown", Fail, "SIGTERM: %v", err)
		return
	}
	select {
	case <-r.c.Done():
		r.add("shutdown", Pass, "exited %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(r.opts.Timeout):
		r.add("shutdown", Fail, "still running %s after SIGTERM", r.opts.Timeout)
	}
}
