package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tributary-dev/tributary/kernel"
	"github.com/tributary-dev/tributary/kernel/logging"
)

func init() { register(newAgentCmd) }

func newAgentCmd() *cobra.Command {
	cfg := kernel.DefaultConfig()
	var file string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a kernel node against an external Kafka cluster",
		Long: `Run one Tributary kernel node. Settings come from the YAML file given with -config,
and every key can also be given (and overridden) as a flag of the same name:
  tributary agent -config /etc/tributary/agent.yaml --node-id node1`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC(cmd.Context())
			if file != "" {
				fileCfg := kernel.DefaultConfig()
				if err := kernel.LoadConfig(file, &fileCfg); err != nil {
					return err
				}
				// Flags given on the command line win over the file.
				overlay := cfg
				cfg = fileCfg
				cmd.Flags().Visit(func(f *pflag.Flag) { copyFlag(f.Name, &cfg, &overlay) })
			}
			return runNode(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "config", "c", "", "YAML config file")
	addNodeFlags(f, &cfg)
	return cmd
}

// addNodeFlags binds a flag to every config key, named as in the YAML with dashes.
func addNodeFlags(f *pflag.FlagSet, cfg *kernel.Config) {
	f.StringVar(&cfg.NodeID, "node-id", cfg.NodeID, "unique node id")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for Raft log and snapshots")
	f.StringVar(&cfg.BindAddr, "bind-addr", cfg.BindAddr, "host every listener binds (0.0.0.0 for all)")
	f.StringVar(&cfg.AdvertiseAddr, "advertise-addr", cfg.AdvertiseAddr, "host peers and clients dial")
	f.IntVar(&cfg.RESTPort, "rest-port", cfg.RESTPort, "Kafka Connect REST API port")
	f.IntVar(&cfg.AdminPort, "admin-port", cfg.AdminPort, "admin gRPC port")
	f.IntVar(&cfg.ClusterPort, "cluster-port", cfg.ClusterPort, "cluster gRPC port")
	f.IntVar(&cfg.RaftPort, "raft-port", cfg.RaftPort, "Raft transport port")
	f.BoolVar(&cfg.Bootstrap, "bootstrap", cfg.Bootstrap, "start a new cluster with this node as its first voter")
	f.IntVar(&cfg.BootstrapExpect, "bootstrap-expect", cfg.BootstrapExpect, "form a new cluster of this many servers listed in --join")
	f.StringSliceVar(&cfg.Join, "join", cfg.Join, "cluster addresses (host:cluster-port) to join through")
	f.StringVar(&cfg.JoinKey, "join-key", cfg.JoinKey, "shared secret a node must present to join the cluster (the same on every node)")
	f.StringVar(&cfg.TLS.CAFile, "tls-ca-file", cfg.TLS.CAFile, "CA (PEM) that signed the nodes' and clients' certificates")
	f.StringVar(&cfg.TLS.CertFile, "tls-cert-file", cfg.TLS.CertFile, "this node's certificate (PEM): TLS for admin gRPC and REST, mutual TLS between nodes with --tls-ca-file")
	f.StringVar(&cfg.TLS.KeyFile, "tls-key-file", cfg.TLS.KeyFile, "this node's key (PEM)")
	f.BoolVar(&cfg.TLS.VerifyIncoming, "tls-verify-incoming", cfg.TLS.VerifyIncoming, "require REST and admin gRPC callers to present a certificate from --tls-ca-file")
	f.StringVar(&cfg.Auth.CredentialsFile, "auth-credentials-file", cfg.Auth.CredentialsFile, "users of the REST API and admin gRPC (user: password,role; roles admin, read-only)")
	f.IntVar(&cfg.Voters, "voters", cfg.Voters, "maximum Raft voters; further servers join as non-voters")
	f.BoolVar(&cfg.LeaveOnShutdown, "leave-on-shutdown", cfg.LeaveOnShutdown, "leave the cluster on a graceful stop")
	f.StringVar(&cfg.PluginDir, "plugin-dir", cfg.PluginDir, "directory of plugin binaries (tributary-*)")
	f.IntVar(&cfg.PluginMemoryLimitMB, "plugin-memory-limit-mb", cfg.PluginMemoryLimitMB, "kill a plugin process whose resident memory passes this many MiB, failing its tasks (0: no limit)")
	f.DurationVar(&cfg.PluginRescanInterval, "plugin-rescan-interval", cfg.PluginRescanInterval,
		"how often the plugin dir is checked for new, changed and removed binaries (0: only on `tributary plugins reload`)")
	f.StringSliceVar(&cfg.Kafka.BootstrapServers, "kafka-bootstrap-servers", cfg.Kafka.BootstrapServers, "Kafka brokers")
	f.StringVar(&cfg.Kafka.ClientID, "kafka-client-id", cfg.Kafka.ClientID, "Kafka client id")
	f.Var(&propertyFlag{m: &cfg.Kafka.Properties}, "kafka-property",
		"a Kafka client key as in a Kafka Connect worker's properties, KEY=VALUE (repeat it): security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location, …")
	f.StringVar(&cfg.ConnectorClientConfigOverridePolicy, "connector-client-config-override-policy", cfg.ConnectorClientConfigOverridePolicy,
		"which *.override.* client keys connectors may set: None, Principal or All (default All)")
	f.DurationVar(&cfg.OffsetFlushInterval, "offset-flush-interval", cfg.OffsetFlushInterval, "how often task offsets are committed")
	f.DurationVar(&cfg.HeartbeatInterval, "heartbeat-interval", cfg.HeartbeatInterval, "node heartbeat interval (default 300ms)")
	f.DurationVar(&cfg.Lease, "lease", cfg.Lease, "how long a node runs tasks without reaching the leader (default 1.5s)")
	f.DurationVar(&cfg.DeadAfter, "dead-after", cfg.DeadAfter, "how long the leader waits before moving a silent node's tasks (default 2.5s)")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "how long a graceful stop lets tasks drain and commit")
	f.StringSliceVar(&cfg.ConfigProvidersAllowedPaths, "config-providers-allowed-paths", cfg.ConfigProvidersAllowedPaths, "directories ${file:} and ${dir:} placeholders may read (default: any)")
	f.Uint64Var(&cfg.SnapshotThreshold, "snapshot-threshold", cfg.SnapshotThreshold, "Raft log entries that trigger a snapshot (default 4096)")
	f.DurationVar(&cfg.SnapshotInterval, "snapshot-interval", cfg.SnapshotInterval, "how often the snapshot threshold is checked (default 10s)")
}

// copyFlag copies the config field behind one flag from src to dst.
func copyFlag(name string, dst, src *kernel.Config) {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	addNodeFlags(fs, src)
	f := fs.Lookup(name)
	if f == nil {
		return
	}
	if p, ok := f.Value.(*propertyFlag); ok {
		// Given on the command line: these keys win over the file's, the others stay.
		if dst.Kafka.Properties == nil {
			dst.Kafka.Properties = map[string]string{}
		}
		for k, v := range *p.m {
			dst.Kafka.Properties[k] = v
		}
		return
	}
	d := pflag.NewFlagSet("", pflag.ContinueOnError)
	addNodeFlags(d, dst)
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		d.Lookup(name).Value.(pflag.SliceValue).Replace(sv.GetSlice())
		return
	}
	d.Set(name, f.Value.String())
}

// propertyFlag collects repeated KEY=VALUE flags into a map, splitting at the first '='
// only, so values such as a sasl.jaas.config keep their own '=' and quotes.
type propertyFlag struct{ m *map[string]string }

func (p *propertyFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: use KEY=VALUE", s)
	}
	if *p.m == nil {
		*p.m = map[string]string{}
	}
	(*p.m)[k] = v
	return nil
}

func (p *propertyFlag) String() string {
	if p.m == nil || len(*p.m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(*p.m))
	for k := range *p.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",") // keys only: values may be secrets
}

func (p *propertyFlag) Type() string { return "KEY=VALUE" }

// newLogger returns the node's logger: text to stderr, every kernel package and plugin a
// named logger (kernel/logging) starting at level, each changeable while the node runs
// through /admin/loggers.
func newLogger(level string) *slog.Logger {
	l, err := logging.ParseLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	base := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logging.LevelTrace, ReplaceAttr: traceName})
	return slog.New(logging.NewHandler(base, logging.NewLevels(l)))
}

// traceName writes the level below DEBUG as TRACE, not slog's "DEBUG-4".
func traceName(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok && l < slog.LevelDebug {
			a.Value = slog.StringValue("TRACE")
		}
	}
	return a
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func runNode(parent context.Context, cfg kernel.Config) error {
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	if !filepath.IsAbs(cfg.PluginDir) {
		if abs, err := filepath.Abs(cfg.PluginDir); err == nil {
			cfg.PluginDir = abs
		}
	}
	node, err := kernel.New(cfg, log)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	ctx, cancel := signalContext(parent)
	defer cancel()
	go func() {
		select {
		case <-node.Ready():
			a := node.Addrs()
			fmt.Printf("tributary node %s ready: rest %s://%s admin %s cluster %s raft %s\n", cfg.NodeID, cfg.RESTScheme(), a.REST, a.Admin, a.Cluster, a.Raft)
		case <-ctx.Done():
		}
	}()
	return node.Run(ctx)
}

// defaultPluginDir is the plugins directory beside the running binary (bin/plugins).
func defaultPluginDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "plugins"
	}
	return filepath.Join(filepath.Dir(exe), "plugins")
}
