package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// The config keys, as Debezium 2.x names them.
const (
	keyHostname          = "database.hostname"
	keyPort              = "database.port"
	keyUser              = "database.user"
	keyPassword          = "database.password"
	keyDBName            = "database.dbname"
	keyServerName        = "database.server.name"
	keySSLMode           = "database.sslmode"
	keyTopicPrefix       = "topic.prefix"
	keyPluginName        = "plugin.name"
	keySlotName          = "slot.name"
	keySlotDropOnStop    = "slot.drop.on.stop"
	keyPublicationName   = "publication.name"
	keyPublicationMode   = "publication.autocreate.mode"
	keyTableInclude      = "table.include.list"
	keyTableExclude      = "table.exclude.list"
	keySchemaInclude     = "schema.include.list"
	keySchemaExclude     = "schema.exclude.list"
	keyColumnInclude     = "column.include.list"
	keyColumnExclude     = "column.exclude.list"
	keySnapshotMode      = "snapshot.mode"
	keySnapshotFetchSize = "snapshot.fetch.size"
	keyHeartbeatInterval = "heartbeat.interval.ms"
	keyHeartbeatQuery    = "heartbeat.action.query"
	keyHeartbeatPrefix   = "topic.heartbeat.prefix"
	keyTombstones        = "tombstones.on.delete"
	keyDecimalMode       = "decimal.handling.mode"
	keyTimePrecision     = "time.precision.mode"
	keySchemaChanges     = "include.schema.changes"
	keyMaxBatchSize      = "max.batch.size"
	keyPollInterval      = "poll.interval.ms"
	keyStatusInterval    = "status.update.interval.ms"
)

// configDef declares every key the connector supports; any other key is refused by name.
var configDef = new(sdk.ConfigDef).
	Define(keyHostname, sdk.TypeString, sdk.High, "Address of the PostgreSQL server.", sdk.Required()).
	Define(keyPort, sdk.TypeInt, sdk.High, "Port of the PostgreSQL server.", sdk.Default("5432")).
	Define(keyUser, sdk.TypeString, sdk.High, "User to connect as; needs the REPLICATION attribute (and CREATE on the database to create the publication).", sdk.Required()).
	Define(keyPassword, sdk.TypeString, sdk.High, "Password of the user.", sdk.Default(""), sdk.Secret()).
	Define(keyDBName, sdk.TypeString, sdk.High, "Database to capture changes from.", sdk.Required()).
	Define(keyServerName, sdk.TypeString, sdk.Low, "Debezium 1.x's logical name; accepted and ignored, as Debezium 2 does (topic.prefix names the server).").
	Define(keySSLMode, sdk.TypeString, sdk.Low, "libpq sslmode: disable, prefer, require, verify-ca, verify-full.", sdk.Default("prefer"),
		sdk.OneOf("disable", "allow", "prefer", "require", "verify-ca", "verify-full")).
	Define(keyTopicPrefix, sdk.TypeString, sdk.High, "Logical name of the server: prefix of every topic and the source partition.", sdk.Required()).
	Define(keyPluginName, sdk.TypeString, sdk.Medium, "Logical decoding plugin; only pgoutput.", sdk.Default("pgoutput")).
	Define(keySlotName, sdk.TypeString, sdk.Medium, "Replication slot to stream from; created when missing.", sdk.Default("debezium")).
	Define(keySlotDropOnStop, sdk.TypeBoolean, sdk.Low, "Drop the slot when the task stops (for tests; loses the position).", sdk.Default("false")).
	Define(keyPublicationName, sdk.TypeString, sdk.Medium, "Publication pgoutput streams.", sdk.Default("dbz_publication")).
	Define(keyPublicationMode, sdk.TypeString, sdk.Medium, "all_tables: create the publication FOR ALL TABLES; filtered: for the captured tables; disabled: it must exist.",
		sdk.Default("all_tables"), sdk.OneOf("all_tables", "filtered", "disabled")).
	Define(keyTableInclude, sdk.TypeList, sdk.Medium, "Regular expressions; only tables whose schema.table matches one in full are captured.", sdk.Default("")).
	Define(keyTableExclude, sdk.TypeList, sdk.Medium, "Regular expressions; tables whose schema.table matches one in full are not captured.", sdk.Default("")).
	Define(keySchemaInclude, sdk.TypeList, sdk.Medium, "Regular expressions; only schemas matching one in full are captured.", sdk.Default("")).
	Define(keySchemaExclude, sdk.TypeList, sdk.Medium, "Regular expressions; schemas matching one in full are not captured.", sdk.Default("")).
	Define(keyColumnInclude, sdk.TypeList, sdk.Medium, "Regular expressions; only columns whose schema.table.column matches one in full are emitted.", sdk.Default("")).
	Define(keyColumnExclude, sdk.TypeList, sdk.Medium, "Regular expressions; columns whose schema.table.column matches one in full are left out.", sdk.Default("")).
	Define(keySnapshotMode, sdk.TypeString, sdk.Medium, "initial, initial_only, no_data (never), always or when_needed.", sdk.Default("initial"),
		sdk.OneOf("initial", "initial_only", "no_data", "never", "always", "when_needed")).
	Define(keySnapshotFetchSize, sdk.TypeInt, sdk.Low, "Rows fetched per cursor round trip while snapshotting.", sdk.Default("10240"), sdk.AtLeast(1)).
	Define(keyHeartbeatInterval, sdk.TypeInt, sdk.Medium, "Milliseconds between heartbeat records; 0 disables them.", sdk.Default("0"), sdk.AtLeast(0)).
	Define(keyHeartbeatQuery, sdk.TypeString, sdk.Low, "SQL run on the database at every heartbeat (e.g. an UPDATE of a heartbeat table, to move the slot on an idle database).", sdk.Default("")).
	Define(keyHeartbeatPrefix, sdk.TypeString, sdk.Low, "Prefix of the heartbeat topic, <prefix>.<topic.prefix>.", sdk.Default("__debezium-heartbeat")).
	Define(keyTombstones, sdk.TypeBoolean, sdk.Medium, "Follow each delete with a tombstone (null value) of the same key.", sdk.Default("true")).
	Define(keyDecimalMode, sdk.TypeString, sdk.Medium, "numeric as precise (Connect Decimal), double or string.", sdk.Default("precise"),
		sdk.OneOf("precise", "double", "string")).
	Define(keyTimePrecision, sdk.TypeString, sdk.Medium, "adaptive (io.debezium.time.* by column precision) or connect (Connect's Date/Time/Timestamp).", sdk.Default("adaptive")).
	Define(keySchemaChanges, sdk.TypeBoolean, sdk.Low, "Debezium's schema change topic; PostgreSQL's connector emits none, so only false is accepted.", sdk.Default("false")).
	Define(keyMaxBatchSize, sdk.TypeInt, sdk.Low, "Most records one poll returns.", sdk.Default("2048"), sdk.AtLeast(1)).
	Define(keyPollInterval, sdk.TypeInt, sdk.Low, "Accepted for Debezium compatibility; polls wait on the stream instead.", sdk.Default("500"), sdk.AtLeast(0)).
	Define(keyStatusInterval, sdk.TypeInt, sdk.Low, "Milliseconds between standby status updates to the server.", sdk.Default("10000"), sdk.AtLeast(100)).
	RefuseUnknown()

// snapshotMode says when a task snapshots.
type snapshotMode string

const (
	snapshotInitial     snapshotMode = "initial"
	snapshotInitialOnly snapshotMode = "initial_only"
	snapshotNoData      snapshotMode = "no_data"
	snapshotAlways      snapshotMode = "always"
	snapshotWhenNeeded  snapshotMode = "when_needed"
)

// config is the typed connector config.
type config struct {
	Host, User, Password, DBName, SSLMode string
	Port                                  int
	Prefix                                string
	Slot                                  string
	DropSlot                              bool
	Publication                           string
	PublicationMode                       string
	Filter                                filter
	Snapshot                              snapshotMode
	FetchSize                             int
	Heartbeat                             time.Duration
	HeartbeatQuery                        string
	HeartbeatTopic                        string
	Tombstones                            bool
	Decimal                               string
	TimeConnect                           bool
	MaxBatch                              int
	StatusInterval                        time.Duration
}

// parseConfig checks what the generic checks cannot and yields the typed config; every
// problem names its key and the fix.
func parseConfig(c sdk.Config) (*config, []sdk.ConfigError) {
	var errs []sdk.ConfigError
	bad := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	cfg := &config{
		Host: c.String(keyHostname), User: c.String(keyUser), Password: c.String(keyPassword),
		DBName: c.String(keyDBName), SSLMode: strings.ToLower(strings.TrimSpace(c.String(keySSLMode))),
		Prefix: c.String(keyTopicPrefix), Slot: c.String(keySlotName), Publication: c.String(keyPublicationName),
		PublicationMode: strings.ToLower(strings.TrimSpace(c.String(keyPublicationMode))),
		HeartbeatQuery:  c.String(keyHeartbeatQuery),
		Decimal:         strings.ToLower(strings.TrimSpace(c.String(keyDecimalMode))),
	}
	cfg.Port, _ = c.Int(keyPort)
	cfg.DropSlot, _ = c.Bool(keySlotDropOnStop)
	cfg.Tombstones, _ = c.Bool(keyTombstones)
	cfg.FetchSize, _ = c.Int(keySnapshotFetchSize)
	cfg.MaxBatch, _ = c.Int(keyMaxBatchSize)
	hb, _ := c.Int(keyHeartbeatInterval)
	cfg.Heartbeat = time.Duration(hb) * time.Millisecond
	si, _ := c.Int(keyStatusInterval)
	cfg.StatusInterval = time.Duration(si) * time.Millisecond
	cfg.HeartbeatTopic = c.String(keyHeartbeatPrefix) + "." + cfg.Prefix

	if p := strings.ToLower(strings.TrimSpace(c.String(keyPluginName))); p != "pgoutput" {
		bad(keyPluginName, "plugin %q is not supported: only pgoutput (built into PostgreSQL 10+) is; set %s=pgoutput", c.String(keyPluginName), keyPluginName)
	}
	switch m := strings.ToLower(strings.TrimSpace(c.String(keySnapshotMode))); m {
	case "never":
		cfg.Snapshot = snapshotNoData
	default:
		cfg.Snapshot = snapshotMode(m)
	}
	switch m := strings.ToLower(strings.TrimSpace(c.String(keyTimePrecision))); m {
	case "adaptive":
	case "connect":
		cfg.TimeConnect = true
	default:
		bad(keyTimePrecision, "mode %q is not supported: use adaptive (Debezium's default) or connect", m)
	}
	if v, _ := c.Bool(keySchemaChanges); v {
		bad(keySchemaChanges, "schema change events are not emitted by the PostgreSQL connector; set %s=false or remove it", keySchemaChanges)
	}
	if !validIdent(cfg.Slot) {
		bad(keySlotName, "slot name %q must be lower-case letters, digits and underscores (at most 63), as PostgreSQL requires", cfg.Slot)
	}
	if strings.TrimSpace(cfg.Publication) == "" {
		bad(keyPublicationName, "must not be empty; name the publication (Debezium's default is dbz_publication)")
	}
	if strings.ContainsAny(cfg.Prefix, " /\\,:\"'") {
		bad(keyTopicPrefix, "%q may hold only letters, digits, '.', '_' and '-' (it starts every topic name)", cfg.Prefix)
	}
	var ferrs []sdk.ConfigError
	cfg.Filter, ferrs = parseFilter(c)
	errs = append(errs, ferrs...)
	return cfg, errs
}

var identRe = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

func validIdent(s string) bool { return identRe.MatchString(s) }

// dsn returns the connection string of a normal (replication=false) or a replication
// connection. Every session works in UTC with ISO dates, so text values parse one way.
func (c *config) dsn(replication bool) string {
	q := func(s string) string {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
	}
	s := fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=%s timezone=UTC datestyle=ISO,YMD intervalstyle=iso_8601 extra_float_digits=3 bytea_output=hex",
		q(c.Host), c.Port, q(c.User), q(c.DBName), c.SSLMode)
	if c.Password != "" {
		s += " password=" + q(c.Password)
	}
	if replication {
		s += " replication=database"
	}
	return s
}
