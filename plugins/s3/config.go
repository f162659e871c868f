package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// The keys, named as Confluent's S3SinkConnectorConfig and the storage-common configs it
// builds on (StorageCommonConfig, StorageSinkConnectorConfig, PartitionerConfig).
const (
	// Storage and S3.
	keyBucket          = "s3.bucket.name"
	keyRegion          = "s3.region"
	keyStoreURL        = "store.url"
	keyPathStyle       = "s3.path.style.access.enabled"
	keyAccessKey       = "aws.access.key.id"
	keySecretKey       = "aws.secret.access.key"
	keyCredsProvider   = "s3.credentials.provider.class"
	keyPartSize        = "s3.part.size"
	keyPartRetries     = "s3.part.retries"
	keyRetryBackoff    = "s3.retry.backoff.ms"
	keyCompression     = "s3.compression.type"
	keyCompressLevel   = "s3.compression.level"
	keySSEA            = "s3.ssea.name"
	keyACL             = "s3.acl.canned"
	keyStorageClass    = "storage.class"
	keyTopicsDir       = "topics.dir"
	keyDirDelim        = "directory.delim"
	keyFileDelim       = "file.delim"
	keyZeroPad         = "filename.offset.zero.pad.width"
	keyNullValues      = "behavior.on.null.values"
	keyBytesExt        = "format.bytearray.extension"
	keyBytesSep        = "format.bytearray.separator"
	keyDecimalFormat   = "json.decimal.format"
	keyRetryBackoffOld = "retry.backoff.ms"
	keyShutdownTimeout = "shutdown.timeout.ms"

	// Files.
	keyFormat          = "format.class"
	keyFlushSize       = "flush.size"
	keyRotateInterval  = "rotate.interval.ms"
	keyRotateSchedule  = "rotate.schedule.interval.ms"
	keyRotateOnChange  = "rotate.file.on.partition.change"
	keySchemaCompat    = "schema.compatibility"
	keyAvroCodec       = "avro.codec"
	keyParquetCodec    = "parquet.codec"
	keySchemaCacheSize = "schema.cache.size"
	keyEnhancedAvro    = "enhanced.avro.schema.support"
	keyConnectMeta     = "connect.meta.data"

	// Partitioner.
	keyPartitioner   = "partitioner.class"
	keyFieldName     = "partition.field.name"
	keyDuration      = "partition.duration.ms"
	keyPathFormat    = "path.format"
	keyLocale        = "locale"
	keyTimezone      = "timezone"
	keyTSExtractor   = "timestamp.extractor"
	keyTSField       = "timestamp.field"
	keyTopics        = "topics"
	keyTopicsRegex   = "topics.regex"
	defaultPartSize  = 25 * 1024 * 1024
	minPartSize      = 5 * 1024 * 1024
	defaultRegion    = "us-west-2"
	s3StorageClass   = "io.confluent.connect.s3.storage.S3Storage"
	credsDefaultV2   = "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"
	credsDefaultV1   = "com.amazonaws.auth.DefaultAWSCredentialsProviderChain"
	partitionerPkg   = "io.confluent.connect.storage.partitioner."
	formatPkg        = "io.confluent.connect.s3.format."
	extractorRecord  = "Record"
	extractorField   = "RecordField"
	extractorWallclk = "Wallclock"
)

// The format classes.
const (
	formatJSON    = formatPkg + "json.JsonFormat"
	formatBytes   = formatPkg + "bytearray.ByteArrayFormat"
	formatParquet = formatPkg + "parquet.ParquetFormat"
	formatAvro    = formatPkg + "avro.AvroFormat"
)

// The partitioner classes.
const (
	partDefault = partitionerPkg + "DefaultPartitioner"
	partField   = partitionerPkg + "FieldPartitioner"
	partTime    = partitionerPkg + "TimeBasedPartitioner"
	partDaily   = partitionerPkg + "DailyPartitioner"
	partHourly  = partitionerPkg + "HourlyPartitioner"
)

// parquetCodecs maps parquet.codec's values to the extension Parquet's
// CompressionCodecName gives each, which Confluent puts before ".parquet".
var parquetCodecs = map[string]string{"none": "", "uncompressed": "", "snappy": ".snappy", "gzip": ".gz", "zstd": ".zstd", "lz4": ".lz4raw"}

// avroCodecs are the avro.codec values hamba/avro writes.
var avroCodecs = []string{"null", "deflate", "snappy", "zstandard"}

// def is the connector's config definition.
func def() *sdk.ConfigDef {
	const s3g, conn, part = "S3", "Connector", "Partitioner"
	g := sdk.Group
	return new(sdk.ConfigDef).
		Define(keyBucket, sdk.TypeString, sdk.High, "The S3 Bucket.", sdk.Required(), g(s3g), sdk.DisplayName("S3 Bucket")).
		Define(keyRegion, sdk.TypeString, sdk.Medium, "The AWS region to be used the connector.", sdk.Default(defaultRegion), g(s3g)).
		Define(keyStoreURL, sdk.TypeString, sdk.High, "The S3 endpoint to use instead of AWS's, e.g. `http://minio:9000` (S3-compatible stores); objects are addressed path-style unless s3.path.style.access.enabled=false.",
			sdk.Default(""), g(s3g)).
		Define(keyPathStyle, sdk.TypeBoolean, sdk.Low, "Specifies whether or not to enable path style access to the bucket used by the connector.", sdk.Default("true"), g(s3g)).
		Define(keyAccessKey, sdk.TypeString, sdk.High, "The AWS access key ID. Empty: the AWS SDK's default credential chain (environment, shared config and credentials files, web identity, ECS and EC2 roles).",
			sdk.Default(""), g(s3g)).
		Define(keySecretKey, sdk.TypePassword, sdk.High, "The secret access key of aws.access.key.id.", sdk.Default(""), g(s3g)).
		Define(keyCredsProvider, sdk.TypeClass, sdk.Low, "Credentials provider to use when aws.access.key.id is empty. Only the default chain is supported ("+credsDefaultV2+" or "+credsDefaultV1+").",
			sdk.Default(credsDefaultV2), g(s3g), sdk.OneOf(credsDefaultV2, credsDefaultV1)).
		Define(keyPartSize, sdk.TypeInt, sdk.High, "The Part Size in S3 Multi-part Uploads: an object larger than this is uploaded in parts of this size (at least 5 MiB).",
			sdk.Default(strconv.Itoa(defaultPartSize)), g(s3g), sdk.AtLeast(minPartSize)).
		Define(keyPartRetries, sdk.TypeInt, sdk.Medium, "Maximum number of retry attempts for failed requests. Zero means no retries.", sdk.Default("3"), g(s3g), sdk.AtLeast(0)).
		Define(keyRetryBackoff, sdk.TypeLong, sdk.Low, "How long to wait in milliseconds before attempting the first retry of a failed S3 request; each further retry waits up to twice as long.",
			sdk.Default("200"), g(s3g), sdk.AtLeast(0)).
		Define(keyCompression, sdk.TypeString, sdk.Low, "Compression type for files written to S3, with JsonFormat or ByteArrayFormat: none or gzip (which adds .gz to the name).",
			sdk.Default("none"), g(s3g), sdk.OneOf("none", "gzip")).
		Define(keyCompressLevel, sdk.TypeInt, sdk.Low, "Compression level for gzip, -1 (the default level) to 9.", sdk.Default("-1"), g(s3g), sdk.AtLeast(-1), sdk.Check(atMost(9))).
		Define(keySSEA, sdk.TypeString, sdk.Low, "The S3 Server Side Encryption Algorithm. Only empty (the bucket's default encryption) is supported.", sdk.Default(""), g(s3g)).
		Define(keyACL, sdk.TypeString, sdk.Low, "An S3 canned ACL header value to apply when writing objects. Only empty (none) is supported.", sdk.Default(""), g(s3g)).
		Define(keyNullValues, sdk.TypeString, sdk.Low, "How to handle records with a null value (tombstones): ignore skips them, fail fails the task. (write is not supported.)",
			sdk.Default("fail"), g(s3g), sdk.OneOf("ignore", "fail", "write")).
		Define(keyBytesExt, sdk.TypeString, sdk.Low, "Output file extension for ByteArrayFormat.", sdk.Default(".bin"), g(s3g)).
		Define(keyBytesSep, sdk.TypeString, sdk.Low, "String inserted between records for ByteArrayFormat; escape sequences such as \\n are read. Unset: a newline.", g(s3g)).
		Define(keyDecimalFormat, sdk.TypeString, sdk.Medium, "How JsonFormat writes Decimals: BASE64 (the unscaled value's bytes, as Kafka's JsonConverter) or NUMERIC (a JSON number).",
			sdk.Default("BASE64"), g(s3g), sdk.OneOf("BASE64", "NUMERIC")).
		Define(keyStorageClass, sdk.TypeClass, sdk.High, "The underlying storage layer: must be "+s3StorageClass+".", sdk.Default(s3StorageClass), g(conn), sdk.OneOf(s3StorageClass)).
		Define(keyTopicsDir, sdk.TypeString, sdk.High, "Top level directory to store the data ingested from Kafka.", sdk.Default("topics"), g(conn)).
		Define(keyDirDelim, sdk.TypeString, sdk.Medium, "Directory delimiter pattern.", sdk.Default("/"), g(conn)).
		Define(keyFileDelim, sdk.TypeString, sdk.Medium, "File delimiter pattern.", sdk.Default("+"), g(conn)).
		Define(keyZeroPad, sdk.TypeInt, sdk.Low, "Width to zero-pad offsets in object names to.", sdk.Default("10"), g(conn), sdk.AtLeast(0)).
		Define(keyFormat, sdk.TypeClass, sdk.High, "The format class to use when writing data to the store: "+formatJSON+", "+formatBytes+", "+formatParquet+" or "+formatAvro+".",
			sdk.Required(), g(conn), sdk.OneOf(formatJSON, formatBytes, formatParquet, formatAvro)).
		Define(keyFlushSize, sdk.TypeInt, sdk.High, "Number of records written to store before invoking file commits.", sdk.Required(), g(conn), sdk.AtLeast(1)).
		Define(keyRotateInterval, sdk.TypeLong, sdk.High, "The time interval in milliseconds to invoke file commits, measured by the timestamp extractor's time (record time with timestamp.extractor=Record): a file is committed when a record's time is this much past the file's first record's. -1 disables it.",
			sdk.Default("-1"), g(conn)).
		Define(keyRotateSchedule, sdk.TypeLong, sdk.Medium, "The time interval in milliseconds to periodically invoke file commits by the wall clock, aligned to midnight in timezone (which must be set). -1 disables it. Not exactly-once: what a file holds depends on when it was written.",
			sdk.Default("-1"), g(conn)).
		Define(keyRotateOnChange, sdk.TypeBoolean, sdk.Low, "With rotate.interval.ms, commit the open files when a record's encoded partition differs from the previous record's.", sdk.Default("true"), g(conn)).
		Define(keySchemaCompat, sdk.TypeString, sdk.High, "The schema compatibility rule: NONE (a new file whenever the value schema changes) is the only one supported.",
			sdk.Default("NONE"), g(conn), sdk.OneOf("NONE", "BACKWARD", "FORWARD", "FULL")).
		Define(keyAvroCodec, sdk.TypeString, sdk.Low, "The Avro compression codec: null, deflate, snappy or zstandard.", sdk.Default("null"), g(conn), sdk.OneOf(append(avroCodecs, "bzip2", "xz")...)).
		Define(keyParquetCodec, sdk.TypeString, sdk.Low, "The Parquet compression codec: none, snappy, gzip, zstd or lz4.", sdk.Default("snappy"), g(conn),
			sdk.OneOf("none", "uncompressed", "snappy", "gzip", "zstd", "lz4", "lzo", "brotli")).
		Define(keySchemaCacheSize, sdk.TypeInt, sdk.Low, "The size of the schema cache used in the Avro converter. Accepted; schemas are not cached by count here.", sdk.Default("1000"), g(conn)).
		Define(keyEnhancedAvro, sdk.TypeBoolean, sdk.Low, "Enhanced Avro schema support. Accepted; enums are written as strings either way.", sdk.Default("true"), g(conn)).
		Define(keyConnectMeta, sdk.TypeBoolean, sdk.Low, "Write Connect metadata (connect.name, connect.version, connect.doc, connect.parameters) into the Avro schema.", sdk.Default("true"), g(conn)).
		Define(keyRetryBackoffOld, sdk.TypeLong, sdk.Low, "The retry backoff in milliseconds after a failed write. Accepted; a failed upload makes the put retriable and the kernel's errors.retry.* settings pace the retries.", sdk.Default("5000"), g(conn)).
		Define(keyShutdownTimeout, sdk.TypeLong, sdk.Low, "Clean shutdown timeout. Accepted; open files are dropped at close, as upstream.", sdk.Default("3000"), g(conn)).
		Define(keyPartitioner, sdk.TypeClass, sdk.High, "The partitioner to use when writing data to the store: DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner, DailyPartitioner or HourlyPartitioner (of "+partitionerPkg+").",
			sdk.Default(partDefault), g(part), sdk.OneOf(partDefault, partField, partTime, partDaily, partHourly)).
		Define(keyFieldName, sdk.TypeList, sdk.Medium, "The name of the partitioning field when FieldPartitioner is used; comma-separated for several, dotted for nested fields.", sdk.Default(""), g(part)).
		Define(keyDuration, sdk.TypeLong, sdk.Medium, "The duration of a partition milliseconds used by TimeBasedPartitioner.", sdk.Default("-1"), g(part)).
		Define(keyPathFormat, sdk.TypeString, sdk.Medium, "This configuration is used to set the format of the data directories when partitioning with TimeBasedPartitioner: a Joda-Time DateTimeFormat pattern, e.g. 'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH.",
			sdk.Default(""), g(part)).
		Define(keyLocale, sdk.TypeString, sdk.Medium, "The locale to use when partitioning with TimeBasedPartitioner, e.g. en-US. Names of months and days are written in English.", sdk.Default(""), g(part)).
		Define(keyTimezone, sdk.TypeString, sdk.Medium, "The timezone to use when partitioning with TimeBasedPartitioner: UTC, an IANA name such as America/Los_Angeles, or an offset such as +02:00.", sdk.Default(""), g(part)).
		Define(keyTSExtractor, sdk.TypeString, sdk.Medium, "The extractor that gets the timestamp for records when partitioning with TimeBasedPartitioner: Wallclock, Record (the Kafka timestamp) or RecordField (timestamp.field).",
			sdk.Default(extractorWallclk), g(part), sdk.OneOf(extractorWallclk, extractorRecord, extractorField)).
		Define(keyTSField, sdk.TypeString, sdk.Medium, "The record field to be used as timestamp by the timestamp extractor RecordField; dotted for a nested field.", sdk.Default("timestamp"), g(part)).
		Define(keyTopics, sdk.TypeList, sdk.High, "The topics to consume, comma-separated. Read by the kernel.", g(conn)).
		Define(keyTopicsRegex, sdk.TypeString, sdk.High, "A regular expression of the topics to consume, instead of topics. Read by the kernel.", g(conn)).
		RefuseUnknown()
}

func atMost(n int) func(string) error {
	return func(v string) error {
		if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && i > n {
			return fmt.Errorf("Value must be no more than %d", n)
		}
		return nil
	}
}

// format is what files hold.
type format int

const (
	fmtJSON format = iota
	fmtBytes
	fmtParquet
	fmtAvro
)

// partitionerKind is how records are spread over directories.
type partitionerKind int

const (
	pDefault partitionerKind = iota
	pField
	pTime
)

// config is the connector's config, parsed.
type config struct {
	bucket       string
	region       string
	endpoint     string // "" for AWS
	pathStyle    bool
	accessKey    string
	secretKey    string
	partSize     int64
	retries      int
	retryBackoff time.Duration

	format       format
	gzip         bool
	gzipLevel    int
	bytesExt     string
	bytesSep     []byte
	numericDec   bool
	avroCodec    string
	parquetCodec string
	connectMeta  bool
	ignoreNulls  bool

	topicsDir      string
	dirDelim       string
	fileDelim      string
	zeroPad        int
	flushSize      int
	rotateInterval int64 // ms; ≤ 0 off
	rotateSchedule int64 // ms; ≤ 0 off
	rotateOnChange bool

	partitioner partitionerKind
	fields      []string
	durationMs  int64
	pathFormat  *pathFormat
	location    *time.Location
	extractor   string
	tsField     string
}

// extension is what Confluent's RecordWriterProvider.getExtension returns for the format.
func (c *config) extension() string {
	switch c.format {
	case fmtJSON:
		if c.gzip {
			return ".json.gz"
		}
		return ".json"
	case fmtBytes:
		if c.gzip {
			return c.bytesExt + ".gz"
		}
		return c.bytesExt
	case fmtParquet:
		return parquetCodecs[c.parquetCodec] + ".parquet"
	}
	return ".avro"
}

// errorList collects config errors by key.
type errorList []sdk.ConfigError

func (e *errorList) add(key, format string, args ...any) {
	*e = append(*e, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
}

// placeholder reports whether the value of key is resolved only when a task starts.
func placeholder(cfg sdk.Config, key string) bool {
	v := cfg[key]
	return strings.Contains(v, "${") && strings.Contains(v, ":")
}

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

// lower returns the value of key trimmed and lowercased.
func lower(cfg sdk.Config, key string) string { return strings.ToLower(strings.TrimSpace(cfg[key])) }

// parseConfig reads the keys (defaults applied, generic checks passed) into a config,
// reporting every value the connector cannot honour by key.
func parseConfig(cfg sdk.Config) (*config, []sdk.ConfigError) {
	var errs errorList
	c := &config{
		bucket: strings.TrimSpace(cfg[keyBucket]), region: strings.TrimSpace(cfg[keyRegion]),
		endpoint: strings.TrimSpace(cfg[keyStoreURL]), accessKey: strings.TrimSpace(cfg[keyAccessKey]), secretKey: cfg[keySecretKey],
		topicsDir: strings.TrimSpace(cfg[keyTopicsDir]), dirDelim: cfg[keyDirDelim], fileDelim: cfg[keyFileDelim],
		bytesExt: cfg[keyBytesExt], tsField: strings.TrimSpace(cfg[keyTSField]),
	}
	c.pathStyle = boolOf(cfg, &errs, keyPathStyle)
	c.partSize = int64(intOf(cfg, &errs, keyPartSize))
	c.retries = intOf(cfg, &errs, keyPartRetries)
	c.retryBackoff = time.Duration(longOf(cfg, &errs, keyRetryBackoff)) * time.Millisecond
	c.gzip = lower(cfg, keyCompression) == "gzip"
	c.gzipLevel = intOf(cfg, &errs, keyCompressLevel)
	c.numericDec = strings.EqualFold(strings.TrimSpace(cfg[keyDecimalFormat]), "NUMERIC")
	c.connectMeta = boolOf(cfg, &errs, keyConnectMeta)
	c.zeroPad = intOf(cfg, &errs, keyZeroPad)
	c.flushSize = intOf(cfg, &errs, keyFlushSize)
	c.rotateInterval = longOf(cfg, &errs, keyRotateInterval)
	c.rotateSchedule = longOf(cfg, &errs, keyRotateSchedule)
	c.rotateOnChange = boolOf(cfg, &errs, keyRotateOnChange)

	if c.region == "" {
		errs.add(keyRegion, "the region is empty; give one such as %s (any region works with store.url)", defaultRegion)
	}
	if c.endpoint != "" && !placeholder(cfg, keyStoreURL) {
		if u, err := url.Parse(c.endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.add(keyStoreURL, "%q is not an http:// or https:// URL of an S3 endpoint", c.endpoint)
		}
	}
	if (c.accessKey == "") != (c.secretKey == "") {
		errs.add(keyAccessKey, "%s and %s go together: set both, or neither to use the default credential chain", keyAccessKey, keySecretKey)
	}
	if v := strings.TrimSpace(cfg[keySSEA]); v != "" {
		errs.add(keySSEA, "server-side encryption %q is not supported; leave it empty to use the bucket's default encryption", v)
	}
	if v := strings.TrimSpace(cfg[keyACL]); v != "" {
		errs.add(keyACL, "canned ACLs are not supported (%q); leave it empty (buckets with object ownership enforced refuse ACLs anyway)", v)
	}
	switch lower(cfg, keyNullValues) {
	case "ignore":
		c.ignoreNulls = true
	case "write":
		errs.add(keyNullValues, "write (tombstones to their own directory with store.kafka.keys) is not supported; use ignore or fail")
	}
	if lower(cfg, keySchemaCompat) != "none" && cfg[keySchemaCompat] != "" {
		errs.add(keySchemaCompat, "%s is not supported: only NONE (a new file whenever the schema changes)", strings.ToUpper(strings.TrimSpace(cfg[keySchemaCompat])))
	}
	if c.dirDelim == "" {
		errs.add(keyDirDelim, "the directory delimiter is empty")
	}

	switch strings.TrimSpace(cfg[keyFormat]) {
	case formatJSON:
		c.format = fmtJSON
	case formatBytes:
		c.format = fmtBytes
	case formatParquet:
		c.format = fmtParquet
	case formatAvro:
		c.format = fmtAvro
	}
	if sep, ok := cfg[keyBytesSep]; ok {
		c.bytesSep = []byte(unescape(sep))
	} else {
		c.bytesSep = []byte("\n")
	}
	c.avroCodec = lower(cfg, keyAvroCodec)
	if c.avroCodec == "bzip2" || c.avroCodec == "xz" {
		errs.add(keyAvroCodec, "%s is not supported; use null, deflate, snappy or zstandard", c.avroCodec)
	}
	c.parquetCodec = lower(cfg, keyParquetCodec)
	if c.parquetCodec == "lzo" || c.parquetCodec == "brotli" {
		errs.add(keyParquetCodec, "%s is not supported; use none, snappy, gzip, zstd or lz4", c.parquetCodec)
	}
	if c.gzip && (c.format == fmtParquet || c.format == fmtAvro) {
		errs.add(keyCompression, "s3.compression.type applies to JsonFormat and ByteArrayFormat; compress %s files with %s", map[format]string{fmtParquet: "Parquet", fmtAvro: "Avro"}[c.format],
			map[format]string{fmtParquet: keyParquetCodec, fmtAvro: keyAvroCodec}[c.format])
	}

	c.extractor = strings.TrimSpace(cfg[keyTSExtractor])
	for _, e := range []string{extractorWallclk, extractorRecord, extractorField} {
		if strings.EqualFold(c.extractor, e) {
			c.extractor = e
		}
	}
	tz := strings.TrimSpace(cfg[keyTimezone])
	if tz != "" && !placeholder(cfg, keyTimezone) {
		loc, err := loadZone(tz)
		if err != nil {
			errs.add(keyTimezone, "%v", err)
		}
		c.location = loc
	}
	switch strings.TrimSpace(cfg[keyPartitioner]) {
	case partField:
		c.partitioner = pField
		for _, f := range cfg.List(keyFieldName) {
			if f = strings.TrimSpace(f); f != "" {
				c.fields = append(c.fields, f)
			}
		}
		if len(c.fields) == 0 {
			errs.add(keyFieldName, "FieldPartitioner needs the field(s) to partition by")
		}
	case partTime, partDaily, partHourly:
		c.partitioner = pTime
		pattern := cfg[keyPathFormat]
		c.durationMs = longOf(cfg, &errs, keyDuration)
		switch strings.TrimSpace(cfg[keyPartitioner]) {
		case partDaily:
			c.durationMs = 24 * time.Hour.Milliseconds()
			pattern = "'year'=YYYY" + c.dirDelim + "'month'=MM" + c.dirDelim + "'day'=dd"
		case partHourly:
			c.durationMs = time.Hour.Milliseconds()
			pattern = "'year'=YYYY" + c.dirDelim + "'month'=MM" + c.dirDelim + "'day'=dd" + c.dirDelim + "'hour'=HH"
		}
		if c.durationMs <= 0 {
			errs.add(keyDuration, "Partition duration needs to be a positive.")
		}
		if strings.TrimSpace(pattern) == "" || pattern == c.dirDelim {
			errs.add(keyPathFormat, "Path format cannot be empty.")
		} else {
			pattern = strings.TrimSuffix(pattern, c.dirDelim)
			pf, err := parsePathFormat(pattern)
			if err != nil {
				errs.add(keyPathFormat, "%v", err)
			}
			c.pathFormat = pf
		}
		if strings.TrimSpace(cfg[keyLocale]) == "" {
			errs.add(keyLocale, "Locale cannot be empty.")
		}
		if tz == "" {
			errs.add(keyTimezone, "Timezone cannot be empty.")
		}
	}
	if c.extractor == extractorField && c.tsField == "" {
		errs.add(keyTSField, "timestamp.extractor=RecordField needs the field")
	}
	if c.rotateSchedule > 0 && tz == "" {
		errs.add(keyTimezone, "%s needs a timezone to align the schedule to", keyRotateSchedule)
	}
	if c.location == nil {
		c.location = time.UTC
	}
	return c, errs
}

// unescape reads the escape sequences Java's string literals have (\n, \r, \t, \\, \0,
// \uXXXX) in a separator, as Confluent's config documents.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '0':
			b.WriteByte(0)
		case '\\':
			b.WriteByte('\\')
		case 'u':
			if i+4 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+5], 16, 16); err == nil {
					b.WriteRune(rune(n))
					i += 4
					continue
				}
			}
			b.WriteString(`\u`)
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
