package main

import (
	"bufio"
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

const bucket = "sink"

var ctx = context.Background()

// startS3 starts versitygw with the test's bucket.
func startS3(t *testing.T) *testsvc.S3 {
	t.Helper()
	s := testsvc.StartS3(t)
	s.CreateBucket(bucket)
	return s
}

// conf is a config for server s with extra keys.
func conf(s *testsvc.S3, extra map[string]string) map[string]string {
	raw := map[string]string{
		keyBucket: bucket, keyStoreURL: s.Endpoint(), keyRegion: s.Region, keyAccessKey: s.AccessKey, keySecretKey: s.SecretKey,
		keyFormat: formatJSON, keyFlushSize: "3", keyTopics: "orders",
	}
	for k, v := range extra {
		raw[k] = v
	}
	return raw
}

// openTask opens a task on raw, closed when the test ends.
func openTask(t *testing.T, raw map[string]string) *task {
	t.Helper()
	cfg, errs := def().Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config %v: %v", raw, errs)
	}
	if errs := (connector{}).Validate(cfg); len(errs) > 0 {
		t.Fatalf("validate %v: %v", raw, errs)
	}
	tk := newTask()
	if err := tk.Open(ctx, sdk.TaskContext{Handle: "h", Connector: "test", Config: cfg, Logger: hclog.NewNullLogger()}, nil); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = tk.Close() })
	return tk
}

func put(t *testing.T, tk *task, recs ...sdk.SinkRecord) {
	t.Helper()
	if err := tk.Put(ctx, recs); err != nil {
		t.Fatalf("put: %v", err)
	}
}

func flushOf(t *testing.T, tk *task, offsets map[sdk.TopicPartition]int64) map[sdk.TopicPartition]int64 {
	t.Helper()
	got, err := tk.Flush(ctx, offsets)
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return got
}

var tp0 = sdk.TopicPartition{Topic: "orders", Partition: 0}

// base is the Kafka timestamp of the records of rec: 2023-11-14T22:13:20Z.
var baseTime = time.UnixMilli(1700000000000).UTC()

// rec returns a record of orders-<partition> at offset, its timestamp offset seconds
// after baseTime.
func rec(partition int32, offset int64, value any, schema *data.Schema) sdk.SinkRecord {
	return sdk.SinkRecord{Topic: "orders", Partition: partition, Offset: offset, Value: value, ValueSchema: schema,
		Timestamp: baseTime.Add(time.Duration(offset) * time.Second)}
}

// orderSchema is a struct schema with the types the formats map.
var orderSchema = data.StructOf("shop.Order",
	data.NewField("id", data.Int64Schema),
	data.NewField("customer", data.StringSchema),
	data.NewField("qty", data.Int32Schema),
	data.NewField("price", data.OptionalFloat64Schema),
	data.NewField("paid", data.BooleanSchema),
	data.NewField("note", data.OptionalStringSchema),
	data.NewField("at", data.TimestampSchema),
)

// order returns a struct record.
func order(partition int32, offset int64, customer string) sdk.SinkRecord {
	st := data.NewStruct(orderSchema).Put("id", offset).Put("customer", customer).Put("qty", int32(offset%5)).
		Put("price", float64(offset)+0.5).Put("paid", offset%2 == 0).Put("at", baseTime.Add(time.Duration(offset)*time.Second))
	if offset%3 == 0 {
		st.Put("note", "n"+customer)
	}
	return rec(partition, offset, st, orderSchema)
}

// keys lists the bucket's keys under prefix, sorted.
func keys(t *testing.T, s *testsvc.S3, prefix string) []string {
	t.Helper()
	ks, err := s.Keys(bucket, prefix)
	if err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	sort.Strings(ks)
	return ks
}

// get returns an object's content.
func get(t *testing.T, s *testsvc.S3, key string) []byte {
	t.Helper()
	b, err := s.Get(bucket, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b
}

// lines splits an object into its lines.
func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func join(ss []string) string { return strings.Join(ss, "\n") }
