package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// validate runs the SDK's generic checks and the connector's Validate, as the kernel does.
func validate(c sdk.Connector, raw map[string]string) []sdk.ConfigError {
	cfg, errs := c.Definition().Config.Parse(raw)
	return append(errs, c.Validate(cfg)...)
}

// TestValidateRefuses: every value the connector cannot honour is refused naming its key
// and what to do.
func TestValidateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    sdk.Connector
		raw  map[string]string
		key  string
		want string
	}{
		{"unknown key", redisConnector{}, map[string]string{"redis.pipelined": "true"}, "redis.pipelined", "does not support it"},
		{"the other class's key", redisConnector{}, map[string]string{keyHosts: "h:1"}, keyHosts, "does not support it"},
		{"bad type", redisConnector{}, map[string]string{keyType: "GEO"}, keyType, "must be one of"},
		{"bad command", redisConnector{}, map[string]string{keyCommand: "GEOADD"}, keyCommand, "must be one of"},
		{"type and command disagree", redisConnector{}, map[string]string{keyType: "HASH", keyCommand: "SET"}, keyCommand, "set only redis.type"},
		{"keyspace and key disagree", redisConnector{}, map[string]string{keyKeyspace: "a", keyKeyOld: "b"}, keyKeyOld, "set only redis.keyspace"},
		{"empty keyspace for a collection", redisConnector{}, map[string]string{keyType: "LIST", keyKeyspace: ""}, keyKeyspace, "one key"},
		{"sentinel URI", redisConnector{}, map[string]string{keyURI: "redis-sentinel://h:26379"}, keyURI, "not supported"},
		{"http URI", redisConnector{}, map[string]string{keyURI: "http://h:80"}, keyURI, "redis://"},
		{"unknown URI option", redisConnector{}, map[string]string{keyURI: "redis://h:1?ssl=1"}, keyURI, "not supported"},
		{"URI database", redisConnector{}, map[string]string{keyURI: "redis://h:1/x"}, keyURI, "database"},
		{"charset", redisConnector{}, map[string]string{keyCharset: "ISO-8859-1"}, keyCharset, "UTF-8"},
		{"key password", redisConnector{}, map[string]string{keyKeyPassword: "pw", keyTLS: "true", keyKeyFile: "k", keyKeyCert: "c"}, keyKeyPassword, "decrypt"},
		{"key without cert", redisConnector{}, map[string]string{keyTLS: "true", keyKeyFile: "k"}, keyKeyFile, "both"},
		{"TLS files on plain", redisConnector{}, map[string]string{keyCACert: "/ca.pem"}, keyTLS, "rediss://"},
		{"wait on a cluster", redisConnector{}, map[string]string{keyCluster: "true", keyWaitReplicas: "1"}, keyWaitReplicas, "cluster"},
		{"wait forever", redisConnector{}, map[string]string{keyWaitReplicas: "1", keyWaitTimeout: "0"}, keyWaitTimeout, "forever"},
		{"port range", redisConnector{}, map[string]string{keyPort: "70000"}, keyPort, "no more than"},
		{"kv unknown key", kvConnector{}, map[string]string{keyURI: "redis://h"}, keyURI, "does not support it"},
		{"kv bad host", kvConnector{}, map[string]string{keyHosts: "h:port"}, keyHosts, "port"},
		{"kv client mode", kvConnector{}, map[string]string{keyClientMode: "Sentinel"}, keyClientMode, "must be one of"},
		{"kv key store password", kvConnector{}, map[string]string{keySSLEnabled: "true", keyKeystorePath: "/k.jks", keyKeystorePassword: "pw"}, keyKeystorePassword, "PEM"},
		{"kv trust store without SSL", kvConnector{}, map[string]string{keyTruststorePath: "/t.pem"}, keySSLEnabled, "SSL is off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := validate(tc.c, tc.raw)
			for _, e := range errs {
				if e.Key == tc.key && strings.Contains(e.Message, tc.want) {
					return
				}
			}
			t.Errorf("validate %v: %v; want an error of %s saying %q", tc.raw, errs, tc.key, tc.want)
		})
	}
}

// TestDefaultsAreUpstreams: an empty config means what it means upstream.
func TestDefaultsAreUpstreams(t *testing.T) {
	cfg, errs := redisDef().Parse(map[string]string{})
	c, perrs := parseRedisConfig(cfg)
	if len(errs)+len(perrs) > 0 {
		t.Fatalf("empty config: %v %v", errs, perrs)
	}
	if c.kind != kindStream || c.keyspace != "${topic}" || c.separator != ":" || c.addrs[0] != "localhost:6379" || c.opTimeout != 60*time.Second || c.db != 0 {
		t.Errorf("Redis Inc defaults: %+v; want STREAM to ${topic}, separator :, localhost:6379, timeout 60s, db 0", c)
	}
	cfg, errs = kvDef().Parse(map[string]string{})
	c, perrs = parseKVConfig(cfg)
	if len(errs)+len(perrs) > 0 {
		t.Fatalf("empty config: %v %v", errs, perrs)
	}
	if c.kind != kindString || c.keyspace != "" || c.addrs[0] != "localhost:6379" || c.db != 1 || c.opTimeout != 10*time.Second || c.attempts != 3 {
		t.Errorf("jcustenborder defaults: %+v; want SET of the bare key, localhost:6379, database 1, 10s, 3 attempts", c)
	}
}

// TestParseURI reads Lettuce's URI forms.
func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want redisURI
	}{
		{"redis://h", redisURI{addr: "h:6379"}},
		{"rediss://u:p@h:7000/2", redisURI{addr: "h:7000", username: "u", password: "p", db: 2, tls: true}},
		{"redis://secret@h:1", redisURI{addr: "h:1", password: "secret"}},
		{"redis://:secret@h:1?database=5&timeout=500ms&clientName=c", redisURI{addr: "h:1", password: "secret", db: 5, timeout: 500 * time.Millisecond, clientName: "c"}},
		{"rediss://h?verifyPeer=NONE&timeout=3", redisURI{addr: "h:6379", tls: true, insecure: true, timeout: 3 * time.Second}},
		{"redis://[::1]:6380", redisURI{addr: "[::1]:6380"}},
	} {
		got, err := parseURI(tc.uri)
		if err != nil || *got != tc.want {
			t.Errorf("parseURI(%q) = %+v, %v; want %+v", tc.uri, got, err, tc.want)
		}
	}
	if _, err := parseURI("redis://u:topsecret@h:1?bogus=1"); err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("a bad URI's error %v must not repeat its password", err)
	}
}

// TestPlaceholdersPassValidate: config provider placeholders are resolved only when a
// task starts, so Validate accepts them; ${topic} in the key space is not one.
func TestPlaceholdersPassValidate(t *testing.T) {
	errs := validate(redisConnector{}, map[string]string{keyURI: "${file:/etc/redis.properties:uri}", keyPassword: "${env:REDIS_PW}",
		keyTimeout: "${env:T}", keyKeyspace: "cache:${topic}", keyType: "HASH"})
	if len(errs) > 0 {
		t.Errorf("placeholders: %v", errs)
	}
}
