package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// newClient returns a go-redis client for cfg: a cluster client with redis.cluster (or
// redis.client.mode=Cluster), else a client of one server. go-redis's own retries are off:
// the writer retries, so that it knows which commands were applied.
func newClient(cfg *config) (redis.UniversalClient, error) {
	if len(cfg.addrs) == 0 {
		return nil, errors.New("redis: no server address")
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	var dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	if cfg.keepAlive {
		d := &net.Dialer{Timeout: cfg.dialTimeout, KeepAlive: 30 * time.Second}
		dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if tc != nil {
				return (&tls.Dialer{NetDialer: d, Config: tc}).DialContext(ctx, network, addr)
			}
			return d.DialContext(ctx, network, addr)
		}
	}
	if cfg.cluster {
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: cfg.addrs, Username: cfg.username, Password: cfg.password, ClientName: cfg.clientName,
			Dialer: dialer, TLSConfig: tc, Protocol: 2, DisableIdentity: true,
			DialTimeout: cfg.dialTimeout, ReadTimeout: cfg.opTimeout, WriteTimeout: cfg.opTimeout,
			ContextTimeoutEnabled: true, PoolSize: cfg.poolSize, MaxRetries: -1, DialerRetries: 1,
		}), nil
	}
	return redis.NewClient(&redis.Options{
		Addr: cfg.addrs[0], Username: cfg.username, Password: cfg.password, DB: cfg.db, ClientName: cfg.clientName,
		Dialer: dialer, TLSConfig: tc, Protocol: 2, DisableIdentity: true,
		DialTimeout: cfg.dialTimeout, ReadTimeout: cfg.opTimeout, WriteTimeout: cfg.opTimeout,
		ContextTimeoutEnabled: true, PoolSize: cfg.poolSize, MaxRetries: -1, DialerRetries: 1,
	}), nil
}

// tlsConfig reads the TLS files of cfg; nil for a plain connection. A file that cannot
// be used is a config error naming its key.
func tlsConfig(cfg *config) (*tls.Config, error) {
	s := cfg.tls
	if s == nil {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.insecure} //nolint:gosec // redis.insecure asks for it
	if len(cfg.addrs) > 0 {
		if h, _, err := net.SplitHostPort(cfg.addrs[0]); err == nil {
			tc.ServerName = h
		}
	}
	if s.caFile != "" {
		b, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, sdk.ConfigError{Key: s.caKey, Message: fmt.Sprintf("cannot read the CA file: %v", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, sdk.ConfigError{Key: s.caKey, Message: fmt.Sprintf("%s holds no PEM certificate; a Java trust store must be exported first (keytool -exportcert -rfc -keystore truststore.jks > ca.pem)", s.caFile)}
		}
		tc.RootCAs = pool
	}
	if s.keyFile != "" {
		certPEM, err := os.ReadFile(s.certFile)
		if err != nil {
			return nil, sdk.ConfigError{Key: s.keyKey, Message: fmt.Sprintf("cannot read the certificate file: %v", err)}
		}
		keyPEM := certPEM
		if s.keyFile != s.certFile {
			if keyPEM, err = os.ReadFile(s.keyFile); err != nil {
				return nil, sdk.ConfigError{Key: s.keyKey, Message: fmt.Sprintf("cannot read the key file: %v", err)}
			}
		}
		if b, _ := pem.Decode(keyPEM); b == nil {
			return nil, sdk.ConfigError{Key: s.keyKey, Message: fmt.Sprintf("%s is not PEM; a Java key store must be converted to a PEM file with the unencrypted key and its certificate chain (keytool -importkeystore -deststoretype PKCS12, then openssl pkcs12 -nodes)", s.keyFile)}
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, sdk.ConfigError{Key: s.keyKey, Message: fmt.Sprintf("cannot use the client key and certificate: %v (the key must be unencrypted PEM)", err)}
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// connect pings Redis, up to cfg.attempts times cfg.attemptWait apart, and returns the
// last error.
func connect(ctx context.Context, c redis.UniversalClient, cfg *config) error {
	var err error
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, cfg.dialTimeout+cfg.opTimeout)
		err = c.Ping(pctx).Err()
		cancel()
		if err == nil || attempt >= cfg.attempts || ctx.Err() != nil {
			return err
		}
		if serr := sleep(ctx, cfg.attemptWait); serr != nil {
			return err
		}
	}
}

// checkNotCluster refuses a standalone client of a cluster node, whose every write to a
// key of another node would be answered MOVED.
func checkNotCluster(ctx context.Context, c redis.UniversalClient, cfg *config) error {
	if cfg.cluster {
		return nil
	}
	info, err := c.Info(ctx, "cluster").Result()
	if err != nil {
		return nil // INFO refused (ACLs, proxies): the writes will tell
	}
	if strings.Contains(info, "cluster_enabled:1") {
		key, fix := keyCluster, keyCluster+"=true"
		if cfg.kv {
			key, fix = keyClientMode, keyClientMode+"=Cluster"
		}
		return sdk.ConfigError{Key: key, Message: fmt.Sprintf("the server at %s is a Redis Cluster node (INFO cluster: cluster_enabled:1), and a standalone client cannot write to the keys of other nodes: set %s", cfg.display, fix)}
	}
	return nil
}

// moduleFor names the Redis module a kind's command needs, as MODULE LIST names it.
func moduleFor(k kind) (names []string, command string) {
	switch k {
	case kindJSON:
		return []string{"rejson", "redisjson", "json"}, "JSON.SET"
	case kindTimeSeries:
		return []string{"timeseries", "redistimeseries"}, "TS.ADD"
	}
	return nil, ""
}

// errNoModule is the refusal of a kind whose module the server lacks.
func errNoModule(cfg *config, typeKey string) error {
	_, command := moduleFor(cfg.kind)
	module := map[kind]string{kindJSON: "RedisJSON", kindTimeSeries: "RedisTimeSeries"}[cfg.kind]
	return sdk.ConfigError{Key: typeKey, Message: fmt.Sprintf(
		"%s=%s writes with %s, which needs the %s module, and the server at %s does not have it (MODULE LIST): load the module (loadmodule in redis.conf, or Redis Stack), or choose another redis.type (STRING or HASH)",
		typeKey, cfg.kind, command, module, cfg.display)}
}

// checkModule refuses a kind whose module the server lacks. When MODULE LIST itself is
// not allowed (ACLs, proxies), it says nothing: the first write then fails naming the
// module (see [isUnknownCommand]).
func checkModule(ctx context.Context, c redis.UniversalClient, cfg *config, typeKey string) (bool, error) {
	names, _ := moduleFor(cfg.kind)
	if names == nil {
		return true, nil
	}
	mods, err := c.Do(ctx, "MODULE", "LIST").Slice()
	if err != nil {
		var rerr redis.Error
		if errors.As(err, &rerr) {
			return false, nil // MODULE LIST refused: unknown
		}
		return false, err
	}
	for _, m := range mods {
		fields, ok := m.([]any)
		if !ok {
			continue
		}
		for i := 0; i+1 < len(fields); i += 2 {
			if k, _ := fields[i].(string); k == "name" {
				name, _ := fields[i+1].(string)
				for _, want := range names {
					if strings.EqualFold(name, want) {
						return true, nil
					}
				}
			}
		}
	}
	return false, errNoModule(cfg, typeKey)
}

// isUnknownCommand reports whether err is Redis's refusal of a command it does not know,
// such as JSON.SET without the RedisJSON module.
func isUnknownCommand(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "ERR unknown command")
}
