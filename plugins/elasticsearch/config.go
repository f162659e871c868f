package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// The connector's config keys, named as Confluent's ElasticsearchSinkConnectorConfig.
const (
	keyConnectionURL      = "connection.url"
	keyUsername           = "connection.username"
	keyPassword           = "connection.password"
	keyBatchSize          = "batch.size"
	keyBulkSizeBytes      = "bulk.size.bytes"
	keyMaxInFlight        = "max.in.flight.requests"
	keyMaxBuffered        = "max.buffered.records"
	keyLingerMs           = "linger.ms"
	keyFlushTimeoutMs     = "flush.timeout.ms"
	keyMaxRetries         = "max.retries"
	keyRetryBackoffMs     = "retry.backoff.ms"
	keyConnTimeoutMs      = "connection.timeout.ms"
	keyReadTimeoutMs      = "read.timeout.ms"
	keyCompression        = "connection.compression"
	keyIdleMs             = "max.connection.idle.time.ms"
	keyTypeName           = "type.name"
	keyKeyIgnore          = "key.ignore"
	keyTopicKeyIgnore     = "topic.key.ignore"
	keySchemaIgnore       = "schema.ignore"
	keyTopicSchemaIgnore  = "topic.schema.ignore"
	keyCompactMap         = "compact.map.entries"
	keyDropInvalid        = "drop.invalid.message"
	keyNullValues         = "behavior.on.null.values"
	keyMalformed          = "behavior.on.malformed.documents"
	keyWriteMethod        = "write.method"
	keyDataStreamType     = "data.stream.type"
	keyDataStreamDataset  = "data.stream.dataset"
	keyDataStreamTSField  = "data.stream.timestamp.field"
	keySecurityProtocol   = "elastic.security.protocol"
	keyTruststoreType     = "elastic.https.ssl.truststore.type"
	keyTruststoreLocation = "elastic.https.ssl.truststore.location"
	keyTruststorePassword = "elastic.https.ssl.truststore.password"
	keyTruststoreCerts    = "elastic.https.ssl.truststore.certificates"
	keyKeystoreType       = "elastic.https.ssl.keystore.type"
	keyKeystoreLocation   = "elastic.https.ssl.keystore.location"
	keyKeystorePassword   = "elastic.https.ssl.keystore.password"
	keyKeyPassword        = "elastic.https.ssl.key.password"
	keyKeystoreChain      = "elastic.https.ssl.keystore.certificate.chain"
	keyKeystoreKey        = "elastic.https.ssl.keystore.key"
	keyEndpointIdent      = "elastic.https.ssl.endpoint.identification.algorithm"
	keySSLProtocol        = "elastic.https.ssl.protocol"
	keyTopics             = "topics"
	keyTopicsRegex        = "topics.regex"
)

// The enumerated values, as Confluent spells them (compared ignoring case).
const (
	nullIgnore = "ignore"
	nullDelete = "delete"
	nullFail   = "fail"

	malformedIgnore = "ignore"
	malformedWarn   = "warn"
	malformedFail   = "fail"

	writeInsert = "insert"
	writeUpsert = "upsert"
)

func configDef() *sdk.ConfigDef {
	const conn, conv, sec, ds = "Connector", "Data Conversion", "Security", "Data Stream"
	g := sdk.Group
	return new(sdk.ConfigDef).
		Define(keyConnectionURL, sdk.TypeList, sdk.High, "The comma-separated list of one or more Elasticsearch URLs, such as `http://eshost1:9200,http://eshost2:9200` or `https://eshost3:9200`. A URL without a scheme is treated as http.",
			sdk.Required(), g(conn), sdk.DisplayName("Connection URLs")).
		Define(keyUsername, sdk.TypeString, sdk.Medium, "The username used to authenticate with Elasticsearch. Authentication is performed only if both the username and password are set.",
			sdk.Default(""), g(conn), sdk.DisplayName("Connection Username")).
		Define(keyPassword, sdk.TypePassword, sdk.Medium, "The password used to authenticate with Elasticsearch. Authentication is performed only if both the username and password are set.",
			sdk.Default(""), g(conn), sdk.DisplayName("Connection Password")).
		Define(keyBatchSize, sdk.TypeInt, sdk.Medium, "The number of records to process as a batch when writing to Elasticsearch: the most actions one bulk request holds.",
			sdk.Default("2000"), g(conn), sdk.AtLeast(1), atMost(1000000)).
		Define(keyBulkSizeBytes, sdk.TypeLong, sdk.Low, "The maximum size in bytes of one bulk request; -1 disables the limit. Whichever of this and batch.size is reached first ends a batch.",
			sdk.Default("5242880"), g(conn), sdk.AtLeast(-1)).
		Define(keyMaxInFlight, sdk.TypeInt, sdk.Medium, "The maximum number of bulk requests a task has in flight to Elasticsearch at once.",
			sdk.Default("5"), g(conn), sdk.AtLeast(1), atMost(1000)).
		Define(keyMaxBuffered, sdk.TypeInt, sdk.Low, "The maximum number of records each task buffers. Accepted for compatibility: a task writes each batch the kernel puts before accepting the next, so it never buffers more than one batch.",
			sdk.Default("20000"), g(conn), sdk.AtLeast(1)).
		Define(keyLingerMs, sdk.TypeLong, sdk.Low, "Linger time in milliseconds for batching. The kernel's consumer batch is the linger window: records that arrive while a bulk request is in flight are put together in the next batch; a task never holds records across puts (see the README).",
			sdk.Default("1"), g(conn), sdk.AtLeast(0), atMost(7*24*3600*1000)).
		Define(keyFlushTimeoutMs, sdk.TypeLong, sdk.Low, "The timeout in milliseconds for writing one batch, retries included. When it is exceeded the batch is reported as retriable and the kernel puts it again.",
			sdk.Default("180000"), g(conn), sdk.AtLeast(1)).
		Define(keyMaxRetries, sdk.TypeInt, sdk.Low, "The maximum number of retries of a failed bulk request or item (429, 5xx, connection errors). When they are exhausted, the batch is reported as retriable and nothing of it is committed.",
			sdk.Default("5"), g(conn), sdk.AtLeast(0)).
		Define(keyRetryBackoffMs, sdk.TypeLong, sdk.Low, "How long to wait in milliseconds before the first retry of a failed request. Later retries wait a random time up to twice as long as the previous maximum (exponential backoff with jitter).",
			sdk.Default("100"), g(conn), sdk.AtLeast(0)).
		Define(keyConnTimeoutMs, sdk.TypeInt, sdk.Low, "How long to wait in milliseconds when establishing a connection to the Elasticsearch server.",
			sdk.Default("1000"), g(conn), sdk.AtLeast(0)).
		Define(keyReadTimeoutMs, sdk.TypeInt, sdk.Low, "How long to wait in milliseconds for the Elasticsearch server to send a response.",
			sdk.Default("3000"), g(conn), sdk.AtLeast(0)).
		Define(keyCompression, sdk.TypeBoolean, sdk.Low, "Whether to gzip the body of bulk requests.",
			sdk.Default("false"), g(conn)).
		Define(keyIdleMs, sdk.TypeInt, sdk.Low, "How long in milliseconds an idle connection is kept before it is closed.",
			sdk.Default("60000"), g(conn), sdk.AtLeast(-1)).
		Define(keyTypeName, sdk.TypeString, sdk.Low, "The Elasticsearch type name. Elasticsearch 8 has no mapping types: accepted and ignored (a warning is logged when set).",
			sdk.Default(""), g(conv)).
		Define(keyKeyIgnore, sdk.TypeBoolean, sdk.High, "Whether to ignore the record key for the purpose of forming the document id. When true, document ids are the record's `topic+partition+offset`; when false, the key as a string (it must be an integer or a string).",
			sdk.Default("false"), g(conv)).
		Define(keyTopicKeyIgnore, sdk.TypeList, sdk.Low, "List of topics for which key.ignore is true.",
			sdk.Default(""), g(conv)).
		Define(keySchemaIgnore, sdk.TypeBoolean, sdk.Low, "Whether to ignore the value's schema. When false, the value is converted with its Connect schema (Decimal as a JSON number, Date as days, Time as milliseconds of the day, Timestamp as epoch milliseconds, maps as compact.map.entries says); when true, the value is written as JSON as it is.",
			sdk.Default("false"), g(conv)).
		Define(keyTopicSchemaIgnore, sdk.TypeList, sdk.Low, "List of topics for which schema.ignore is true.",
			sdk.Default(""), g(conv)).
		Define(keyCompactMap, sdk.TypeBoolean, sdk.Low, "How map entries with string keys are written when the schema is used: true as `\"entryKey\": \"entryValue\"`, false as nested documents `{\"key\": \"entryKey\", \"value\": \"entryValue\"}`. Entries with non-string keys are always nested documents.",
			sdk.Default("true"), g(conv)).
		Define(keyDropInvalid, sdk.TypeBoolean, sdk.Low, "Whether to drop (with an error logged) a record that cannot be converted to a document, such as one with a null key when the key is the document id.",
			sdk.Default("false"), g(conv)).
		Define(keyNullValues, sdk.TypeString, sdk.Low, "How to handle records with a null value (tombstones): ignore, delete (delete the document with the key's id), or fail.",
			sdk.Default("FAIL"), g(conv), sdk.OneOf(nullIgnore, nullDelete, nullFail)).
		Define(keyMalformed, sdk.TypeString, sdk.Low, "How to handle records Elasticsearch rejects because of the document itself, such as a mapping conflict: ignore, warn (log and skip), or fail (the record's put fails; the kernel's errors.tolerance decides whether it is dead-lettered).",
			sdk.Default("FAIL"), g(conv), sdk.OneOf(malformedIgnore, malformedWarn, malformedFail)).
		Define(keyWriteMethod, sdk.TypeString, sdk.Low, "How to write records: insert (index the document, replacing it) or upsert (partial update, creating the document when missing).",
			sdk.Default("INSERT"), g(conv), sdk.OneOf(writeInsert, writeUpsert)).
		Define(keyDataStreamType, sdk.TypeString, sdk.Low, "The type of data stream to write to: LOGS, METRICS, or NONE for indices. With a type and a dataset, records go to the data stream `<type>-<dataset>-<topic>` with op_type create.",
			sdk.Default("NONE"), g(ds), sdk.OneOf("logs", "metrics", "none")).
		Define(keyDataStreamDataset, sdk.TypeString, sdk.Low, "The dataset part of the data stream name; required with data.stream.type. No dashes, at most 100 characters.",
			sdk.Default(""), g(ds)).
		Define(keyDataStreamTSField, sdk.TypeList, sdk.Low, "Fields of the value whose first present one is copied to @timestamp in data streams; empty means the record's Kafka timestamp.",
			sdk.Default(""), g(ds)).
		Define(keySecurityProtocol, sdk.TypeString, sdk.Medium, "The security protocol to connect with: PLAINTEXT or SSL.",
			sdk.Default("PLAINTEXT"), g(sec), sdk.OneOf("PLAINTEXT", "SSL")).
		Define(keyTruststoreType, sdk.TypeString, sdk.Medium, "The format of the trust store. Only PEM can be read (JKS and PKCS12 are refused, naming the fix).",
			sdk.Default("JKS"), g(sec)).
		Define(keyTruststoreLocation, sdk.TypeString, sdk.Medium, "The path of a PEM file of the CA certificates to trust.",
			sdk.Default(""), g(sec)).
		Define(keyTruststorePassword, sdk.TypePassword, sdk.Medium, "The trust store's password; PEM trust stores have none, so it must be empty.",
			sdk.Default(""), g(sec)).
		Define(keyTruststoreCerts, sdk.TypePassword, sdk.Medium, "The CA certificates to trust, as PEM text (instead of a file).",
			sdk.Default(""), g(sec)).
		Define(keyKeystoreType, sdk.TypeString, sdk.Medium, "The format of the key store of the client certificate. Only PEM can be read.",
			sdk.Default("JKS"), g(sec)).
		Define(keyKeystoreLocation, sdk.TypeString, sdk.Medium, "The path of a PEM file holding the client's private key and certificate chain, for mutual TLS.",
			sdk.Default(""), g(sec)).
		Define(keyKeystorePassword, sdk.TypePassword, sdk.Medium, "The key store's password; PEM key stores must be unencrypted, so it must be empty.",
			sdk.Default(""), g(sec)).
		Define(keyKeyPassword, sdk.TypePassword, sdk.Medium, "The private key's password; the key must be unencrypted, so it must be empty.",
			sdk.Default(""), g(sec)).
		Define(keyKeystoreChain, sdk.TypePassword, sdk.Medium, "The client's certificate chain as PEM text (with elastic.https.ssl.keystore.key, instead of a file).",
			sdk.Default(""), g(sec)).
		Define(keyKeystoreKey, sdk.TypePassword, sdk.Medium, "The client's private key as PEM text.",
			sdk.Default(""), g(sec)).
		Define(keyEndpointIdent, sdk.TypeString, sdk.Low, "The endpoint identification algorithm: https checks the server's host name against its certificate; empty does not (the chain is still verified).",
			sdk.Default("https"), g(sec), sdk.OneOf("https", "")).
		Define(keySSLProtocol, sdk.TypeString, sdk.Low, "The lowest TLS version to use: TLSv1.2 or TLSv1.3 (TLS is the same as TLSv1.2).",
			sdk.Default("TLSv1.3"), g(sec), sdk.OneOf("TLS", "TLSv1.2", "TLSv1.3")).
		Define(keyTopics, sdk.TypeList, sdk.High, "The topics to consume, comma-separated. Read by the kernel, which assigns their partitions to the tasks.",
			g(conn)).
		Define(keyTopicsRegex, sdk.TypeString, sdk.High, "A regular expression of the topics to consume, instead of topics. Read by the kernel.",
			g(conn)).
		RefuseUnknown()
}

// atMost accepts only numbers of at most highest, as ConfigDef.Range.between's top.
func atMost(highest int64) sdk.KeyOption {
	return sdk.Check(func(v string) error {
		var n int64
		if _, err := fmt.Sscan(strings.TrimSpace(v), &n); err == nil && n > highest {
			return fmt.Errorf("Value must be no more than %d", highest)
		}
		return nil
	})
}

// config is the task's config, parsed.
type config struct {
	urls               []string
	username, password string
	batchSize          int
	bulkSizeBytes      int64
	maxInFlight        int
	flushTimeout       time.Duration
	maxRetries         int
	retryBackoff       time.Duration
	connTimeout        time.Duration
	readTimeout        time.Duration
	idleTimeout        time.Duration
	compression        bool
	typeName           string
	keyIgnore          bool
	keyIgnoreTopics    []string
	schemaIgnore       bool
	schemaIgnoreTopics []string
	compactMap         bool
	dropInvalid        bool
	nullValues         string
	malformed          string
	writeMethod        string
	dataStreamType     string // "" for none
	dataStreamDataset  string
	dataStreamTSFields []string
	tls                tlsSettings
}

// tlsSettings are the elastic.https.ssl.* keys that matter once parsed.
type tlsSettings struct {
	enabled            bool
	caFile, caPEM      string
	certFile           string // a PEM file with the key and chain
	certPEM, keyPEM    string
	skipHostnameCheck  bool
	minVersionTLS13    bool
	truststoreTypeSeen string
}

func (c *config) ignoreKey(topic string) bool {
	return c.keyIgnore || slices.Contains(c.keyIgnoreTopics, topic)
}

func (c *config) ignoreSchema(topic string) bool {
	return c.schemaIgnore || slices.Contains(c.schemaIgnoreTopics, topic)
}

func (c *config) isDataStream() bool { return c.dataStreamType != "" }

// parseConfig reads a config that passed the ConfigDef's checks into a typed config,
// reporting every value the connector cannot honour by key.
func parseConfig(cfg sdk.Config) (*config, []sdk.ConfigError) {
	var errs []sdk.ConfigError
	bad := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	// A value with a config provider placeholder (${file:…}) is resolved only when a
	// task starts: Validate accepts it as Parse does.
	placeholder := func(key string) bool { return strings.Contains(cfg[key], "${") }
	num := func(key string) int64 {
		if placeholder(key) {
			return 0
		}
		n, err := cfg.Int64(key)
		if err != nil {
			bad(key, "%v", err)
		}
		return n
	}
	flag := func(key string) bool {
		if placeholder(key) {
			return false
		}
		b, err := cfg.Bool(key)
		if err != nil {
			bad(key, "%v", err)
		}
		return b
	}
	ms := func(key string) time.Duration { return time.Duration(num(key)) * time.Millisecond }
	c := &config{
		username: cfg.String(keyUsername), password: cfg.String(keyPassword),
		batchSize: int(num(keyBatchSize)), bulkSizeBytes: num(keyBulkSizeBytes), maxInFlight: int(num(keyMaxInFlight)),
		flushTimeout: ms(keyFlushTimeoutMs), maxRetries: int(num(keyMaxRetries)),
		retryBackoff: ms(keyRetryBackoffMs), connTimeout: ms(keyConnTimeoutMs), readTimeout: ms(keyReadTimeoutMs),
		idleTimeout: ms(keyIdleMs), compression: flag(keyCompression), typeName: cfg.String(keyTypeName),
		keyIgnore: flag(keyKeyIgnore), keyIgnoreTopics: nonEmpty(cfg.List(keyTopicKeyIgnore)),
		schemaIgnore: flag(keySchemaIgnore), schemaIgnoreTopics: nonEmpty(cfg.List(keyTopicSchemaIgnore)),
		compactMap: flag(keyCompactMap), dropInvalid: flag(keyDropInvalid),
		nullValues:  strings.ToLower(strings.TrimSpace(cfg.String(keyNullValues))),
		malformed:   strings.ToLower(strings.TrimSpace(cfg.String(keyMalformed))),
		writeMethod: strings.ToLower(strings.TrimSpace(cfg.String(keyWriteMethod))),
	}
	if (c.username == "") != (c.password == "") {
		key := keyPassword
		if c.username == "" {
			key = keyUsername
		}
		bad(key, "connection.username and connection.password must be set together (authentication is performed only with both); set %s too or remove the other", key)
	}
	https := false
	for _, raw := range cfg.List(keyConnectionURL) {
		u := strings.TrimSpace(raw)
		if u == "" {
			bad(keyConnectionURL, "an empty URL in the list; give comma-separated URLs such as http://eshost1:9200")
			continue
		}
		if strings.Contains(u, "${") {
			c.urls = append(c.urls, u)
			continue
		}
		if !strings.Contains(u, "://") {
			u = "http://" + u
		}
		p, err := url.Parse(u)
		if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") {
			bad(keyConnectionURL, "%q is not an http:// or https:// URL with a host, such as http://eshost1:9200", raw)
			continue
		}
		https = https || p.Scheme == "https"
		c.urls = append(c.urls, strings.TrimRight(u, "/"))
	}
	if len(c.urls) == 0 && len(errs) == 0 {
		bad(keyConnectionURL, "no URL given; set it to the Elasticsearch URLs, such as http://eshost1:9200")
	}
	switch dt := strings.ToLower(strings.TrimSpace(cfg.String(keyDataStreamType))); dt {
	case "none", "":
		if cfg.String(keyDataStreamDataset) != "" {
			bad(keyDataStreamDataset, "set without data.stream.type; set data.stream.type to LOGS or METRICS, or remove data.stream.dataset")
		}
	default:
		c.dataStreamType = dt
		c.dataStreamDataset = cfg.String(keyDataStreamDataset)
		c.dataStreamTSFields = nonEmpty(cfg.List(keyDataStreamTSField))
		switch ds := c.dataStreamDataset; {
		case ds == "":
			bad(keyDataStreamDataset, "required with data.stream.type=%s; set it to the dataset, such as \"orders\"", cfg.String(keyDataStreamType))
		case strings.Contains(ds, "-") || len(ds) > 100 || strings.ToLower(ds) != ds || strings.ContainsAny(ds, "\\/*?\"<>| ,#:"):
			bad(keyDataStreamDataset, "%q is not a valid dataset: lower case, no dashes, at most 100 characters, none of \\/*?\"<>| ,#:", ds)
		}
		if c.writeMethod == writeUpsert {
			bad(keyWriteMethod, "upsert cannot write to a data stream (data streams take op_type create only); use write.method=insert or data.stream.type=NONE")
		}
		if c.nullValues == nullDelete {
			bad(keyNullValues, "delete cannot be used with a data stream (data streams are append-only); use ignore or fail, or data.stream.type=NONE")
		}
	}
	c.tls, errs = parseTLS(cfg, https, errs)
	return c, errs
}

func nonEmpty(items []string) []string {
	var out []string
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseTLS reads the security keys. Java key stores (JKS, PKCS12) cannot be read here:
// any key that needs one is refused, naming the key and how to convert to PEM.
func parseTLS(cfg sdk.Config, httpsURL bool, errs []sdk.ConfigError) (tlsSettings, []sdk.ConfigError) {
	bad := func(key, format string, args ...any) {
		errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	var t tlsSettings
	proto := strings.ToUpper(strings.TrimSpace(cfg.String(keySecurityProtocol)))
	t.enabled = proto == "SSL"
	sslKeys := []string{keyTruststoreLocation, keyTruststoreCerts, keyKeystoreLocation, keyKeystoreChain, keyKeystoreKey}
	if !t.enabled {
		for _, k := range sslKeys {
			if cfg.String(k) != "" {
				bad(k, "set while elastic.security.protocol is PLAINTEXT; set elastic.security.protocol=SSL to use it, or remove it")
			}
		}
		return t, errs
	}
	if !httpsURL {
		bad(keyConnectionURL, "elastic.security.protocol=SSL needs https:// URLs; change the URLs to https:// or set elastic.security.protocol=PLAINTEXT")
	}
	t.skipHostnameCheck = strings.TrimSpace(cfg.String(keyEndpointIdent)) == ""
	t.minVersionTLS13 = strings.TrimSpace(cfg.String(keySSLProtocol)) == "TLSv1.3"
	jksFix := func(key, what string) string {
		return fmt.Sprintf("%s stores cannot be read by this connector; export the %s as PEM (keytool -exportcert -rfc, or openssl pkcs12 -nodes) and set %s=PEM", what, key, key)
	}
	tsType := strings.ToUpper(strings.TrimSpace(cfg.String(keyTruststoreType)))
	t.truststoreTypeSeen = tsType
	t.caFile, t.caPEM = cfg.String(keyTruststoreLocation), cfg.String(keyTruststoreCerts)
	if t.caFile != "" || t.caPEM != "" {
		if tsType != "PEM" {
			bad(keyTruststoreType, "%s", jksFix(keyTruststoreType, tsType+" trust"))
		}
		if t.caFile != "" && t.caPEM != "" {
			bad(keyTruststoreCerts, "set together with elastic.https.ssl.truststore.location; give the CA certificates one way only")
		}
	}
	if cfg.String(keyTruststorePassword) != "" {
		bad(keyTruststorePassword, "PEM trust stores have no password; remove it")
	}
	ksType := strings.ToUpper(strings.TrimSpace(cfg.String(keyKeystoreType)))
	t.certFile, t.certPEM, t.keyPEM = cfg.String(keyKeystoreLocation), cfg.String(keyKeystoreChain), cfg.String(keyKeystoreKey)
	if t.certFile != "" || t.certPEM != "" || t.keyPEM != "" {
		if ksType != "PEM" {
			bad(keyKeystoreType, "%s", jksFix(keyKeystoreType, ksType+" key"))
		}
		if t.certFile != "" && (t.certPEM != "" || t.keyPEM != "") {
			bad(keyKeystoreChain, "set together with elastic.https.ssl.keystore.location; give the client certificate one way only")
		}
		if t.certFile == "" && (t.certPEM == "") != (t.keyPEM == "") {
			bad(keyKeystoreKey, "elastic.https.ssl.keystore.certificate.chain and elastic.https.ssl.keystore.key must be set together")
		}
	}
	for _, k := range []string{keyKeystorePassword, keyKeyPassword} {
		if cfg.String(k) != "" {
			bad(k, "encrypted keys cannot be read by this connector; decrypt the key (openssl pkey -in key.pem -out plain.pem) and remove %s", k)
		}
	}
	return t, errs
}
