package kernel

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"gopkg.in/yaml.v3"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/kafka"
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
	// JoinKey is a shared secret a node must present to join the cluster (set the same on
	// every node); empty lets any node that reaches the cluster port (and, with tls, holds
	// a certificate from tls.ca_file) join.
	JoinKey string `yaml:"join_key"`
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

	// TLS is the node's own certificate (tributary tls cert create --server): with it the
	// admin gRPC service serves TLS, and so does the REST API unless rest.listeners says
	// http://.
	TLS TLSConfig `yaml:"tls"`
	// REST holds Kafka Connect's REST worker keys, verbatim: listeners (http://… or
	// https://…; its port, if any, must be rest_port), listeners.https.ssl.keystore.location
	// (PEM, certificate chain and key), listeners.https.ssl.keystore.certificate.chain and
	// .key, listeners.https.ssl.key.password, listeners.https.ssl.truststore.location,
	// listeners.https.ssl.client.authentication (none, requested, required),
	// access.control.allow.origin and access.control.allow.methods, and
	// rest.advertised.host.name / rest.advertised.port (the address the node's REST API is
	// known by: the worker_id of its tasks; default advertise_addr and rest_port) and
	// rest.advertised.listener (http or https, accepted as upstream takes it).
	REST map[string]string `yaml:"rest"`
	// Auth turns on authentication of the REST API and the admin gRPC service.
	Auth AuthConfig `yaml:"auth"`

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

// TLSConfig names the PEM files of a node's certificate.
type TLSConfig struct {
	// CAFile is the CA that signed the certificates of the other nodes and of clients
	// (tributary-agent-ca.pem).
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are this node's certificate and key.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// VerifyIncoming requires callers of the REST API and the admin gRPC service to present
	// a certificate signed by CAFile.
	VerifyIncoming bool `yaml:"verify_incoming"`
}

// AuthConfig says who may call the REST API and the admin gRPC service.
type AuthConfig struct {
	// CredentialsFile lists users as Kafka Connect's BasicAuthSecurityRestExtension
	// property file does (user: password,role; roles admin and read-only; bcrypt hashes
	// allowed). REST callers send Basic credentials; gRPC callers send
	// "authorization: Bearer PASSWORD" (or Basic). /health, gRPC health and reflection
	// stay open.
	CredentialsFile string `yaml:"credentials_file"`
	// Realm is the REST API's Basic realm (default "Tributary").
	Realm string `yaml:"realm"`
}

// restKeys are the REST keys Config.REST understands.
var restKeys = []string{
	"listeners", "listeners.https.ssl.keystore.location", "listeners.https.ssl.keystore.type",
	"listeners.https.ssl.keystore.certificate.chain", "listeners.https.ssl.keystore.key",
	"listeners.https.ssl.key.password", "listeners.https.ssl.truststore.location", "listeners.https.ssl.truststore.type",
	"listeners.https.ssl.client.authentication", "access.control.allow.origin", "access.control.allow.methods",
	"rest.advertised.host.name", "rest.advertised.port", "rest.advertised.listener",
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
	errs = append(errs, c.validateEndpoints()...)
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

func (c *Config) validateEndpoints() []error {
	var errs []error
	for k := range c.REST {
		if !slices.Contains(restKeys, k) {
			errs = append(errs, fmt.Errorf("rest: %s is not a REST key Tributary applies (known: %s)", k, strings.Join(restKeys, ", ")))
		}
	}
	if l := c.REST["listeners"]; l != "" {
		u, err := url.Parse(strings.TrimSpace(strings.Split(l, ",")[0]))
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
			errs = append(errs, fmt.Errorf("rest: listeners=%s: use http://host:port or https://host:port", l))
		case u.Port() != "" && u.Port() != "0" && u.Port() != strconv.Itoa(c.RESTPort):
			errs = append(errs, fmt.Errorf("rest: listeners=%s names port %s but rest_port is %d: set rest_port (or --rest-port) to the port", l, u.Port(), c.RESTPort))
		}
	}
	if p := strings.TrimSpace(c.REST["rest.advertised.port"]); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("rest: rest.advertised.port=%s: use a port number (1-65535)", p))
		}
	}
	if l := strings.ToLower(strings.TrimSpace(c.REST["rest.advertised.listener"])); l != "" && l != "http" && l != "https" {
		errs = append(errs, fmt.Errorf("rest: rest.advertised.listener=%s: use http or https", c.REST["rest.advertised.listener"]))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: cert_file and key_file go together: set both"))
	}
	if c.TLS.VerifyIncoming && c.TLS.CAFile == "" {
		errs = append(errs, errors.New("tls: verify_incoming needs ca_file"))
	}
	return errs
}

// endpointSecurity is how a node secures its REST API and admin gRPC service.
type endpointSecurity struct {
	restTLS   *tls.Config // nil: plain http
	rest      func(http.Handler) http.Handler
	adminOpts []grpc.ServerOption
}

// endpoints reads the certificates and credentials file the config names.
func (c *Config) endpoints() (endpointSecurity, error) {
	es := endpointSecurity{rest: func(h http.Handler) http.Handler { return h }}
	var creds *security.Credentials
	if c.Auth.CredentialsFile != "" {
		var err error
		if creds, err = security.LoadCredentials(c.Auth.CredentialsFile); err != nil {
			return es, fmt.Errorf("auth.credentials_file: %w", err)
		}
	}
	incoming := tls.NoClientCert
	if c.TLS.VerifyIncoming {
		incoming = tls.RequireAndVerifyClientCert
	}
	if c.TLS.CertFile != "" {
		adminTLS, err := security.ServerTLS(c.TLS.CertFile, c.TLS.KeyFile, c.TLS.CAFile, incoming)
		if err != nil {
			return es, fmt.Errorf("tls: %w", err)
		}
		es.adminOpts = append(es.adminOpts, grpc.Creds(credentials.NewTLS(adminTLS)))
	}
	if creds != nil {
		a := &security.GRPCAuth{Credentials: creds}
		es.adminOpts = append(es.adminOpts, grpc.ChainUnaryInterceptor(a.UnaryInterceptor()), grpc.ChainStreamInterceptor(a.StreamInterceptor()))
	}

	if c.RESTScheme() == "https" {
		var err error
		if es.restTLS, err = c.restTLS(incoming); err != nil {
			return es, err
		}
	}
	auth := func(h http.Handler) http.Handler { return h }
	if creds != nil {
		auth = (&security.BasicAuth{Credentials: creds, Realm: c.Auth.Realm}).Handler
	}
	origin, methods := c.REST["access.control.allow.origin"], c.REST["access.control.allow.methods"]
	es.rest = func(h http.Handler) http.Handler { return security.CORS(origin, methods, auth(h)) }
	return es, nil
}

// RESTScheme is how the REST API is served: "https" when rest.listeners says so, or when
// the node has a certificate and rest.listeners does not say http; else "http".
func (c *Config) RESTScheme() string {
	listeners := strings.ToLower(strings.TrimSpace(c.REST["listeners"]))
	if strings.HasPrefix(listeners, "https://") || (listeners == "" && c.TLS.CertFile != "") {
		return "https"
	}
	return "http"
}

// restTLS is the REST listener's TLS config: listeners.https.ssl.* when given, else the
// node's certificate.
func (c *Config) restTLS(incoming tls.ClientAuthType) (*tls.Config, error) {
	const p = "listeners.https."
	props := map[string]string{}
	for k, v := range c.REST {
		if after, ok := strings.CutPrefix(k, p); ok {
			props[after] = v
		}
	}
	switch strings.ToLower(props["ssl.client.authentication"]) {
	case "":
	case "none":
		incoming = tls.NoClientCert
	case "requested":
		incoming = tls.VerifyClientCertIfGiven
	case "required":
		incoming = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("rest: %sssl.client.authentication=%s: use none, requested or required", p, props["ssl.client.authentication"])
	}
	caFile := c.TLS.CAFile
	if loc := props[security.KeyTruststoreLocation]; loc != "" {
		caFile = loc
	}
	if props[security.KeyKeystoreLocation] == "" && props[security.KeyKeystoreChain] == "" {
		if c.TLS.CertFile == "" {
			return nil, fmt.Errorf("rest: https needs a certificate: set %sssl.keystore.location (PEM) or tls.cert_file", p)
		}
		return security.ServerTLS(c.TLS.CertFile, c.TLS.KeyFile, caFile, incoming)
	}
	// Kafka's keystore keys, read as a Kafka client's are; only the certificate is used.
	kt, err := security.KafkaTLSConfig(map[string]string{
		security.KeyKeystoreLocation: props[security.KeyKeystoreLocation], security.KeyKeystoreType: props[security.KeyKeystoreType],
		security.KeyKeystoreChain: props[security.KeyKeystoreChain], security.KeyKeystoreKey: props[security.KeyKeystoreKey],
		security.KeyKeyPassword: props[security.KeyKeyPassword],
	})
	if err != nil {
		return nil, fmt.Errorf("rest: %s", strings.ReplaceAll(err.Error(), "ssl.", p+"ssl."))
	}
	cfg := &tls.Config{Certificates: kt.Certificates, MinVersion: tls.VersionTLS12, ClientAuth: incoming}
	if incoming != tls.NoClientCert {
		if caFile == "" {
			return nil, fmt.Errorf("rest: checking client certificates needs %sssl.truststore.location or tls.ca_file", p)
		}
		if cfg.ClientCAs, err = security.CertPool(caFile); err != nil {
			return nil, fmt.Errorf("rest: %w", err)
		}
	}
	return cfg, nil
}

// clusterTLS is the mutual TLS of the cluster gRPC service and the Raft transport: on
// when the node has a certificate and a CA. Peers are checked against the CA and must
// carry security.ServerName, as certificates from `tributary tls cert create --server` do.
func (c *Config) clusterTLS() (server, client *tls.Config, err error) {
	if c.TLS.CertFile == "" || c.TLS.CAFile == "" {
		return nil, nil, nil
	}
	if server, err = security.ServerTLS(c.TLS.CertFile, c.TLS.KeyFile, c.TLS.CAFile, tls.RequireAndVerifyClientCert); err != nil {
		return nil, nil, fmt.Errorf("tls: %w", err)
	}
	client = &tls.Config{Certificates: server.Certificates, RootCAs: server.ClientCAs, ServerName: security.ServerName, MinVersion: tls.VersionTLS12}
	return server, client, nil
}

// adminClientCreds are the transport credentials a node uses to call another node's
// admin service: TLS with its own certificate and the CA when it has a certificate.
func (c *Config) adminClientCreds() (credentials.TransportCredentials, error) {
	if c.TLS.CertFile == "" {
		return insecure.NewCredentials(), nil
	}
	pair, err := tls.LoadX509KeyPair(c.TLS.CertFile, c.TLS.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, ServerName: security.ServerName}
	if c.TLS.CAFile != "" {
		if cfg.RootCAs, err = security.CertPool(c.TLS.CAFile); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	return credentials.NewTLS(cfg), nil
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
		sc := kafka.DefaultConfig()
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

// clientOverrides returns what the runtime calls to fit one Kafka client of a task to its
// connector: the worker's keys for that client (kafka.properties, bare and with the
// client's prefix) with the connector's producer.override.*, consumer.override.* or
// admin.override.* keys on top. The policy (connector_client_config_override_policy) was
// checked when the connector's config was written.
func (c *Config) clientOverrides(providers config.Providers) func(sc *sarama.Config, client string, connectorConfig map[string]string) error {
	return func(sc *sarama.Config, client string, connectorConfig map[string]string) error {
		worker, err := config.Resolve(c.Kafka.Properties, providers)
		if err != nil {
			return fmt.Errorf("kafka.properties: %w", err)
		}
		return security.ApplyOverrides(sc, security.Client(client), worker, connectorConfig)
	}
}

// restAdvertised is the address the node's REST API is known by: rest.advertised.host.name
// and rest.advertised.port where set, else host and the port it listens on.
func (c *Config) restAdvertised(host string, port int) string {
	if h := strings.TrimSpace(c.REST["rest.advertised.host.name"]); h != "" {
		host = h
	}
	if p := strings.TrimSpace(c.REST["rest.advertised.port"]); p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			port = n
		}
	}
	return hostPort(host, port)
}
