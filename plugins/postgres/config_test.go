package main

import (
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

func validConfig(extra ...string) map[string]string {
	c := map[string]string{
		"connector.class": className, "tasks.max": "1",
		"database.hostname": "db", "database.user": "u", "database.password": "p",
		"database.dbname": "inventory", "topic.prefix": "dbserver1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

// validate runs the SDK's generic checks and the connector's, as the kernel's Validate does.
func validate(raw map[string]string) []sdk.ConfigError {
	cfg, errs := configDef.Parse(raw)
	if len(errs) > 0 {
		return errs
	}
	return connector{}.Validate(cfg)
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name    string
		cfg     map[string]string
		wantKey string // "" = valid
		wantMsg string
	}{
		{"minimal", validConfig(), "", ""},
		{"seed keys", validConfig("database.port", "5432", "plugin.name", "pgoutput", "slot.name", "debezium",
			"publication.autocreate.mode", "filtered", "table.include.list", "public.orders,public.customers",
			"snapshot.mode", "initial", "tombstones.on.delete", "true", "decimal.handling.mode", "string",
			"heartbeat.interval.ms", "10000", "database.server.name", "legacy", "tasks.max", "4"), "", ""},
		{"never is no_data", validConfig("snapshot.mode", "never"), "", ""},
		{"missing prefix", func() map[string]string { c := validConfig(); delete(c, "topic.prefix"); return c }(), "topic.prefix", "Missing required"},
		{"decoderbufs", validConfig("plugin.name", "decoderbufs"), "plugin.name", "only pgoutput"},
		{"wal2json", validConfig("plugin.name", "wal2json"), "plugin.name", "only pgoutput"},
		{"unknown key", validConfig("database.history.kafka.topic", "x"), "database.history.kafka.topic", "Unknown configuration"},
		{"bad snapshot mode", validConfig("snapshot.mode", "schema_only_recovery"), "snapshot.mode", "must be one of"},
		{"bad decimal mode", validConfig("decimal.handling.mode", "exact"), "decimal.handling.mode", "must be one of"},
		{"adaptive_time_microseconds", validConfig("time.precision.mode", "adaptive_time_microseconds"), "time.precision.mode", "not supported"},
		{"schema changes", validConfig("include.schema.changes", "true"), "include.schema.changes", "set include.schema.changes=false"},
		{"table include and exclude", validConfig("table.include.list", "a.b", "table.exclude.list", "a.c"), "table.exclude.list", "cannot both be set"},
		{"schema include and exclude", validConfig("schema.include.list", "a", "schema.exclude.list", "b"), "schema.exclude.list", "cannot both be set"},
		{"column include and exclude", validConfig("column.include.list", "a.b.c", "column.exclude.list", "a.b.d"), "column.exclude.list", "cannot both be set"},
		{"bad regex", validConfig("table.include.list", "public.(orders"), "table.include.list", "not a valid regular expression"},
		{"bad slot", validConfig("slot.name", "My-Slot"), "slot.name", "lower-case"},
		{"bad publication mode", validConfig("publication.autocreate.mode", "some"), "publication.autocreate.mode", "must be one of"},
		{"fetch size", validConfig("snapshot.fetch.size", "0"), "snapshot.fetch.size", "at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := validate(c.cfg)
			if c.wantKey == "" {
				if len(errs) > 0 {
					t.Fatalf("want valid, got %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Key == c.wantKey && strings.Contains(e.Message, c.wantMsg) {
					return
				}
			}
			t.Fatalf("want an error on %s containing %q, got %v", c.wantKey, c.wantMsg, errs)
		})
	}
}

func TestFilterMatchesWholeIdentifiers(t *testing.T) {
	for _, c := range []struct {
		cfg           []string
		schema, table string
		want          bool
	}{
		{[]string{"table.include.list", "public.orders"}, "public", "orders", true},
		{[]string{"table.include.list", "public.orders"}, "public", "orders_archive", false}, // anchored
		{[]string{"table.include.list", "public.order"}, "public", "orders", false},
		{[]string{"table.include.list", "public\\.ord.*"}, "public", "orders", true},
		{[]string{"table.include.list", "orders"}, "public", "orders", false}, // schema.table, not the name
		{[]string{"table.exclude.list", "public.audit.*"}, "public", "audit_log", false},
		{[]string{"table.exclude.list", "public.audit.*"}, "public", "orders", true},
		{[]string{"schema.include.list", "inv"}, "inventory", "x", false},
		{[]string{"schema.include.list", "inv.*"}, "inventory", "x", true},
		{[]string{"schema.exclude.list", "tmp"}, "tmp", "x", false},
		{[]string{"table.include.list", "PUBLIC.Orders"}, "public", "orders", true}, // case-insensitive
		{nil, "pg_catalog", "pg_class", false},
	} {
		cfg, errs := configDef.Parse(validConfig(c.cfg...))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		f, ferrs := parseFilter(cfg)
		if len(ferrs) > 0 {
			t.Fatal(ferrs)
		}
		if got := f.table(c.schema, c.table); got != c.want {
			t.Errorf("%v: table %s.%s captured = %v, want %v", c.cfg, c.schema, c.table, got, c.want)
		}
	}
	cfg, _ := configDef.Parse(validConfig("column.exclude.list", "public.users.(password|ssn)"))
	f, _ := parseFilter(cfg)
	if f.column("public", "users", "password") || !f.column("public", "users", "name") || !f.column("public", "users2", "password") {
		t.Error("column.exclude.list public.users.(password|ssn) does not match schema.table.column in full")
	}
}
