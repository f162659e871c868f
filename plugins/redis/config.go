package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// The keys of Redis Inc's connector (com.redis.kafka.connect.RedisSinkConnector), named as
// its RedisConfigDef and RedisSinkConfigDef. redis.command and redis.key are the names
// its releases before 0.9 used for what redis.type and redis.keyspace are now.
const (
	keyURI          = "redis.uri"
	keyHost         = "redis.host"
	keyPort         = "redis.port"
	keyCluster      = "redis.cluster"
	keyTLS          = "redis.tls"
	keyInsecure     = "redis.insecure"
	keyUsername     = "redis.username"
	keyPassword     = "redis.password"
	keyTimeout      = "redis.timeout"
	keyPool         = "redis.pool"
	keyKeyFile      = "redis.key.file"
	keyKeyCert      = "redis.key.cert"
	keyKeyPassword  = "redis.key.password"
	keyCACert       = "redis.cacert"
	keyCharset      = "redis.charset"
	keyType         = "redis.type"
	keyCommand      = "redis.command"
	keyKeyspace     = "redis.keyspace"
	keyKeyOld       = "redis.key"
	keySeparator    = "redis.separator"
	keyMultiExec    = "redis.multiexec"
	keyWaitReplicas = "redis.wait.replicas"
	keyWaitTimeout  = "redis.wait.timeout"
	keyTTL          = "redis.key.ttl"
	keyTopics       = "topics"
	keyTopicsRegex  = "topics.regex"
)

// The keys of jcustenborder's connector
// (com.github.jcustenborder.kafka.connect.redis.RedisSinkConnector), named as its
// RedisConnectorConfig and RedisSinkConnectorConfig. redis.password and redis.charset are
// shared with the keys above.
const (
	keyHosts             = "redis.hosts"
	keyClientMode        = "redis.client.mode"
	keyDatabase          = "redis.database"
	keySSLEnabled        = "redis.ssl.enabled"
	keySSLProvider       = "redis.ssl.provider"
	keyKeystorePath      = "redis.ssl.keystore.path"
	keyKeystorePassword  = "redis.ssl.keystore.password"
	keyTruststorePath    = "redis.ssl.truststore.path"
	keyTruststorePasswd  = "redis.ssl.truststore.password"
	keyAutoReconnect     = "redis.auto.reconnect.enabled"
	keyRequestQueueSize  = "redis.request.queue.size"
	keyTCPNoDelay        = "redis.socket.tcp.no.delay.enabled"
	keyKeepAlive         = "redis.socket.keep.alive.enabled"
	keyConnectTimeoutMs  = "redis.socket.connect.timeout.ms"
	keyConnectAttempts   = "redis.connection.attempts"
	keyConnectRetryDelay = "redis.connection.retry.delay.ms"
	keyOperationTimeout  = "redis.operation.timeout.ms"
)

// kind is what a record becomes in Redis.
type kind int

// The kinds, one per redis.type (and redis.command).
const (
	kindStream     kind = iota // XADD <keyspace> * field value …
	kindHash                   // HSET <keyspace>:<key> field value …
	kindString                 // SET <keyspace>:<key> value
	kindJSON                   // JSON.SET <keyspace>:<key> $ value
	kindTimeSeries             // TS.ADD <keyspace> <key as ms> <value>
	kindList                   // RPUSH (LPUSH) <keyspace> <key>
	kindSet                    // SADD <keyspace> <key>
	kindZSet                   // ZADD <keyspace> <value as score> <key>
	kindDel                    // DEL <keyspace>:<key>, for every record (redis.command=DEL)
)

// types maps redis.type's values to kinds; commands maps redis.command's.
var (
	types = map[string]kind{
		"STREAM": kindStream, "HASH": kindHash, "STRING": kindString, "JSON": kindJSON,
		"TIMESERIES": kindTimeSeries, "LIST": kindList, "SET": kindSet, "ZSET": kindZSet,
	}
	commands = map[string]kind{
		"XADD": kindStream, "HSET": kindHash, "SET": kindString, "JSONSET": kindJSON, "TSADD": kindTimeSeries,
		"RPUSH": kindList, "LPUSH": kindList, "SADD": kindSet, "ZADD": kindZSet, "DEL": kindDel,
	}
)

func (k kind) String() string {
	for name, v := range types {
		if v == k {
			return name
		}
	}
	return "DEL"
}

// collection reports whether records of kind k all go to one key, the keyspace, rather
// than to one key per record key.
func (k kind) collection() bool {
	switch k {
	case kindStream, kindTimeSeries, kindList, kindSet, kindZSet:
		return true
	}
	return false
}

// Upstream's defaults.
const (
	defaultKeyspace = "${topic}"
	topicToken      = "${topic}"
)

// redisDef is the config definition of Redis Inc's connector.
func redisDef() *sdk.ConfigDef {
	const conn, write = "Connection", "Writes"
	g := sdk.Group
	return new(sdk.ConfigDef).
		Define(keyURI, sdk.TypeString, sdk.High, "URI of the Redis database, e.g. `redis://user:pass@redis-12000.example.com:12000/0`; `rediss://` for TLS. Credentials, database and TLS may all be in the URI (Lettuce's syntax: query parameters `timeout`, `database`, `clientName`, `verifyPeer`). Empty: redis.host and redis.port.",
			sdk.Default(""), sdk.Secret(), g(conn), sdk.DisplayName("Redis URI")).
		Define(keyHost, sdk.TypeString, sdk.High, "The Redis host to connect to, when redis.uri is empty.",
			sdk.Default("localhost"), g(conn)).
		Define(keyPort, sdk.TypeInt, sdk.High, "The Redis port to connect to, when redis.uri is empty.",
			sdk.Default("6379"), g(conn), sdk.AtLeast(1), atMost(65535)).
		Define(keyCluster, sdk.TypeBoolean, sdk.Medium, "Connect to a Redis Cluster database (the URI's host is a seed node).",
			sdk.Default("false"), g(conn)).
		Define(keyTLS, sdk.TypeBoolean, sdk.Medium, "Establish a secure TLS connection (as a `rediss://` URI does).",
			sdk.Default("false"), g(conn)).
		Define(keyInsecure, sdk.TypeBoolean, sdk.Medium, "Allow insecure TLS connections: the server's certificate is not verified.",
			sdk.Default("false"), g(conn)).
		Define(keyUsername, sdk.TypeString, sdk.Medium, "Username to authenticate with (ACL); used with redis.password. Overrides the URI's.",
			sdk.Default(""), g(conn)).
		Define(keyPassword, sdk.TypePassword, sdk.Medium, "Password to authenticate with. Overrides the URI's.",
			sdk.Default(""), g(conn)).
		Define(keyTimeout, sdk.TypeLong, sdk.Medium, "Redis command timeout in seconds: how long one pipeline may wait for its replies, and how long a Put keeps retrying through a connection loss before it reports the batch as retriable.",
			sdk.Default("60"), g(conn), sdk.AtLeast(1)).
		Define(keyPool, sdk.TypeInt, sdk.Medium, "Max pool connections.",
			sdk.Default("8"), g(conn), sdk.AtLeast(1)).
		Define(keyKeyFile, sdk.TypeString, sdk.Medium, "PKCS#8 (or PKCS#1/EC) private key file, PEM, to authenticate with over TLS (with redis.key.cert).",
			sdk.Default(""), g(conn)).
		Define(keyKeyCert, sdk.TypeString, sdk.Medium, "X.509 certificate chain file, PEM, to authenticate with over TLS (with redis.key.file).",
			sdk.Default(""), g(conn)).
		Define(keyKeyPassword, sdk.TypePassword, sdk.Medium, "Password of the private key file. Encrypted keys are not supported: it must be empty.",
			sdk.Default(""), g(conn)).
		Define(keyCACert, sdk.TypeString, sdk.Medium, "X.509 CA certificate file, PEM, to verify the server with (else the system's).",
			sdk.Default(""), g(conn)).
		Define(keyCharset, sdk.TypeString, sdk.High, "Character set to encode Redis key and value strings. Only UTF-8 is supported.",
			sdk.Default("UTF-8"), g(write), sdk.Check(checkCharset)).
		Define(keyType, sdk.TypeString, sdk.High, "Destination data structure: STREAM (default), HASH, STRING, JSON, TIMESERIES, LIST, SET or ZSET.",
			g(write), sdk.OneOf(sortedKeys(types)...)).
		Define(keyCommand, sdk.TypeString, sdk.Medium, "The Redis command, as releases before 0.9 named the destination: XADD, HSET, SET, JSONSET, TSADD, RPUSH, LPUSH, SADD, ZADD or DEL. Use instead of redis.type.",
			g(write), sdk.OneOf(sortedKeys(commands)...)).
		Define(keyKeyspace, sdk.TypeString, sdk.Medium, "A format string for the destination key space, which may contain `${topic}` (the default) as a placeholder for the originating topic name. For STRING, JSON and HASH the record key is appended after redis.separator; empty means the record key alone. For the other types it is the key itself.",
			g(write)).
		Define(keyKeyOld, sdk.TypeString, sdk.Low, "The name releases before 0.9 gave redis.keyspace.",
			g(write)).
		Define(keySeparator, sdk.TypeString, sdk.Medium, "Separator between the key space and the record key, for STRING, JSON and HASH keys.",
			sdk.Default(":"), g(write)).
		Define(keyMultiExec, sdk.TypeBoolean, sdk.Medium, "Whether to execute each Put's commands in a MULTI/EXEC transaction.",
			sdk.Default("false"), g(write)).
		Define(keyWaitReplicas, sdk.TypeInt, sdk.Medium, "Number of replicas to wait for (WAIT) after each Put's commands; fewer acknowledging within redis.wait.timeout make the Put retriable. 0 disables waiting.",
			sdk.Default("0"), g(write), sdk.AtLeast(0)).
		Define(keyWaitTimeout, sdk.TypeLong, sdk.Medium, "Timeout in milliseconds of the WAIT command.",
			sdk.Default("1000"), g(write), sdk.AtLeast(0)).
		Define(keyTTL, sdk.TypeLong, sdk.Medium, "Time to live in seconds of each key written (EXPIRE after the write); a record's `redis.key.ttl` header overrides it. -1: no expiry.",
			sdk.Default("-1"), g(write), sdk.AtLeast(-1)).
		Define(keyTopics, sdk.TypeList, sdk.High, "The topics to consume, comma-separated. Read by the kernel.", g(conn)).
		Define(keyTopicsRegex, sdk.TypeString, sdk.High, "A regular expression of the topics to consume, instead of topics. Read by the kernel.", g(conn)).
		RefuseUnknown()
}

// kvDef is the config definition of jcustenborder's connector.
func kvDef() *sdk.ConfigDef {
	const conn, ssl = "Connection", "SSL"
	g := sdk.Group
	return new(sdk.ConfigDef).
		Define(keyHosts, sdk.TypeList, sdk.High, "The Redis hosts to connect to, host:port (port 6379 when absent). Standalone mode uses the first.",
			sdk.Default("localhost:6379"), g(conn)).
		Define(keyClientMode, sdk.TypeString, sdk.Medium, "The client mode to use when interacting with the Redis cluster: Standalone or Cluster.",
			sdk.Default("Standalone"), g(conn), sdk.OneOf("Standalone", "Cluster")).
		Define(keyDatabase, sdk.TypeInt, sdk.Medium, "Redis database to connect to.",
			sdk.Default("1"), g(conn), sdk.AtLeast(0)).
		Define(keyPassword, sdk.TypePassword, sdk.Medium, "Password used to connect to Redis.",
			sdk.Default(""), g(conn)).
		Define(keySSLEnabled, sdk.TypeBoolean, sdk.Medium, "Flag to determine if SSL is enabled.",
			sdk.Default("false"), g(ssl)).
		Define(keySSLProvider, sdk.TypeString, sdk.Low, "The SSL provider to use: JDK or OPENSSL. Accepted; Go's TLS is used either way.",
			sdk.Default("JDK"), g(ssl), sdk.OneOf("JDK", "OPENSSL")).
		Define(keyKeystorePath, sdk.TypeString, sdk.Medium, "The path to the client's key store: it must be a PEM file holding the unencrypted private key and certificate chain (Java key stores are refused, naming the fix).",
			sdk.Default(""), g(ssl)).
		Define(keyKeystorePassword, sdk.TypePassword, sdk.Medium, "The password for the key store; PEM key stores are unencrypted, so it must be empty.",
			sdk.Default(""), g(ssl)).
		Define(keyTruststorePath, sdk.TypeString, sdk.Medium, "The path to the trust store: a PEM file of the CA certificates to trust (else the system's).",
			sdk.Default(""), g(ssl)).
		Define(keyTruststorePasswd, sdk.TypePassword, sdk.Medium, "The password for the trust store; PEM trust stores have none, so it must be empty.",
			sdk.Default(""), g(ssl)).
		Define(keyAutoReconnect, sdk.TypeBoolean, sdk.Low, "Flag to determine if the Redis client should automatically reconnect. Accepted; the client always reconnects (a lost connection makes a Put retriable, never lost).",
			sdk.Default("true"), g(conn)).
		Define(keyRequestQueueSize, sdk.TypeInt, sdk.Low, "The maximum number of queued requests to Redis. Accepted; a task sends one pipeline at a time.",
			sdk.Default("2147483647"), g(conn)).
		Define(keyTCPNoDelay, sdk.TypeBoolean, sdk.Low, "Flag to enable TCP no delay. Accepted; Go always sets it.",
			sdk.Default("true"), g(conn)).
		Define(keyKeepAlive, sdk.TypeBoolean, sdk.Low, "Flag to enable a keepalive to Redis.",
			sdk.Default("false"), g(conn)).
		Define(keyConnectTimeoutMs, sdk.TypeInt, sdk.Low, "The amount of time in milliseconds to wait before timing out a socket when connecting.",
			sdk.Default("10000"), g(conn), sdk.AtLeast(1)).
		Define(keyConnectAttempts, sdk.TypeInt, sdk.Medium, "The number of attempts when connecting to Redis at task start.",
			sdk.Default("3"), g(conn), sdk.AtLeast(1)).
		Define(keyConnectRetryDelay, sdk.TypeInt, sdk.Medium, "The amount of milliseconds to wait between Redis connection attempts.",
			sdk.Default("2000"), g(conn), sdk.AtLeast(100)).
		Define(keyOperationTimeout, sdk.TypeLong, sdk.Medium, "The amount of time in milliseconds before an operation is marked as timed out: a Put that cannot complete within it is reported as retriable.",
			sdk.Default("10000"), g(conn), sdk.AtLeast(100)).
		Define(keyCharset, sdk.TypeString, sdk.Low, "The character set to use for String key and values. Only UTF-8 is supported.",
			sdk.Default("UTF-8"), g(conn), sdk.Check(checkCharset)).
		Define(keyTopics, sdk.TypeList, sdk.High, "The topics to consume, comma-separated. Read by the kernel.", g(conn)).
		Define(keyTopicsRegex, sdk.TypeString, sdk.High, "A regular expression of the topics to consume, instead of topics. Read by the kernel.", g(conn)).
		RefuseUnknown()
}

func sortedKeys(m map[string]kind) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// checkCharset accepts the names Java gives UTF-8: Go strings are UTF-8, and a key or
// value in another encoding would be written wrong without a word.
func checkCharset(v string) error {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "UTF-8", "UTF8":
		return nil
	}
	return fmt.Errorf("charset %q is not supported: only UTF-8 is; set it to UTF-8 (or convert the data with an SMT before the sink)", v)
}

func atMost(highest int64) sdk.KeyOption {
	return sdk.Check(func(v string) error {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > highest {
			return fmt.Errorf("Value must be no more than %d", highest)
		}
		return nil
	})
}

// config is a task's config, parsed: where Redis is, and what each record becomes there.
type config struct {
	// Connection.
	addrs       []string // one, or cluster seeds
	cluster     bool
	username    string
	password    string
	db          int
	tls         *tlsSettings // nil: plain TCP
	clientName  string
	dialTimeout time.Duration
	opTimeout   time.Duration // one pipeline's replies; a Put's retries
	poolSize    int
	keepAlive   bool
	attempts    int // connection attempts at Open
	attemptWait time.Duration
	display     string // where Redis is, for messages, without credentials

	// Writes.
	kv           bool // jcustenborder's class: SET/DEL of the bare key, its words in messages
	kind         kind
	lpush        bool // redis.command=LPUSH: push to the head
	keyspace     string
	separator    string
	multiExec    bool
	waitReplicas int
	waitTimeout  time.Duration
	ttl          int64 // seconds; ≤ 0 none
}

// tlsSettings are the TLS keys that matter once parsed; the files are read at Open.
type tlsSettings struct {
	insecure  bool
	caFile    string // PEM CA certificates
	certFile  string // PEM certificate chain
	keyFile   string // PEM private key; may be certFile (one PEM with both)
	serverSNI string
	keyKey    string // the config key naming keyFile, for errors
	caKey     string
}

// errorList collects config errors by key.
type errorList []sdk.ConfigError

func (e *errorList) add(key, format string, args ...any) {
	*e = append(*e, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
}

// placeholder reports whether the value of key is resolved only when a task starts
// (a config provider's ${alias:…}); Validate then accepts it, as Parse does.
func placeholder(cfg sdk.Config, key string) bool {
	v := cfg[key]
	return strings.Contains(v, "${") && strings.Contains(v, ":") && key != keyKeyspace && key != keyKeyOld
}

// getters that record a bad value instead of failing.
func intOf(cfg sdk.Config, errs *errorList, key string) int {
	if placeholder(cfg, key) {
		return 0
	}
	n, err := cfg.Int(key)
	if err != nil {
		errs.add(key, "%v", err)
	}
	return n
}

func longOf(cfg sdk.Config, errs *errorList, key string) int64 {
	if placeholder(cfg, key) {
		return 0
	}
	n, err := cfg.Int64(key)
	if err != nil {
		errs.add(key, "%v", err)
	}
	return n
}

func boolOf(cfg sdk.Config, errs *errorList, key string) bool {
	if placeholder(cfg, key) {
		return false
	}
	b, err := cfg.Bool(key)
	if err != nil {
		errs.add(key, "%v", err)
	}
	return b
}

// parseRedisConfig reads Redis Inc's keys (defaults applied, generic checks passed)
// into a config, reporting every value the connector cannot honour by key.
func parseRedisConfig(cfg sdk.Config) (*config, []sdk.ConfigError) {
	var errs errorList
	c := &config{separator: strings.TrimSpace(cfg[keySeparator]), attempts: 1}
	c.opTimeout = time.Duration(longOf(cfg, &errs, keyTimeout)) * time.Second
	c.dialTimeout = min(c.opTimeout, 10*time.Second) // Lettuce's default connect timeout
	c.poolSize = intOf(cfg, &errs, keyPool)
	c.cluster = boolOf(cfg, &errs, keyCluster)
	c.multiExec = boolOf(cfg, &errs, keyMultiExec)
	c.waitReplicas = intOf(cfg, &errs, keyWaitReplicas)
	c.waitTimeout = time.Duration(longOf(cfg, &errs, keyWaitTimeout)) * time.Millisecond
	c.ttl = longOf(cfg, &errs, keyTTL)

	// Where: the URI, or host and port.
	useTLS := boolOf(cfg, &errs, keyTLS)
	insecure := boolOf(cfg, &errs, keyInsecure)
	if uri := strings.TrimSpace(cfg[keyURI]); uri != "" && !placeholder(cfg, keyURI) {
		u, err := parseURI(uri)
		if err != nil {
			errs.add(keyURI, "%v", err)
		} else {
			c.addrs, c.username, c.password, c.db, c.clientName = []string{u.addr}, u.username, u.password, u.db, u.clientName
			useTLS = useTLS || u.tls
			insecure = insecure || u.insecure
			if u.timeout > 0 {
				c.opTimeout = u.timeout
			}
		}
	} else if uri == "" {
		port := intOf(cfg, &errs, keyPort)
		c.addrs = []string{net.JoinHostPort(strings.TrimSpace(cfg[keyHost]), strconv.Itoa(port))}
	}
	if u := cfg[keyUsername]; u != "" {
		c.username = u
	}
	if p := cfg[keyPassword]; p != "" {
		c.password = p
	}
	if cfg[keyKeyPassword] != "" {
		errs.add(keyKeyPassword, "encrypted private keys are not supported; decrypt the key (openssl pkcs8 -in key.pem -out plain.pem) and leave %s empty", keyKeyPassword)
	}
	if (cfg[keyKeyFile] == "") != (cfg[keyKeyCert] == "") {
		errs.add(keyKeyFile, "%s and %s go together: set both (the client's key and its certificate chain) or neither", keyKeyFile, keyKeyCert)
	}
	if !useTLS && (cfg[keyKeyFile] != "" || cfg[keyCACert] != "") {
		errs.add(keyTLS, "%s/%s/%s are TLS settings but the connection is plain: set %s=true or use a rediss:// URI", keyCACert, keyKeyFile, keyKeyCert, keyTLS)
	}
	if useTLS {
		c.tls = &tlsSettings{insecure: insecure, caFile: cfg[keyCACert], certFile: cfg[keyKeyCert], keyFile: cfg[keyKeyFile],
			keyKey: keyKeyFile, caKey: keyCACert}
	}
	if len(c.addrs) > 0 {
		c.display = c.addrs[0]
	}

	// What: redis.type or redis.command (older releases).
	typ, cmd := strings.ToUpper(strings.TrimSpace(cfg[keyType])), strings.ToUpper(strings.TrimSpace(cfg[keyCommand]))
	switch {
	case typ != "" && cmd != "":
		if types[typ] != commands[cmd] || cmd == "DEL" {
			errs.add(keyCommand, "%s=%s and %s=%s disagree: %s is the name older releases used for %s; set only %s", keyCommand, cmd, keyType, typ, keyCommand, keyType, keyType)
		}
		c.kind = types[typ]
	case typ != "":
		c.kind = types[typ]
	case cmd != "":
		c.kind = commands[cmd]
		c.lpush = cmd == "LPUSH"
	default:
		c.kind = kindStream
	}

	ks, ksSet := cfg[keyKeyspace]
	old, oldSet := cfg[keyKeyOld]
	switch {
	case ksSet && oldSet && strings.TrimSpace(ks) != strings.TrimSpace(old):
		errs.add(keyKeyOld, "%s=%q and %s=%q disagree: %s is the name older releases used for %s; set only %s", keyKeyOld, old, keyKeyspace, ks, keyKeyOld, keyKeyspace, keyKeyspace)
	case ksSet:
		c.keyspace = strings.TrimSpace(ks)
	case oldSet:
		c.keyspace = strings.TrimSpace(old)
	default:
		c.keyspace = defaultKeyspace
	}
	if c.kind.collection() && c.keyspace == "" {
		errs.add(keyKeyspace, "%s is empty, but %s writes every record to one key, the key space: set it (e.g. %s)", keyKeyspace, c.kind, defaultKeyspace)
	}
	if c.waitReplicas > 0 && c.cluster {
		errs.add(keyWaitReplicas, "WAIT counts the replicas of the one server a connection writes to, and a cluster pipeline writes to many: set %s=0 with %s=true", keyWaitReplicas, keyCluster)
	}
	if c.waitReplicas > 0 && c.waitTimeout == 0 {
		errs.add(keyWaitTimeout, "%s=0 would make WAIT block forever when a replica is down; give a timeout in milliseconds", keyWaitTimeout)
	}
	return c, errs
}

// parseKVConfig reads jcustenborder's keys into a config: SET of the key's bytes to the
// value's bytes, DEL for a null value.
func parseKVConfig(cfg sdk.Config) (*config, []sdk.ConfigError) {
	var errs errorList
	c := &config{kv: true, kind: kindString, keyspace: "", separator: ""}
	c.cluster = strings.EqualFold(strings.TrimSpace(cfg[keyClientMode]), "Cluster")
	c.db = intOf(cfg, &errs, keyDatabase)
	c.password = cfg[keyPassword]
	c.dialTimeout = time.Duration(intOf(cfg, &errs, keyConnectTimeoutMs)) * time.Millisecond
	c.opTimeout = time.Duration(longOf(cfg, &errs, keyOperationTimeout)) * time.Millisecond
	c.attempts = intOf(cfg, &errs, keyConnectAttempts)
	c.attemptWait = time.Duration(intOf(cfg, &errs, keyConnectRetryDelay)) * time.Millisecond
	c.keepAlive = boolOf(cfg, &errs, keyKeepAlive)
	c.poolSize = 8
	for _, h := range cfg.List(keyHosts) {
		if placeholder(cfg, keyHosts) {
			break
		}
		addr, err := hostPort(h)
		if err != nil {
			errs.add(keyHosts, "%v", err)
			continue
		}
		c.addrs = append(c.addrs, addr)
	}
	if len(c.addrs) == 0 && !placeholder(cfg, keyHosts) {
		errs.add(keyHosts, "no Redis host: give at least one host:port")
	}
	if !c.cluster && len(c.addrs) > 1 {
		c.addrs = c.addrs[:1] // Standalone mode talks to the first host, as Lettuce's RedisClient
	}
	if c.cluster && c.db != 0 {
		// Redis Cluster has only database 0; upstream's default of 1 would be refused by
		// the server at every connection.
		c.db = 0
	}
	if boolOf(cfg, &errs, keySSLEnabled) {
		ks := cfg[keyKeystorePath]
		c.tls = &tlsSettings{caFile: cfg[keyTruststorePath], certFile: ks, keyFile: ks, keyKey: keyKeystorePath, caKey: keyTruststorePath}
		if cfg[keyKeystorePassword] != "" {
			errs.add(keyKeystorePassword, "key stores must be unencrypted PEM files here (Java key stores cannot be read): convert it (keytool -importkeystore -deststoretype PKCS12, then openssl pkcs12 -nodes) and leave %s empty", keyKeystorePassword)
		}
		if cfg[keyTruststorePasswd] != "" {
			errs.add(keyTruststorePasswd, "trust stores must be PEM files here, which have no password (export the CA with keytool -exportcert -rfc) and leave %s empty", keyTruststorePasswd)
		}
	} else if cfg[keyKeystorePath] != "" || cfg[keyTruststorePath] != "" {
		errs.add(keySSLEnabled, "%s/%s are set but SSL is off: set %s=true", keyKeystorePath, keyTruststorePath, keySSLEnabled)
	}
	if len(c.addrs) > 0 {
		c.display = strings.Join(c.addrs, ",")
	}
	return c, errs
}

// hostPort reads host[:port] as jcustenborder's ConfigUtils.hostAndPorts does, port
// 6379 when absent.
func hostPort(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("an empty host in the list")
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("host %q: port %q is not a number in 1-65535", s, p)
		}
		return net.JoinHostPort(h, p), nil
	}
	if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		return net.JoinHostPort(s, "6379"), nil // a bare IPv6 address
	}
	if strings.Contains(s, ":") {
		return "", fmt.Errorf("host %q is not host:port", s)
	}
	return net.JoinHostPort(s, "6379"), nil
}

// redisURI is a Redis URI, parsed.
type redisURI struct {
	addr               string
	username, password string
	db                 int
	tls, insecure      bool
	timeout            time.Duration
	clientName         string
}

// parseURI reads a Redis URI as Lettuce's RedisURI does for the redis and rediss schemes:
// redis[s]://[[username:]password@]host[:port][/database][?timeout=…&database=…&clientName=…&verifyPeer=…].
// Errors do not repeat the URI, which may hold a password.
func parseURI(s string) (*redisURI, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URI (redis://host:port or rediss://host:port): %v", redactErr(err))
	}
	out := &redisURI{}
	switch strings.ToLower(u.Scheme) {
	case "redis":
	case "rediss":
		out.tls = true
	case "redis-socket", "redis-sentinel", "rediss-sentinel":
		return nil, fmt.Errorf("the %s:// scheme is not supported: give a redis:// or rediss:// URI of the server (or of a cluster seed with redis.cluster=true)", u.Scheme)
	default:
		return nil, fmt.Errorf("scheme %q is not redis:// or rediss://", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("the URI has no host: redis://host:port")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "6379"
	}
	if strings.Contains(u.Host, ",") {
		return nil, fmt.Errorf("the URI names several hosts; give one (a cluster seed with redis.cluster=true)")
	}
	out.addr = net.JoinHostPort(host, port)
	if u.User != nil {
		out.username = u.User.Username()
		if p, ok := u.User.Password(); ok {
			out.password = p
		} else {
			// redis://secret@host: Lettuce reads a lone user-info as the password.
			out.username, out.password = "", u.User.Username()
		}
	}
	if path := strings.Trim(u.Path, "/"); path != "" {
		n, err := strconv.Atoi(path)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("the path /%s is not a database number", path)
		}
		out.db = n
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "database", "db":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("query parameter %s=%q is not a database number", k, v)
			}
			out.db = n
		case "timeout":
			d, err := lettuceDuration(v)
			if err != nil {
				return nil, fmt.Errorf("query parameter timeout=%q: %v", v, err)
			}
			out.timeout = d
		case "clientName":
			out.clientName = v
		case "verifyPeer":
			switch strings.ToUpper(v) {
			case "FALSE", "NONE":
				out.insecure = true
			case "TRUE", "FULL", "CA":
			default:
				return nil, fmt.Errorf("query parameter verifyPeer=%q is not true, false, NONE, CA or FULL", v)
			}
		default:
			return nil, fmt.Errorf("query parameter %q is not supported (supported: timeout, database, clientName, verifyPeer)", k)
		}
	}
	return out, nil
}

// lettuceDuration reads a duration as Lettuce's URI does: a number with an optional
// unit d, h, m, s, ms, us or ns; seconds when there is none.
func lettuceDuration(v string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", time.Nanosecond}, {"d", 24 * time.Hour},
		{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	unit := time.Second
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, unit = strings.TrimSuffix(v, u.suffix), u.unit
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a number with an optional unit (d, h, m, s, ms, us, ns)")
	}
	return time.Duration(n) * unit, nil
}

// redactErr drops the URI from url.Parse's errors.
func redactErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}
