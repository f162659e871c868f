package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// The keys both connectors take, as Confluent names them.
const (
	keyURL             = "connection.url"
	keyUser            = "connection.user"
	keyPassword        = "connection.password"
	keyAttempts        = "connection.attempts"
	keyBackoff         = "connection.backoff.ms"
	keyDialect         = "dialect.name"
	keyQuote           = "quote.sql.identifiers"
	keyTimezone        = "db.timezone"
	keyTableTypes      = "table.types"
	keyMode            = "mode"
	keyIncColumn       = "incrementing.column.name"
	keyTsColumn        = "timestamp.column.name"
	keyTsInitial       = "timestamp.initial"
	keyTsDelay         = "timestamp.delay.interval.ms"
	keyValidateNonNull = "validate.non.null"
	keyQuery           = "query"
	keyQuerySuffix     = "query.suffix"
	keyWhitelist       = "table.whitelist"
	keyBlacklist       = "table.blacklist"
	keyIncludeList     = "table.include.list"
	keyExcludeList     = "table.exclude.list"
	keyCatalogPattern  = "catalog.pattern"
	keySchemaPattern   = "schema.pattern"
	keyTopicPrefix     = "topic.prefix"
	keyPollInterval    = "poll.interval.ms"
	keyBatchMaxRows    = "batch.max.rows"
	keyTablePoll       = "table.poll.interval.ms"
	keyNumericMapping  = "numeric.mapping"
	keyNumericPrec     = "numeric.precision.mapping"
	keyIsolation       = "transaction.isolation.mode"
	keyQueryRetries    = "query.retry.attempts"
	// keyTables is set by the source connector in each task's config: the tables it reads.
	keyTables = "tables"
	// keyTaskSlot is set by the source connector in each task's config: "index/count",
	// which new tables the task picks up.
	keyTaskSlot = "tributary.task.slot"

	keyInsertMode    = "insert.mode"
	keyBatchSize     = "batch.size"
	keyDeleteEnabled = "delete.enabled"
	keyTableFormat   = "table.name.format"
	keyPKMode        = "pk.mode"
	keyPKFields      = "pk.fields"
	keyFieldsList    = "fields.whitelist"
	keyAutoCreate    = "auto.create"
	keyAutoEvolve    = "auto.evolve"
	keyMaxRetries    = "max.retries"
	keyRetryBackoff  = "retry.backoff.ms"
)

// Source modes, as Confluent's mode key spells them.
const (
	modeBulk         = "bulk"
	modeIncrementing = "incrementing"
	modeTimestamp    = "timestamp"
	modeTsInc        = "timestamp+incrementing"
)

func defineConnection(d *sdk.ConfigDef) *sdk.ConfigDef {
	return d.
		Define(keyURL, sdk.TypeString, sdk.High, "JDBC connection URL: jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db or jdbc:mariadb://host:port/db; user, password and sslmode query parameters are honoured.", sdk.Required()).
		Define(keyUser, sdk.TypeString, sdk.High, "Database user (overrides the URL's user parameter).", sdk.Default("")).
		Define(keyPassword, sdk.TypeString, sdk.High, "Password of the user.", sdk.Default(""), sdk.Secret()).
		Define(keyAttempts, sdk.TypeInt, sdk.Low, "Attempts to connect before a task fails.", sdk.Default("3"), sdk.AtLeast(1)).
		Define(keyBackoff, sdk.TypeLong, sdk.Low, "Milliseconds between connection attempts.", sdk.Default("10000"), sdk.AtLeast(0)).
		Define(keyDialect, sdk.TypeString, sdk.Low, "Dialect to use instead of the URL's: PostgreSqlDatabaseDialect, MySqlDatabaseDialect or empty.", sdk.Default(""),
			sdk.OneOf("", "PostgreSqlDatabaseDialect", "MySqlDatabaseDialect")).
		Define(keyQuote, sdk.TypeString, sdk.Medium, "always: quote every table and column name in SQL; never: write them as given.", sdk.Default("always"),
			sdk.OneOf("always", "never")).
		Define(keyTimezone, sdk.TypeString, sdk.Medium, "Time zone (IANA name) of date-times stored without one (PostgreSQL timestamp, MySQL DATETIME).", sdk.Default("UTC"),
			sdk.Check(func(v string) error { _, err := time.LoadLocation(v); return err })).
		Define(keyTableTypes, sdk.TypeList, sdk.Low, "Table types to read (source) or look up (sink): TABLE, VIEW.", sdk.Default("TABLE"))
}

// sourceDef declares every key the source supports; any other key is refused by name.
var sourceDef = defineConnection(new(sdk.ConfigDef)).
	Define(keyMode, sdk.TypeString, sdk.High, "bulk, incrementing, timestamp or timestamp+incrementing.", sdk.Required(),
		sdk.OneOf(modeBulk, modeIncrementing, modeTimestamp, modeTsInc)).
	Define(keyIncColumn, sdk.TypeString, sdk.Medium, "Strictly increasing column of the incrementing modes.", sdk.Default("")).
	Define(keyTsColumn, sdk.TypeList, sdk.Medium, "Timestamp column(s) of the timestamp modes; several are COALESCEd in order.", sdk.Default("")).
	Define(keyTsInitial, sdk.TypeLong, sdk.Low, "Epoch milliseconds to start the timestamp modes from when there is no offset; -1 is now; unset is the epoch.").
	Define(keyTsDelay, sdk.TypeLong, sdk.Medium, "Milliseconds a row's timestamp must be older than the database's clock before it is read.", sdk.Default("0"), sdk.AtLeast(0)).
	Define(keyValidateNonNull, sdk.TypeBoolean, sdk.Low, "Refuse incrementing and timestamp columns that are nullable.", sdk.Default("true")).
	Define(keyQuery, sdk.TypeString, sdk.Medium, "Custom SELECT to run instead of reading tables; offsets are keyed by {\"query\":\"query\"}.", sdk.Default("")).
	Define(keyQuerySuffix, sdk.TypeString, sdk.Low, "Text appended to every SELECT.", sdk.Default("")).
	Define(keyWhitelist, sdk.TypeList, sdk.Medium, "Tables to read (names or fully qualified names); empty is every table.", sdk.Default("")).
	Define(keyBlacklist, sdk.TypeList, sdk.Medium, "Tables not to read.", sdk.Default("")).
	Define(keyIncludeList, sdk.TypeList, sdk.Medium, "Newer name of table.whitelist.", sdk.Default("")).
	Define(keyExcludeList, sdk.TypeList, sdk.Medium, "Newer name of table.blacklist.", sdk.Default("")).
	Define(keyCatalogPattern, sdk.TypeString, sdk.Low, "LIKE pattern of catalogs to read tables of (PostgreSQL: the database; MySQL: the database).", sdk.Default("")).
	Define(keySchemaPattern, sdk.TypeString, sdk.Low, "LIKE pattern of schemas to read tables of (PostgreSQL only; MySQL has none).", sdk.Default("")).
	Define(keyTopicPrefix, sdk.TypeString, sdk.High, "Prefix of the topics: <prefix><table>, or the topic itself with query. Must be set; may be empty, as Confluent allows.").
	Define(keyPollInterval, sdk.TypeInt, sdk.High, "Milliseconds between polls of one table.", sdk.Default("5000"), sdk.AtLeast(1)).
	Define(keyBatchMaxRows, sdk.TypeInt, sdk.Low, "Most rows one poll returns of one table.", sdk.Default("100"), sdk.AtLeast(1)).
	Define(keyTablePoll, sdk.TypeLong, sdk.Low, "Milliseconds between looks for new or removed tables.", sdk.Default("60000"), sdk.AtLeast(0)).
	Define(keyNumericMapping, sdk.TypeString, sdk.Low, "none (Decimal), best_fit or precision_only, as Confluent maps NUMERIC.", sdk.Default(""),
		sdk.OneOf("", "none", "best_fit", "best_fit_eager_double", "precision_only")).
	Define(keyNumericPrec, sdk.TypeBoolean, sdk.Low, "Deprecated: true is numeric.mapping=precision_only.", sdk.Default("false")).
	Define(keyIsolation, sdk.TypeString, sdk.Low, "Isolation of the poll's transaction: DEFAULT, READ_UNCOMMITTED, READ_COMMITTED, REPEATABLE_READ, SERIALIZABLE.", sdk.Default("DEFAULT"),
		sdk.OneOf("DEFAULT", "READ_UNCOMMITTED", "READ_COMMITTED", "REPEATABLE_READ", "SERIALIZABLE", "SQL_SERVER_SNAPSHOT")).
	Define(keyQueryRetries, sdk.TypeInt, sdk.Low, "Times a failing query is retried before the task fails; -1 is forever.", sdk.Default("-1")).
	Define(keyTables, sdk.TypeList, sdk.Low, "Set by the connector in each task's config: the tables the task reads.", sdk.Default("")).
	Define(keyTaskSlot, sdk.TypeString, sdk.Low, "Set by the connector in each task's config: index/count of the task.", sdk.Default("")).
	RefuseUnknown()

// sinkDef declares every key the sink supports; any other key is refused by name.
var sinkDef = defineConnection(new(sdk.ConfigDef)).
	Define(keyInsertMode, sdk.TypeString, sdk.High, "insert, upsert (PostgreSQL ON CONFLICT … DO UPDATE, MySQL ON DUPLICATE KEY UPDATE) or update.", sdk.Default("insert"),
		sdk.OneOf("insert", "upsert", "update")).
	Define(keyBatchSize, sdk.TypeInt, sdk.Medium, "Most rows one statement writes.", sdk.Default("3000"), sdk.AtLeast(1)).
	Define(keyDeleteEnabled, sdk.TypeBoolean, sdk.Medium, "Delete the row of a tombstone's key (needs pk.mode=record_key).", sdk.Default("false")).
	Define(keyTableFormat, sdk.TypeString, sdk.Medium, "Target table name; ${topic} is the record's topic.", sdk.Default("${topic}")).
	Define(keyPKMode, sdk.TypeString, sdk.High, "none, kafka (topic, partition, offset), record_key or record_value.", sdk.Default("none"),
		sdk.OneOf("none", "kafka", "record_key", "record_value")).
	Define(keyPKFields, sdk.TypeList, sdk.Medium, "Primary key columns; their meaning depends on pk.mode.", sdk.Default("")).
	Define(keyFieldsList, sdk.TypeList, sdk.Medium, "Value fields to write; empty is all.", sdk.Default("")).
	Define(keyAutoCreate, sdk.TypeBoolean, sdk.Medium, "CREATE TABLE a missing target table from the record's schema.", sdk.Default("false")).
	Define(keyAutoEvolve, sdk.TypeBoolean, sdk.Medium, "ALTER TABLE ADD the columns of new optional fields (never drops).", sdk.Default("false")).
	Define(keyMaxRetries, sdk.TypeInt, sdk.Medium, "Retries of a write that failed for a reason other than the data.", sdk.Default("10"), sdk.AtLeast(0)).
	Define(keyRetryBackoff, sdk.TypeInt, sdk.Medium, "Milliseconds between retries.", sdk.Default("3000"), sdk.AtLeast(0)).
	RefuseUnknown()

// connConfig is what both connectors need to reach the database.
type connConfig struct {
	url      dbURL
	attempts int
	backoff  time.Duration
	quote    bool
	tz       *time.Location
	types    []string
}

func parseConnConfig(c sdk.Config, bad func(key, format string, args ...any)) connConfig {
	var cc connConfig
	u, err := parseURL(c.String(keyURL), c.String(keyUser), c.String(keyPassword))
	if err != nil {
		bad(keyURL, "%v", err)
	}
	switch c.String(keyDialect) {
	case "PostgreSqlDatabaseDialect":
		if err == nil && u.kind != postgres {
			bad(keyDialect, "PostgreSqlDatabaseDialect does not speak to a %s URL; remove %s or fix %s", u.kind, keyDialect, keyURL)
		}
	case "MySqlDatabaseDialect":
		if err == nil && u.kind != mysqlDB {
			bad(keyDialect, "MySqlDatabaseDialect does not speak to a %s URL; remove %s or fix %s", u.kind, keyDialect, keyURL)
		}
	}
	cc.url = u
	cc.attempts, _ = c.Int(keyAttempts)
	b, _ := c.Int64(keyBackoff)
	cc.backoff = time.Duration(b) * time.Millisecond
	cc.quote = strings.EqualFold(c.String(keyQuote), "always")
	cc.tz, err = time.LoadLocation(c.String(keyTimezone))
	if err != nil {
		cc.tz = time.UTC
	}
	for _, t := range c.List(keyTableTypes) {
		t = strings.ToUpper(strings.TrimSpace(t))
		if t != "TABLE" && t != "VIEW" {
			bad(keyTableTypes, "table type %q is not supported: use TABLE, VIEW or both", t)
		}
		cc.types = append(cc.types, t)
	}
	return cc
}

// sourceConfig is the typed source config.
type sourceConfig struct {
	connConfig
	mode            string
	incColumn       string
	tsColumns       []string
	tsInitial       *int64
	tsDelay         time.Duration
	validateNonNull bool
	query           string
	querySuffix     string
	include         []string
	exclude         []string
	catalogPattern  string
	schemaPattern   string
	topicPrefix     string
	pollInterval    time.Duration
	batchMaxRows    int
	tablePoll       time.Duration
	numeric         string
	isolation       string
	queryRetries    int
	tables          []string
	slot, slots     int
}

// parseSourceConfig checks what the generic checks cannot and yields the typed config;
// every problem names its key and the fix.
func parseSourceConfig(c sdk.Config) (*sourceConfig, []sdk.ConfigError) {
	var errs []sdk.ConfigError
	bad := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	cfg := &sourceConfig{connConfig: parseConnConfig(c, bad)}
	cfg.mode = strings.ToLower(strings.TrimSpace(c.String(keyMode)))
	cfg.incColumn = strings.TrimSpace(c.String(keyIncColumn))
	for _, col := range c.List(keyTsColumn) {
		if col != "" {
			cfg.tsColumns = append(cfg.tsColumns, col)
		}
	}
	if v := strings.TrimSpace(c.String(keyTsInitial)); v != "" {
		n, _ := c.Int64(keyTsInitial)
		cfg.tsInitial = &n
	}
	d, _ := c.Int64(keyTsDelay)
	cfg.tsDelay = time.Duration(d) * time.Millisecond
	cfg.validateNonNull, _ = c.Bool(keyValidateNonNull)
	cfg.query = strings.TrimSpace(c.String(keyQuery))
	cfg.querySuffix = c.String(keyQuerySuffix)
	cfg.include = nonEmpty(append(c.List(keyWhitelist), c.List(keyIncludeList)...))
	cfg.exclude = nonEmpty(append(c.List(keyBlacklist), c.List(keyExcludeList)...))
	cfg.catalogPattern = c.String(keyCatalogPattern)
	cfg.schemaPattern = c.String(keySchemaPattern)
	cfg.topicPrefix = c.String(keyTopicPrefix)
	if _, ok := c[keyTopicPrefix]; !ok {
		bad(keyTopicPrefix, "Missing required configuration %q which has no default value (it may be empty).", keyTopicPrefix)
	}
	pi, _ := c.Int(keyPollInterval)
	cfg.pollInterval = time.Duration(pi) * time.Millisecond
	cfg.batchMaxRows, _ = c.Int(keyBatchMaxRows)
	tp, _ := c.Int64(keyTablePoll)
	cfg.tablePoll = time.Duration(tp) * time.Millisecond
	cfg.numeric = strings.ToLower(c.String(keyNumericMapping))
	if cfg.numeric == "" {
		cfg.numeric = "none"
		if p, _ := c.Bool(keyNumericPrec); p {
			cfg.numeric = "precision_only"
		}
	}
	if cfg.numeric == "best_fit_eager_double" {
		cfg.numeric = "best_fit"
	}
	cfg.isolation = strings.ToUpper(c.String(keyIsolation))
	if cfg.isolation == "SQL_SERVER_SNAPSHOT" {
		bad(keyIsolation, "SQL_SERVER_SNAPSHOT is SQL Server's; use DEFAULT, READ_COMMITTED, REPEATABLE_READ or SERIALIZABLE")
	}
	cfg.queryRetries, _ = c.Int(keyQueryRetries)
	cfg.tables = nonEmpty(c.List(keyTables))
	if s := c.String(keyTaskSlot); s != "" {
		if _, err := fmt.Sscanf(s, "%d/%d", &cfg.slot, &cfg.slots); err != nil || cfg.slots < 1 || cfg.slot < 0 || cfg.slot >= cfg.slots {
			bad(keyTaskSlot, "%q is not index/count; it is set by the connector, remove it", s)
		}
	}

	switch cfg.mode {
	case modeIncrementing:
		if cfg.incColumn == "" {
			bad(keyIncColumn, "mode %s needs the strictly increasing column; set %s", cfg.mode, keyIncColumn)
		}
	case modeTimestamp:
		if len(cfg.tsColumns) == 0 {
			bad(keyTsColumn, "mode %s needs the timestamp column(s); set %s", cfg.mode, keyTsColumn)
		}
	case modeTsInc:
		if cfg.incColumn == "" {
			bad(keyIncColumn, "mode %s needs the strictly increasing column; set %s", cfg.mode, keyIncColumn)
		}
		if len(cfg.tsColumns) == 0 {
			bad(keyTsColumn, "mode %s needs the timestamp column(s); set %s", cfg.mode, keyTsColumn)
		}
	}
	if cfg.query != "" && (len(cfg.include) > 0 || len(cfg.exclude) > 0) {
		bad(keyQuery, "a query reads no tables: remove %s/%s (or %s/%s), or remove %s", keyWhitelist, keyBlacklist, keyIncludeList, keyExcludeList, keyQuery)
	}
	if len(cfg.include) > 0 && len(cfg.exclude) > 0 {
		bad(keyBlacklist, "set either a table include list (%s/%s) or an exclude list (%s/%s), not both", keyWhitelist, keyIncludeList, keyBlacklist, keyExcludeList)
	}
	if cfg.schemaPattern != "" && cfg.url.kind == mysqlDB {
		bad(keySchemaPattern, "MySQL and MariaDB have no schemas inside a database; use %s for the database, or remove %s", keyCatalogPattern, keySchemaPattern)
	}
	return cfg, errs
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Primary key modes, as Confluent's pk.mode spells them.
const (
	pkNone        = "none"
	pkKafka       = "kafka"
	pkRecordKey   = "record_key"
	pkRecordValue = "record_value"
)

// sinkConfig is the typed sink config.
type sinkConfig struct {
	connConfig
	insertMode    string
	batchSize     int
	deleteEnabled bool
	tableFormat   string
	pkMode        string
	pkFields      []string
	fields        []string
	autoCreate    bool
	autoEvolve    bool
	maxRetries    int
	retryBackoff  time.Duration
}

// parseSinkConfig checks what the generic checks cannot and yields the typed config.
func parseSinkConfig(c sdk.Config) (*sinkConfig, []sdk.ConfigError) {
	var errs []sdk.ConfigError
	bad := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	cfg := &sinkConfig{connConfig: parseConnConfig(c, bad)}
	cfg.insertMode = strings.ToLower(c.String(keyInsertMode))
	cfg.batchSize, _ = c.Int(keyBatchSize)
	cfg.deleteEnabled, _ = c.Bool(keyDeleteEnabled)
	cfg.tableFormat = c.String(keyTableFormat)
	cfg.pkMode = strings.ToLower(c.String(keyPKMode))
	cfg.pkFields = nonEmpty(c.List(keyPKFields))
	cfg.fields = nonEmpty(c.List(keyFieldsList))
	cfg.autoCreate, _ = c.Bool(keyAutoCreate)
	cfg.autoEvolve, _ = c.Bool(keyAutoEvolve)
	cfg.maxRetries, _ = c.Int(keyMaxRetries)
	rb, _ := c.Int(keyRetryBackoff)
	cfg.retryBackoff = time.Duration(rb) * time.Millisecond
	if cfg.deleteEnabled && cfg.pkMode != pkRecordKey {
		bad(keyDeleteEnabled, "deletes are by the record key: set %s=record_key (now %s), or %s=false", keyPKMode, cfg.pkMode, keyDeleteEnabled)
	}
	if cfg.insertMode != "insert" && cfg.pkMode == pkNone {
		bad(keyPKMode, "%s=%s needs a primary key to match rows by; set %s to kafka, record_key or record_value", keyInsertMode, cfg.insertMode, keyPKMode)
	}
	if cfg.pkMode == pkKafka && len(cfg.pkFields) != 0 && len(cfg.pkFields) != 3 {
		bad(keyPKFields, "pk.mode=kafka takes three column names (topic, partition, offset) or none for __connect_topic,__connect_partition,__connect_offset; got %d", len(cfg.pkFields))
	}
	if cfg.pkMode == pkNone && len(cfg.pkFields) > 0 {
		bad(keyPKFields, "pk.mode=none uses no key columns; remove %s or set %s", keyPKFields, keyPKMode)
	}
	if !strings.Contains(cfg.tableFormat, "${topic}") && strings.Contains(cfg.tableFormat, "${") {
		bad(keyTableFormat, "only ${topic} is replaced in %q; remove the other placeholder", cfg.tableFormat)
	}
	return cfg, errs
}
