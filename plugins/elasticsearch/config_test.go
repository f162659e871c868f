package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// TestValidateRefusesNamingTheKey checks that every config the connector cannot honour
// is refused naming the key, and that good configs pass.
func TestValidateRefusesNamingTheKey(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     map[string]string
		wantKey string // "" means valid
		wantMsg string
	}{
		{"minimal", map[string]string{keyConnectionURL: "http://es:9200"}, "", ""},
		{"seed manifest", map[string]string{keyConnectionURL: "http://es1:9200,http://es2:9200", keyKeyIgnore: "false", keySchemaIgnore: "true",
			keyTypeName: "_doc", keyNullValues: "DELETE", keyMalformed: "warn", keyWriteMethod: "UPSERT"}, "", ""},
		{"no scheme is http", map[string]string{keyConnectionURL: "es:9200"}, "", ""},
		{"placeholders", map[string]string{keyConnectionURL: "${file:/secrets/es.properties:url}", keyUsername: "${file:/secrets/es.properties:username}",
			keyPassword: "${file:/secrets/es.properties:password}", keyBatchSize: "${env:ES_BATCH}"}, "", ""},
		{"missing url", map[string]string{}, keyConnectionURL, "Missing required"},
		{"not a url", map[string]string{keyConnectionURL: "ftp://es:21"}, keyConnectionURL, "http:// or https://"},
		{"unknown key", map[string]string{keyConnectionURL: "http://es:9200", "topic.index.map": "a:b"}, "topic.index.map", "does not support it"},
		{"bad null behavior", map[string]string{keyConnectionURL: "http://es:9200", keyNullValues: "drop"}, keyNullValues, "one of"},
		{"bad malformed behavior", map[string]string{keyConnectionURL: "http://es:9200", keyMalformed: "skip"}, keyMalformed, "one of"},
		{"bad write method", map[string]string{keyConnectionURL: "http://es:9200", keyWriteMethod: "replace"}, keyWriteMethod, "one of"},
		{"batch size zero", map[string]string{keyConnectionURL: "http://es:9200", keyBatchSize: "0"}, keyBatchSize, "at least 1"},
		{"user without password", map[string]string{keyConnectionURL: "http://es:9200", keyUsername: "elastic"}, keyPassword, "set together"},
		{"data stream without dataset", map[string]string{keyConnectionURL: "http://es:9200", keyDataStreamType: "LOGS"}, keyDataStreamDataset, "required"},
		{"dataset with dash", map[string]string{keyConnectionURL: "http://es:9200", keyDataStreamType: "logs", keyDataStreamDataset: "a-b"}, keyDataStreamDataset, "no dashes"},
		{"upsert into data stream", map[string]string{keyConnectionURL: "http://es:9200", keyDataStreamType: "logs", keyDataStreamDataset: "x", keyWriteMethod: "upsert"}, keyWriteMethod, "op_type create"},
		{"SSL over http", map[string]string{keyConnectionURL: "http://es:9200", keySecurityProtocol: "SSL"}, keyConnectionURL, "https://"},
		{"JKS truststore", map[string]string{keyConnectionURL: "https://es:9200", keySecurityProtocol: "SSL", keyTruststoreLocation: "/etc/ts.jks"}, keyTruststoreType, "PEM"},
		{"PEM truststore", map[string]string{keyConnectionURL: "https://es:9200", keySecurityProtocol: "SSL", keyTruststoreLocation: "/etc/ca.pem", keyTruststoreType: "PEM"}, "", ""},
		{"truststore password", map[string]string{keyConnectionURL: "https://es:9200", keySecurityProtocol: "SSL", keyTruststoreType: "PEM", keyTruststorePassword: "x"}, keyTruststorePassword, "no password"},
		{"ssl key without SSL", map[string]string{keyConnectionURL: "http://es:9200", keyTruststoreLocation: "/etc/ca.pem"}, keyTruststoreLocation, "elastic.security.protocol=SSL"},
		{"encrypted key", map[string]string{keyConnectionURL: "https://es:9200", keySecurityProtocol: "SSL", keyKeyPassword: "x"}, keyKeyPassword, "decrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connector{}
			cfg, errs := c.Definition().Config.Parse(tc.raw)
			errs = append(errs, c.Validate(cfg)...)
			if tc.wantKey == "" {
				if len(errs) > 0 {
					t.Fatalf("want no errors, got %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Key == tc.wantKey && strings.Contains(e.Message, tc.wantMsg) {
					return
				}
			}
			t.Fatalf("want an error on %s containing %q, got %v", tc.wantKey, tc.wantMsg, errs)
		})
	}
}

// TestRetryWaitIsExponentialWithJitter checks Confluent's RetryUtil schedule: a random
// wait below initial << attempt.
func TestRetryWaitIsExponentialWithJitter(t *testing.T) {
	top := func(n int64) int64 { return n - 1 }
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, 200*time.Millisecond - 1}, {2, 400*time.Millisecond - 1}, {5, 3200*time.Millisecond - 1}, {40, maxRetryWait - 1}} {
		if got := retryWait(tc.attempt, 100*time.Millisecond, top); got != tc.want {
			t.Errorf("retryWait(%d, 100ms) upper end = %v, want %v", tc.attempt, got, tc.want)
		}
	}
	if got := retryWait(3, 0, top); got != 0 {
		t.Errorf("retryWait with retry.backoff.ms=0 = %v, want 0", got)
	}
}

// TestDocumentJSON checks the document of a value as Confluent's DataConverter writes
// it, with the schema used and ignored.
func TestDocumentJSON(t *testing.T) {
	dec := data.DecimalSchema(2)
	s := data.StructOf("v",
		data.NewField("price", dec),
		data.NewField("day", data.DateSchema),
		data.NewField("at", data.TimestampSchema),
		data.NewField("tod", data.TimeSchema),
		data.NewField("raw", data.BytesSchema),
		data.NewField("f", data.Float64Schema),
		data.NewField("tags", data.MapOf(data.StringSchema, data.Int32Schema)),
		data.NewField("opt", data.OptionalStringSchema),
	)
	v := data.NewStruct(s).Put("price", data.NewDecimal(12345, 2)).Put("day", data.DateOf(19000)).
		Put("at", time.UnixMilli(1700000000123).UTC()).Put("tod", data.TimeOf(3600000)).Put("raw", []byte("hi")).
		Put("f", 1e10).Put("tags", map[string]any{"b": int32(2), "a": int32(1)})
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want string
	}{
		{"schema used", nil,
			`{"price":123.45,"day":19000,"at":1700000000123,"tod":3600000,"raw":"aGk=","f":1.0E10,"tags":{"a":1,"b":2},"opt":null}`},
		{"schema used, maps not compact", map[string]string{keyCompactMap: "false"},
			`{"price":123.45,"day":19000,"at":1700000000123,"tod":3600000,"raw":"aGk=","f":1.0E10,"tags":[{"key":"a","value":1},{"key":"b","value":2}],"opt":null}`},
		{"schema ignored", map[string]string{keySchemaIgnore: "true"},
			`{"price":"MDk=","day":19000,"at":1700000000123,"tod":3600000,"raw":"aGk=","f":1.0E10,"tags":{"a":1,"b":2},"opt":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := parseConfig(mustParse(t, baseConfig("http://es:9200", tc.cfg)))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			o, ok, err := newConverter(cfg).convert(&sdk.SinkRecord{Topic: "Orders", Key: int64(7), Value: v, ValueSchema: s, Offset: 3}, 0)
			if err != nil || !ok {
				t.Fatalf("convert: ok %v err %v", ok, err)
			}
			if string(o.doc) != tc.want {
				t.Errorf("document\n got %s\nwant %s", o.doc, tc.want)
			}
			if o.index != "orders" || o.id != "7" || o.kind != "index" || !o.external || o.version != 3 {
				t.Errorf("action = %+v, want index orders id 7 with external version 3", o)
			}
		})
	}
}

// TestDebeziumEnvelopeDocument checks the seed's case: a Debezium change event read with
// JsonConverter schemas.enable=true and schema.ignore=true is written whole, its fields
// in schema order, the optional before as null.
func TestDebeziumEnvelopeDocument(t *testing.T) {
	rowS := data.Optional(data.StructOf("dbserver1.inventory.customers.Value",
		data.NewField("id", data.Int32Schema), data.NewField("email", data.OptionalStringSchema)))
	srcS := data.StructOf("io.debezium.connector.postgresql.Source",
		data.NewField("connector", data.StringSchema), data.NewField("lsn", data.OptionalInt64Schema))
	env := data.StructOf("dbserver1.inventory.customers.Envelope",
		data.NewField("before", rowS), data.NewField("after", rowS), data.NewField("source", srcS),
		data.NewField("op", data.StringSchema), data.NewField("ts_ms", data.OptionalInt64Schema))
	v := data.NewStruct(env).
		Put("after", data.NewStruct(rowS).Put("id", int32(1001)).Put("email", "sally@example.com")).
		Put("source", data.NewStruct(srcS).Put("connector", "postgresql").Put("lsn", int64(33843824))).
		Put("op", "c").Put("ts_ms", int64(1700000000000))
	cfg, _ := parseConfig(mustParse(t, baseConfig("http://es:9200", map[string]string{keySchemaIgnore: "true", keyNullValues: "delete"})))
	o, ok, err := newConverter(cfg).convert(&sdk.SinkRecord{Topic: "dbserver1.inventory.customers", Key: int32(1001), KeySchema: data.Int32Schema,
		Value: v, ValueSchema: env, Offset: 9}, 0)
	if err != nil || !ok {
		t.Fatalf("convert: ok %v err %v", ok, err)
	}
	want := `{"before":null,"after":{"id":1001,"email":"sally@example.com"},"source":{"connector":"postgresql","lsn":33843824},"op":"c","ts_ms":1700000000000}`
	if string(o.doc) != want || o.id != "1001" || o.index != "dbserver1.inventory.customers" {
		t.Errorf("action index %s id %s doc\n got %s\nwant %s", o.index, o.id, o.doc, want)
	}
}

// TestKeyID checks the document id of keys as Confluent's convertKey.
func TestKeyID(t *testing.T) {
	for _, tc := range []struct {
		name    string
		schema  *data.Schema
		key     any
		want    string
		wantErr string
	}{
		{"string", data.StringSchema, "k1", "k1", ""},
		{"int32", data.Int32Schema, int32(42), "42", ""},
		{"schemaless int", nil, int64(-5), "-5", ""},
		{"null", nil, nil, "", "can not be null"},
		{"empty", data.StringSchema, "", "", "can not be empty"},
		{"struct", rowSchema, data.NewStruct(rowSchema).Put("id", int64(1)), "", "STRUCT is not supported"},
		{"boolean", data.BooleanSchema, true, "", "BOOLEAN is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keyID(tc.schema, tc.key)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got id %q err %v", tc.wantErr, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("want id %q, got %q (err %v)", tc.want, got, err)
			}
		})
	}
}

// TestIndexName checks Confluent's topic to index rules.
func TestIndexName(t *testing.T) {
	cfg, _ := parseConfig(mustParse(t, baseConfig("http://es:9200", nil)))
	c := newConverter(cfg)
	for topic, want := range map[string]string{"Orders": "orders", "_private": "private", "-x": "x", "..": "dotdot", "pg.public.Items": "pg.public.items"} {
		if got := c.resource(topic); got != want {
			t.Errorf("index of topic %q = %q, want %q", topic, got, want)
		}
	}
	ds, _ := parseConfig(mustParse(t, baseConfig("http://es:9200", map[string]string{keyDataStreamType: "LOGS", keyDataStreamDataset: "shop"})))
	if got := newConverter(ds).resource("Orders"); got != "logs-shop-orders" {
		t.Errorf("data stream of topic Orders = %q, want logs-shop-orders", got)
	}
}

func mustParse(t *testing.T, raw map[string]string) sdk.Config {
	t.Helper()
	cfg, errs := configDef().Parse(raw)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return cfg
}
