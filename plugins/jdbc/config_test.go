package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// validate runs the SDK's generic checks and the connector's Validate, as the kernel does.
func validate(c sdk.Connector, raw map[string]string) []sdk.ConfigError {
	def := c.Definition().Config
	cfg, errs := def.Parse(raw)
	if len(errs) > 0 {
		return errs
	}
	return c.Validate(cfg)
}

func TestValidateRefusesNamingTheKey(t *testing.T) {
	src := map[string]string{keyURL: "jdbc:postgresql://localhost:5432/db", keyTopicPrefix: "p-", keyMode: "bulk"}
	sink := map[string]string{keyURL: "jdbc:mysql://localhost/db"}
	with := func(base map[string]string, kv ...string) map[string]string {
		c := map[string]string{}
		for k, v := range base {
			c[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<unset>" {
				delete(c, kv[i])
			} else {
				c[kv[i]] = kv[i+1]
			}
		}
		return c
	}
	cases := []struct {
		name    string
		conn    sdk.Connector
		cfg     map[string]string
		key     string
		message string
	}{
		{"unknown mode", sourceConnector{}, with(src, keyMode, "changes"), keyMode, "one of"},
		{"incrementing without a column", sourceConnector{}, with(src, keyMode, "incrementing"), keyIncColumn, "set incrementing.column.name"},
		{"timestamp without a column", sourceConnector{}, with(src, keyMode, "timestamp"), keyTsColumn, "set timestamp.column.name"},
		{"timestamp+incrementing without the incrementing column", sourceConnector{}, with(src, keyMode, "timestamp+incrementing", keyTsColumn, "m"), keyIncColumn, "set incrementing.column.name"},
		{"unsupported database", sourceConnector{}, with(src, keyURL, "jdbc:sqlserver://h:1433;databaseName=x"), keyURL, "not supported"},
		{"not a JDBC URL", sinkConnector{}, with(sink, keyURL, "postgres://h/db"), keyURL, "not a JDBC URL"},
		{"unknown key", sourceConnector{}, with(src, "numeric.mapping.typo", "x"), "numeric.mapping.typo", "Unknown configuration"},
		{"no topic prefix", sourceConnector{}, with(src, keyTopicPrefix, "<unset>"), keyTopicPrefix, "Missing required"},
		{"query and a table list", sourceConnector{}, with(src, keyQuery, "SELECT 1", keyWhitelist, "t"), keyQuery, "reads no tables"},
		{"delete without record_key", sinkConnector{}, with(sink, keyDeleteEnabled, "true", keyPKMode, "record_value"), keyDeleteEnabled, "pk.mode=record_key"},
		{"upsert without a key", sinkConnector{}, with(sink, keyInsertMode, "upsert"), keyPKMode, "needs a primary key"},
		{"unknown insert mode", sinkConnector{}, with(sink, keyInsertMode, "merge"), keyInsertMode, "one of"},
		{"unknown pk mode", sinkConnector{}, with(sink, keyPKMode, "auto"), keyPKMode, "one of"},
		{"bad time zone", sinkConnector{}, with(sink, keyTimezone, "Mars/Olympus"), keyTimezone, "unknown time zone"},
		{"unsupported database in the sink", sinkConnector{}, with(sink, keyURL, "jdbc:oracle:thin:@h:1521:x"), keyURL, "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := validate(c.conn, c.cfg)
			for _, e := range errs {
				if e.Key == c.key && strings.Contains(e.Message, c.message) {
					return
				}
			}
			t.Fatalf("errors %v, want one on %s saying %q", errs, c.key, c.message)
		})
	}
}

func TestValidateAcceptsConfluentConfigs(t *testing.T) {
	src := map[string]string{
		"connector.class": sourceClass, "tasks.max": "2", keyURL: "jdbc:postgresql://db:5432/shop?sslmode=disable",
		keyUser: "u", keyPassword: "p", keyMode: "timestamp+incrementing", keyIncColumn: "id", keyTsColumn: "updated_at,created_at",
		keyTopicPrefix: "shop-", keyWhitelist: "orders,customers", keyPollInterval: "1000", keyNumericMapping: "best_fit",
		keyTsDelay: "100", keyBatchMaxRows: "500", keyQuote: "never", keyIsolation: "READ_COMMITTED",
		"value.converter": "io.confluent.connect.avro.AvroConverter", "transforms": "x", "transforms.x.type": "y",
	}
	if errs := validate(sourceConnector{}, src); len(errs) != 0 {
		t.Fatalf("source: %v", errs)
	}
	sink := map[string]string{
		"connector.class": sinkClass, "topics": "orders", keyURL: "jdbc:mariadb://db:3306/shop", keyInsertMode: "upsert",
		keyPKMode: "record_key", keyPKFields: "id", keyDeleteEnabled: "true", keyAutoCreate: "true", keyAutoEvolve: "true",
		keyTableFormat: "kafka_${topic}", keyBatchSize: "1000", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
	}
	if errs := validate(sinkConnector{}, sink); len(errs) != 0 {
		t.Fatalf("sink: %v", errs)
	}
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		in, user, pass string
		want           dbURL
	}{
		{"jdbc:postgresql://h:6543/db?user=a&password=b", "", "", dbURL{kind: postgres, host: "h", port: 6543, database: "db", user: "a", password: "b"}},
		{"jdbc:postgresql://h/db", "u", "p", dbURL{kind: postgres, host: "h", port: 5432, database: "db", user: "u", password: "p"}},
		{"jdbc:mysql://h/db?user=a", "u", "", dbURL{kind: mysqlDB, host: "h", port: 3306, database: "db", user: "u"}},
		{"jdbc:mariadb://127.0.0.1:3307/x", "", "", dbURL{kind: mysqlDB, host: "127.0.0.1", port: 3307, database: "x"}},
	}
	for _, c := range cases {
		got, err := parseURL(c.in, c.user, c.pass)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got.params = nil
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestGroupTablesAsConnectDoes(t *testing.T) {
	got := groupTables([]string{"a", "b", "c", "d", "e"}, 3)
	if s := strings.Join([]string{strings.Join(got[0], ","), strings.Join(got[1], ","), strings.Join(got[2], ",")}, "|"); s != "a,b|c,d|e" {
		t.Fatalf("groups %s, want a,b|c,d|e", s)
	}
	if g := groupTables([]string{"a"}, 4); len(g) != 1 {
		t.Fatalf("one table over 4 tasks: %d groups, want 1", len(g))
	}
}
