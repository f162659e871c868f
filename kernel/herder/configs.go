package herder

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ConnectorPlugins is what Configs needs of the plugins: a connector.class resolved to its
// plugin, and a client of that plugin.
type ConnectorPlugins interface {
	// Resolve finds the connector a connector.class names; for an unknown class the error
	// lists every available class.
	Resolve(class string) (pluginhost.Descriptor, error)
	Client(class string) (*pluginhost.Client, error)
}

// ConfigsConfig configures Configs. Store and Plugins are required.
type ConfigsConfig struct {
	// NodeID names this node in errors about plugins it does not have.
	NodeID  string
	Store   state.Store
	Plugins ConnectorPlugins
	// OverridePolicy is the worker's connector.client.config.override.policy (None,
	// Principal or All; empty is All): which producer.override.*, consumer.override.* and
	// admin.override.* keys a connector may set.
	OverridePolicy string
	// PluginTimeout bounds each call to a connector plugin (Validate, TaskConfigs), so a
	// hung plugin cannot hang a write. Zero means 30 seconds.
	PluginTimeout time.Duration
	// Logger defaults to a logger that discards.
	Logger *slog.Logger
}

// Configs writes connector configs into the replicated state, as Kafka Connect's herder
// does: an invalid config never reaches the state, and a connector's task configs are
// the plugin's split of it, made before it is written. Errors are gRPC statuses naming
// the field and the fix.
type Configs struct {
	cfg ConfigsConfig
	log *slog.Logger
}

// NewConfigs returns Configs for cfg.
func NewConfigs(cfg ConfigsConfig) *Configs {
	if cfg.PluginTimeout <= 0 {
		cfg.PluginTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Configs{cfg: cfg, log: cfg.Logger}
}

// Put is the one path by which a connector's config is written: name and class
// checked, the class resolved to a plugin, the config validated by kernel/config and by
// the plugin, the plugin asked for task configs, and only then the command applied.
// target is the state of a connector this creates; an existing one keeps its own.
func (c *Configs) Put(ctx context.Context, name string, in map[string]string, target clusterv1.TargetState, createOnly bool) (*clusterv1.Connector, bool, error) {
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	cfg := make(map[string]string, len(in)+1)
	for k, v := range in {
		cfg[k] = v
	}
	if n, ok := cfg[config.KeyName]; ok && n != name {
		return nil, false, status.Errorf(codes.InvalidArgument,
			"Connector name configuration (%s) doesn't match connector name in the URL (%s)", n, name)
	}
	cfg[config.KeyName] = name
	if err := config.CheckSize(cfg); err != nil {
		return nil, false, status.Error(codes.InvalidArgument, err.Error())
	}
	class := strings.TrimSpace(cfg[config.KeyClass])
	if class == "" {
		return nil, false, status.Errorf(codes.InvalidArgument,
			"Missing required configuration %q which has no default value.", config.KeyClass)
	}
	desc, err := c.cfg.Plugins.Resolve(class)
	if err != nil {
		return nil, false, status.Error(codes.InvalidArgument, err.Error())
	}
	var old *clusterv1.Connector
	c.cfg.Store.Read(func(st *state.State) { old = st.Connector(name) })
	if old != nil && createOnly {
		return nil, false, status.Errorf(codes.AlreadyExists, "Connector %s already exists", name)
	}
	if old != nil {
		// A config read back from the API shows secrets as [hidden]; writing it back
		// must not replace the secret with that text.
		for k, v := range cfg {
			if ov, ok := old.Config[k]; ok && v == config.Hidden && config.IsSecret(desc.ConnectorDescriptor, k) {
				cfg[k] = ov
			}
		}
	}

	errs, err := c.Validate(ctx, desc.ConnectorDescriptor, cfg)
	if err != nil {
		return nil, false, err
	}
	if len(errs) > 0 {
		lines := make([]string, len(errs))
		for i, e := range errs {
			lines[i] = e.Message
		}
		return nil, false, status.Errorf(codes.InvalidArgument,
			"Connector configuration is invalid and contains the following %d error(s):\n%s\n"+
				"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
			len(errs), strings.Join(lines, "\n"))
	}

	tasks, err := c.taskConfigs(ctx, desc.ConnectorDescriptor, cfg)
	if err != nil {
		return nil, false, err
	}
	if old != nil && old.Plugin == desc.GetName() && maps.Equal(old.Config, cfg) && sameTasks(old.Tasks, tasks) {
		// Nothing would change: writing it anyway would restart every task, and
		// re-applying the same manifest must be harmless.
		return old, false, nil
	}
	conn := &clusterv1.Connector{
		Name: name, Config: cfg, Plugin: desc.GetName(), Type: ClusterType(desc.GetType()),
		Tasks: tasks, TargetState: target,
	}
	index, err := c.cfg.Store.Apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_PutConnector{
		PutConnector: &clusterv1.PutConnector{Connector: conn, CreateOnly: createOnly}}})
	if err != nil {
		return nil, false, err
	}
	c.log.Info("connector config written", "connector", name, "plugin", desc.GetName(), "tasks", len(tasks))
	c.cfg.Store.Read(func(st *state.State) {
		if applied := st.Connector(name); applied != nil {
			conn = applied // as applied; if it is already gone, answer with what was written
		}
	})
	return conn, createOnly || conn.CreatedIndex == index, nil
}

func sameTasks(a, b []*clusterv1.TaskConfig) bool {
	return slices.EqualFunc(a, b, func(x, y *clusterv1.TaskConfig) bool { return maps.Equal(x.GetConfig(), y.GetConfig()) })
}

// checkName refuses names Kafka Connect refuses: empty, or with control characters.
func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return status.Errorf(codes.InvalidArgument, "Missing required configuration %q which has no default value.", config.KeyName)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return status.Errorf(codes.InvalidArgument, "Invalid value %q for configuration %s: must not contain control characters", name, config.KeyName)
	}
	return nil
}

// Validate checks cfg with kernel/config and with the plugin's own Validate, and returns
// the problems of both, each naming its key.
func (c *Configs) Validate(ctx context.Context, desc *pluginv1.ConnectorDescriptor, cfg map[string]string) ([]config.FieldError, error) {
	errs := config.Validate(desc, cfg)
	errs = append(errs, c.checkOverrides(cfg)...)
	client, err := c.client(desc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.PluginTimeout)
	defer cancel()
	resp, err := client.Connector.Validate(ctx, &pluginv1.ValidateRequest{
		ConnectorClass: desc.GetName(), Config: config.Effective(desc, cfg)})
	if err != nil {
		return nil, scrubErr(desc, cfg, pluginErr(desc, "Validate", err))
	}
	// The plugin (its SDK checks the same definitions) may find what kernel/config
	// found; each problem is reported once.
	seen := map[config.FieldError]bool{}
	for _, e := range errs {
		seen[e] = true
	}
	for _, e := range resp.GetErrors() {
		msg := e.GetMessage()
		if e.GetKey() != "" && !strings.Contains(msg, e.GetKey()) {
			msg = e.GetKey() + ": " + msg
		}
		fe := config.FieldError{Key: e.GetKey(), Message: scrub(desc, cfg, msg)}
		if !seen[fe] {
			seen[fe] = true
			errs = append(errs, fe)
		}
	}
	return errs, nil
}

// taskConfigs asks the plugin to split cfg (defaults applied) into at most tasks.max tasks.
func (c *Configs) taskConfigs(ctx context.Context, desc *pluginv1.ConnectorDescriptor, cfg map[string]string) ([]*clusterv1.TaskConfig, error) {
	eff := config.Effective(desc, cfg)
	max, err := config.TasksMax(eff)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	client, err := c.client(desc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.PluginTimeout)
	defer cancel()
	resp, err := client.Connector.TaskConfigs(ctx, &pluginv1.TaskConfigsRequest{
		ConnectorClass: desc.GetName(), Config: eff, MaxTasks: int32(max)})
	if err != nil {
		return nil, scrubErr(desc, cfg, pluginErr(desc, "TaskConfigs", err))
	}
	if n := len(resp.GetTasks()); n > max {
		return nil, status.Errorf(codes.Internal,
			"connector plugin %s returned %d task configs, more than tasks.max=%d; this is a bug in the plugin", desc.GetName(), n, max)
	}
	out := make([]*clusterv1.TaskConfig, len(resp.GetTasks()))
	for i, t := range resp.GetTasks() {
		out[i] = &clusterv1.TaskConfig{Config: t.GetConfig()}
	}
	return out, nil
}

// scrub replaces each secret value of cfg that msg quotes with [hidden]: a plugin may
// quote the config it refuses, and no answer or log line may carry a secret.
func scrub(desc *pluginv1.ConnectorDescriptor, cfg map[string]string, msg string) string {
	for k, v := range cfg {
		if v != "" && v != config.Hidden && config.IsSecret(desc, k) && strings.Contains(msg, v) {
			msg = strings.ReplaceAll(msg, v, config.Hidden)
		}
	}
	return msg
}

// scrubErr is scrub for a gRPC status error, keeping its code.
func scrubErr(desc *pluginv1.ConnectorDescriptor, cfg map[string]string, err error) error {
	st := status.Convert(err)
	if msg := scrub(desc, cfg, st.Message()); msg != st.Message() {
		return status.Error(st.Code(), msg)
	}
	return err
}

func (c *Configs) client(desc *pluginv1.ConnectorDescriptor) (*pluginClient, error) {
	pc, err := c.cfg.Plugins.Client(desc.GetName())
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "connector plugin %s is not available on node %s: %v", desc.GetName(), c.cfg.NodeID, err)
	}
	if pc == nil || pc.Connector == nil {
		return nil, status.Errorf(codes.Unavailable, "connector plugin %s is not available on node %s", desc.GetName(), c.cfg.NodeID)
	}
	return &pluginClient{Connector: pc.Connector}, nil
}

type pluginClient struct {
	Connector pluginv1.ConnectorClient
}

// pluginErr reports a failed plugin call. A status the plugin chose (e.g. InvalidArgument
// for a config it cannot split) keeps its code; a plugin that did not answer in time is
// DeadlineExceeded; one that cannot be reached is Unavailable.
func pluginErr(desc *pluginv1.ConnectorDescriptor, rpc string, err error) error {
	st := status.Convert(err)
	code := st.Code()
	if code == codes.Unknown {
		code = codes.Internal
	}
	if code == codes.DeadlineExceeded {
		return status.Errorf(code, "connector plugin %s did not answer %s in time", desc.GetName(), rpc)
	}
	return status.Errorf(code, "connector plugin %s: %s: %s", desc.GetName(), rpc, st.Message())
}

// ClusterType is the state's name for a plugin's connector type.
func ClusterType(t pluginv1.ConnectorType) clusterv1.ConnectorType {
	switch t {
	case pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE:
		return clusterv1.ConnectorType_CONNECTOR_TYPE_SOURCE
	case pluginv1.ConnectorType_CONNECTOR_TYPE_SINK:
		return clusterv1.ConnectorType_CONNECTOR_TYPE_SINK
	}
	return clusterv1.ConnectorType_CONNECTOR_TYPE_UNSPECIFIED
}

// checkOverrides refuses, one error per key, the client overrides the worker's policy
// forbids or Tributary cannot apply.
func (c *Configs) checkOverrides(cfg map[string]string) []config.FieldError {
	var errs []config.FieldError
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		if !strings.Contains(k, ".override.") {
			continue
		}
		if err := security.CheckOverrides(c.cfg.OverridePolicy, map[string]string{k: cfg[k]}); err != nil {
			errs = append(errs, config.FieldError{Key: k, Message: err.Error()})
		}
	}
	return errs
}
