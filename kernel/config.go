package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"gopkg.in/yaml.v3"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/runtime"
	"github.com/tributary-dev/tributary/kernel/security"
)

// Default ports, shared by the CLI, `tributary dev` and the docs.
const (
	DefaultRESTPort    = 8083
	DefaultAdminPort   = 8084
	DefaultClusterPort = 8085
	DefaultRaftPort    = 8086
	DefaultBrokerPort  = 9092
)

// Config is a node's configuration, read from YAML (`tributary agent -config FILE`); every
// key is also a command-line flag of the same name.
type Config struct {
	NodeID  string `yaml:"node_id"`
	DataDir string `yaml:"data_dir"`
	// BindAddr is the host every listener binds; AdvertiseAddr the host peers and clients
	// are told to dial (default: BindAddr, or the first non-loopback address when BindAddr
	// is 0.0.0.0).
	BindAddr      string `yaml:"bind_addr"`
	AdvertiseAddr string `yaml:"advertise_addr"`
	RESTPort      int    `yaml:"rest_port"`
	AdminPort     int    `yaml:"admin_port"`
	ClusterPort   int    `yaml:"cluster_port"`
	RaftPort      int    `yaml:"raft_port"`

	// Bootstrap starts a new single-voter cluster when the data dir holds no Raft state.
	Bootstrap bool `yaml:"bootstrap"`
	// BootstrapExpect, when > 0, forms a new cluster of that many servers with no node
	// singled out in config: every server lists the others in Join, the one whose cluster
	// address sorts first among them bootstraps, and the others join it.
	BootstrapExpect int `yaml:"bootstrap_expect"`
	// Join lists cluster addresses (host:cluster_port) of members to join through.
	Join []string `yaml:"join"`
	// Voters caps Raft voters; further servers join as non-voters (default 3).
	Voters int `yaml:"voters"`
	// LeaveOnShutdown removes the node from the cluster when it stops gracefully.
	LeaveOnShutdown bool `yaml:"leave_on_shutdown"`
	// Standalone refuses every join: the node is a one-node cluster for good (tributary
	// dev), so an agent pointed at it by mistake cannot take its tasks or its quorum.
	Standalone bool `yaml:"-"`

	PluginDir string `yaml:"plugin_dir"`
	// PluginRescanInterval is how often the plugin dir is checked for new, changed and
	// removed binaries (default 2s; 0 turns it off: only `tributary plugins reload`).
	PluginRescanInterval time.Duration `yaml:"plugin_rescan_interval"`
	// PluginChecksums pins plugin binaries: base name -> SHA-256 hex.
	PluginChecksums map[string]string `yaml:"plugin_checksums"`
	// PluginMemoryLimitMB bounds each plugin process's resident memory: a process past it
	// is killed and its tasks fail saying so (default 2048; 0 turns the limit off).
	PluginMemoryLimitMB int `yaml:"plugin_memory_limit_mb"`

	Kafka KafkaConfig `yaml:"kafka"`
	// ConnectorClientConfigOverridePolicy is Kafka Connect's
	// connector.client.config.override.policy: which producer.override.*,
	// consumer.override.* and admin.override.* keys a connector may set (None, Principal or
	// All; default All).
	ConnectorClientConfigOverridePolicy string `yaml:"connector_client_config_override_policy"`
	// Converters are the worker-level defaults (key.converter, value.converter and their
	// settings); a connector's own keys override them.
	Converters map[string]string `yaml:"converters"`
	// ConfigProvidersAllowedPaths restricts the file and dir config providers
	// (${file:path:key}, ${dir:path:key}) to files under these directories, as upstream's
	// allowed.paths; empty allows any absolute path.
	ConfigProvidersAllowedPaths []string `yaml:"config_providers_allowed_paths"`

	OffsetFlushInterval time.Duration `yaml:"offset_flush_interval"`
	HeartbeatInterval   time.Duration `yaml:"heartbeat_interval"`
	Lease               time.Duration `yaml:"lease"`
	DeadAfter           time.Duration `yaml:"dead_after"`
	LogLevel            string        `yaml:"log_level"`
	// ShutdownTimeout bounds a graceful stop (SIGTERM): tasks drain and commit within it,
	// and a node that needs longer says what it waited for (default 3s).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// SnapshotThreshold is how many Raft log entries trigger a snapshot (default 4096).
	SnapshotThreshold uint64 `yaml:"snapshot_threshold"`
	// SnapshotInterval is how often the threshold is checked (default 10s).
	SnapshotInterval time.Duration `yaml:"snapshot_interval"`
}

// KafkaConfig says how the node reaches Kafka.
type KafkaConfig struct {
	BootstrapServers []string `yaml:"bootstrap_servers"`
	ClientID         string   `yaml:"client_id"`
	// Properties are Kafka client keys named as in a Kafka Connect worker's properties
	// file: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location,
	// ssl.keystore.* (PEM), ssl.endpoint.identification.algorithm, a few tuning keys, each
	// also with a producer., consumer. or admin. prefix. Values may be config-provider
	// placeholders (${file:/path:key}, ${env:VAR}), resolved when a client is made.
	// kernel/security lists and applies them.
	Properties map[string]string `yaml:"properties"`
}

// DefaultConfig returns a config for a single node on this machine.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		NodeID:               host,
		DataDir:              "data",
		BindAddr:             "127.0.0.1",
		RESTPort:             DefaultRESTPort,
		AdminPort:            DefaultAdminPort,
		ClusterPort:          DefaultClusterPort,
		RaftPort:             DefaultRaftPort,
		Voters:               3,
		PluginDir:            "plugins",
		PluginRescanInterval: 2 * time.Second,
		PluginMemoryLimitMB:  2048,
		Kafka:                KafkaConfig{BootstrapServers: []string{"127.0.0.1:9092"}, ClientID: "tributary"},
		Converters: map[string]string{
			"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
			"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
			"value.converter.schemas.enable": "false",
		},
		OffsetFlushInterval: time.Second,
		ShutdownTimeout:     3 * time.Second,
		LogLevel:            "info",
	}
}

// LoadConfig reads a YAML config file over the defaults. Unknown keys are an error naming
// the line, so a typo never silently falls back to a default.
func LoadConfig(path string, into *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Validate checks the config and says which key to fix.
func (c *Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("node_id is empty: set node_id (or --node-id)"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty: set data_dir (or --data-dir)"))
	}
	for name, p := range map[string]int{"rest_port": c.RESTPort, "admin_port": c.AdminPort, "cluster_port": c.ClusterPort, "raft_port": c.RaftPort} {
		if p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("%s %d is not a port: use 1-65535 (0 picks a free one)", name, p))
		}
	}
	if len(c.Kafka.BootstrapServers) == 0 {
		errs = append(errs, errors.New("kafka.bootstrap_servers is empty: list at least one broker host:port"))
	}
	if err := security.CheckWorkerProperties(c.Kafka.Properties); err != nil {
		errs = append(errs, err)
	} else if _, err := security.SharedProperties(c.Kafka.Properties); err != nil {
		errs = append(errs, err)
	}
	if _, err := security.ParseOverridePolicy(c.ConnectorClientConfigOverridePolicy); err != nil {
		errs = append(errs, fmt.Errorf("connector_client_config_override_policy: %w", err))
	}
	if c.PluginMemoryLimitMB < 0 {
		errs = append(errs, fmt.Errorf("plugin_memory_limit_mb %d is negative: use a size in MiB such as 2048, or 0 for no limit", c.PluginMemoryLimitMB))
	}
	if c.PluginRescanInterval < 0 {
		errs = append(errs, fmt.Errorf("plugin_rescan_interval %s is negative: use a duration such as 2s, or 0 to rescan only on `tributary plugins reload`", c.PluginRescanInterval))
	}
	if c.Bootstrap && c.BootstrapExpect > 0 {
		errs = append(errs, errors.New("bootstrap and bootstrap_expect are exclusive: use one"))
	}
	if c.BootstrapExpect > 0 && len(c.Join) == 0 {
		errs = append(errs, errors.New("bootstrap_expect needs join: list the other servers' cluster addresses"))
	}
	if !c.Bootstrap && c.BootstrapExpect == 0 && len(c.Join) == 0 {
		errs = append(errs, errors.New("nothing to start from: set bootstrap: true for the first node, or join: [addresses] to join a cluster"))
	}
	return errors.Join(errs...)
}

func (c *Config) advertiseHost() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	if c.BindAddr != "0.0.0.0" && c.BindAddr != "" && c.BindAddr != "::" {
		return c.BindAddr
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			return ip.IP.String()
		}
	}
	return "127.0.0.1"
}

// kafkaClients returns what the runtime calls for each Kafka client's config: the
// runtime's defaults with kafka.client_id and kafka.properties applied. Placeholders in
// the properties are resolved now, so a wrong key or an unreadable secret stops the node
// from starting, and again at every call, so a rotated secret file is picked up; a call
// whose resolution fails uses the values resolved last.
func (c *Config) kafkaClients(providers config.Providers, log *slog.Logger) (func() *sarama.Config, error) {
	resolve := func() (map[string]string, error) {
		props, err := config.Resolve(c.Kafka.Properties, providers)
		if err != nil {
			return nil, fmt.Errorf("kafka.properties: %w", err)
		}
		return security.SharedProperties(props)
	}
	build := func(props map[string]string) (*sarama.Config, error) {
		sc := runtime.DefaultSaramaConfig()
		if c.Kafka.ClientID != "" {
			sc.ClientID = c.Kafka.ClientID
		}
		if err := security.Apply(sc, props); err != nil {
			return nil, fmt.Errorf("kafka.properties: %w", err)
		}
		return sc, nil
	}
	props, err := resolve()
	if err != nil {
		return nil, err
	}
	if _, err := build(props); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	return func() *sarama.Config {
		mu.Lock()
		defer mu.Unlock()
		if fresh, err := resolve(); err != nil {
			log.Warn("resolving kafka.properties failed; using the values resolved last", "err", err)
		} else if _, err := build(fresh); err != nil {
			log.Warn("kafka.properties no longer apply; using the values resolved last", "err", err)
		} else {
			props = fresh
		}
		sc, _ := build(props) // built once already: cannot fail
		return sc
	}, nil
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
