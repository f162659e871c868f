package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// base is a valid config to vary.
func baseConf(extra map[string]string) map[string]string {
	raw := map[string]string{keyBucket: "b", keyFormat: formatJSON, keyFlushSize: "3", keyTopics: "t"}
	for k, v := range extra {
		raw[k] = v
	}
	return raw
}

// validate runs the generic checks and Validate.
func validate(raw map[string]string) ([]sdk.ConfigError, *config) {
	cfg, errs := def().Parse(raw)
	c, more := parseConfig(cfg)
	return append(errs, more...), c
}

// TestConfigRefusals: every value the connector cannot honour is refused naming its key.
func TestConfigRefusals(t *testing.T) {
	for _, tc := range []struct {
		extra   map[string]string
		key, in string
	}{
		{map[string]string{"s3.wan.mode": "true"}, "s3.wan.mode", "Unknown configuration"},
		{map[string]string{"store.kafka.keys": "true"}, "store.kafka.keys", "Unknown configuration"},
		{map[string]string{keyFormat: "io.confluent.connect.s3.format.csv.CsvFormat"}, keyFormat, "must be one of"},
		{map[string]string{keyFlushSize: "0"}, keyFlushSize, "at least 1"},
		{map[string]string{keyPartSize: "1000"}, keyPartSize, "at least 5242880"},
		{map[string]string{keySSEA: "AES256"}, keySSEA, "not supported"},
		{map[string]string{keyACL: "private"}, keyACL, "not supported"},
		{map[string]string{keyNullValues: "write"}, keyNullValues, "not supported"},
		{map[string]string{keySchemaCompat: "BACKWARD"}, keySchemaCompat, "BACKWARD is not supported"},
		{map[string]string{keyStorageClass: "io.confluent.connect.hdfs.storage.HdfsStorage"}, keyStorageClass, "must be one of"},
		{map[string]string{keyCredsProvider: "com.example.Provider"}, keyCredsProvider, "must be one of"},
		{map[string]string{keyAccessKey: "k"}, keyAccessKey, "go together"},
		{map[string]string{keyStoreURL: "minio:9000"}, keyStoreURL, "not an http"},
		{map[string]string{keyAvroCodec: "bzip2", keyFormat: formatAvro}, keyAvroCodec, "not supported"},
		{map[string]string{keyParquetCodec: "lzo", keyFormat: formatParquet}, keyParquetCodec, "not supported"},
		{map[string]string{keyCompression: "gzip", keyFormat: formatParquet}, keyCompression, "parquet.codec"},
		{map[string]string{keyPartitioner: partField}, keyFieldName, "needs the field"},
		{map[string]string{keyPartitioner: partTime, keyPathFormat: "YYYY", keyDuration: "1000", keyLocale: "en"}, keyTimezone, "Timezone cannot be empty"},
		{map[string]string{keyPartitioner: partTime, keyPathFormat: "YYYY", keyDuration: "1000", keyTimezone: "UTC"}, keyLocale, "Locale cannot be empty"},
		{map[string]string{keyPartitioner: partTime, keyPathFormat: "YYYY", keyLocale: "en", keyTimezone: "UTC"}, keyDuration, "positive"},
		{map[string]string{keyPartitioner: partTime, keyPathFormat: "'y'=YYYY/q", keyDuration: "1000", keyLocale: "en", keyTimezone: "UTC"}, keyPathFormat, "Illegal pattern component: q"},
		{map[string]string{keyPartitioner: partDaily, keyLocale: "en", keyTimezone: "Mars/Olympus"}, keyTimezone, "not recognised"},
		{map[string]string{keyRotateSchedule: "60000"}, keyTimezone, "needs a timezone"},
	} {
		errs, _ := validate(baseConf(tc.extra))
		found := false
		for _, e := range errs {
			if e.Key == tc.key && strings.Contains(e.Message, tc.in) {
				found = true
			}
		}
		if !found {
			t.Errorf("%v: errors %v; want one on %s containing %q", tc.extra, errs, tc.key, tc.in)
		}
	}
}

// TestConfigAccepts: the keys of a typical Confluent manifest, and the extension each
// format gives its objects.
func TestConfigAccepts(t *testing.T) {
	for _, tc := range []struct {
		extra map[string]string
		ext   string
	}{
		{map[string]string{keyStorageClass: s3StorageClass, keySchemaCompat: "NONE", keyRegion: "eu-west-1", keyPartSize: "5242880",
			keyRotateSchedule: "60000", keyTimezone: "UTC", keyLocale: "en-US", keyPartitioner: partHourly, keyTSExtractor: "record"}, ".json"},
		{map[string]string{keyCompression: "gzip"}, ".json.gz"},
		{map[string]string{keyFormat: formatBytes}, ".bin"},
		{map[string]string{keyFormat: formatBytes, keyBytesExt: ".csv", keyCompression: "gzip"}, ".csv.gz"},
		{map[string]string{keyFormat: formatParquet}, ".snappy.parquet"},
		{map[string]string{keyFormat: formatParquet, keyParquetCodec: "none"}, ".parquet"},
		{map[string]string{keyFormat: formatParquet, keyParquetCodec: "gzip"}, ".gz.parquet"},
		{map[string]string{keyFormat: formatAvro, keyAvroCodec: "snappy"}, ".avro"},
	} {
		errs, c := validate(baseConf(tc.extra))
		if len(errs) > 0 {
			t.Errorf("%v: %v", tc.extra, errs)
			continue
		}
		if got := c.extension(); got != tc.ext {
			t.Errorf("%v: extension %q; want %q", tc.extra, got, tc.ext)
		}
	}
	_, c := validate(baseConf(map[string]string{keyBytesSep: `\r\n`}))
	if string(c.bytesSep) != "\r\n" {
		t.Errorf("separator %q; want CR LF", c.bytesSep)
	}
	_, c = validate(baseConf(map[string]string{keyPartitioner: partDaily, keyLocale: "en", keyTimezone: "UTC"}))
	if got := string(c.pathFormat.appendFormat(nil, time.Date(2024, 2, 9, 13, 0, 0, 0, time.UTC))); got != "year=2024/month=02/day=09" {
		t.Errorf("DailyPartitioner path %q", got)
	}
}

// TestPathFormat: Joda-Time patterns print as Joda-Time prints them.
func TestPathFormat(t *testing.T) {
	at := time.Date(2024, 3, 5, 7, 8, 9, 123e6, time.UTC)
	for pattern, want := range map[string]string{
		"'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH": "year=2024/month=03/day=05/hour=07",
		"yyyy-MM-dd'T'HH:mm:ss.SSS":                 "2024-03-05T07:08:09.123",
		"yy/M/d/H/m/s":                              "24/3/5/7/8/9",
		"MMM MMMM EEE EEEE a hh kk KK":              "Mar March Tue Tuesday AM 07 07 07",
		"D w e G C Z ZZ":                            "65 10 2 AD 20 +0000 +00:00",
		"'it''s' ''":                                "it's '",
		"'dt'=yyyyMMdd":                             "dt=20240305",
	} {
		pf, err := parsePathFormat(pattern)
		if err != nil {
			t.Errorf("%q: %v", pattern, err)
			continue
		}
		if got := string(pf.appendFormat(nil, at)); got != want {
			t.Errorf("%q prints %q; want %q", pattern, got, want)
		}
	}
	if _, err := parsePathFormat("YYYY/q"); err == nil {
		t.Error("q is not a Joda-Time pattern letter; want an error")
	}
}

// TestBucketStart: a record's time falls in the partition that starts at a multiple of
// partition.duration.ms of local time in the timezone.
func TestBucketStart(t *testing.T) {
	ny, _ := loadZone("America/New_York")
	ts := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC).UnixMilli()
	if got := bucketStart(ts, 3600000, ny); got.Format(time.RFC3339) != "2023-11-14T17:00:00-05:00" {
		t.Errorf("hour bucket %s", got.Format(time.RFC3339))
	}
	if got := bucketStart(ts, 86400000, ny); got.Format(time.RFC3339) != "2023-11-14T00:00:00-05:00" {
		t.Errorf("day bucket %s", got.Format(time.RFC3339))
	}
	plus2, err := loadZone("+02:00")
	if err != nil {
		t.Fatal(err)
	}
	if got := bucketStart(ts, 86400000, plus2); got.Format(time.RFC3339) != "2023-11-15T00:00:00+02:00" {
		t.Errorf("day bucket at +02:00 %s", got.Format(time.RFC3339))
	}
	now := time.Date(2024, 1, 1, 10, 7, 0, 0, time.UTC).UnixMilli()
	if got := time.UnixMilli(nextScheduled(now, 15*60000, time.UTC)).UTC(); got.Format("15:04") != "10:15" {
		t.Errorf("next scheduled rotation %s; want 10:15", got)
	}
}
