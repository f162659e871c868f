package main

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// conf is a Redis Inc config for the server r with extra keys.
func conf(r *testsvc.Redis, extra map[string]string) map[string]string {
	raw := map[string]string{keyURI: r.URL(), keyTopics: "orders"}
	for k, v := range extra {
		raw[k] = v
	}
	return raw
}

// openTask opens a task of connector c on raw, closed when the test ends.
func openTask(t *testing.T, c sdk.Connector, raw map[string]string) *task {
	t.Helper()
	tk, err := tryOpen(t, c, raw)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return tk
}

// tryOpen opens a task and returns Open's error.
func tryOpen(t *testing.T, c sdk.Connector, raw map[string]string) (*task, error) {
	t.Helper()
	cfg, errs := c.Definition().Config.Parse(raw)
	if len(errs) > 0 {
		t.Fatalf("config %v: %v", raw, errs)
	}
	if errs := c.Validate(cfg); len(errs) > 0 {
		t.Fatalf("validate %v: %v", raw, errs)
	}
	tk := c.NewSinkTask().(*task)
	tc := sdk.TaskContext{Handle: "h", Connector: "test", Config: cfg, Logger: hclog.NewNullLogger()}
	err := tk.Open(context.Background(), tc, nil)
	t.Cleanup(func() { _ = tk.Close() })
	return tk, err
}

// client is a go-redis client of r's database db, closed when the test ends.
func client(t *testing.T, r *testsvc.Redis, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DB: db, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func put(t *testing.T, tk *task, recs ...sdk.SinkRecord) {
	t.Helper()
	if err := tk.Put(context.Background(), recs); err != nil {
		t.Fatalf("put: %v", err)
	}
}

func flushOf(t *testing.T, tk *task, offsets map[sdk.TopicPartition]int64) map[sdk.TopicPartition]int64 {
	t.Helper()
	got, err := tk.Flush(context.Background(), offsets)
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return got
}

var tp0 = sdk.TopicPartition{Topic: "orders", Partition: 0}

// rowSchema is a small struct schema.
var rowSchema = data.StructOf("row", data.NewField("id", data.Int64Schema), data.NewField("name", data.OptionalStringSchema),
	data.NewField("price", data.OptionalFloat64Schema))

// rec returns a record of orders-0 at offset.
func rec(offset int64, key, value any) sdk.SinkRecord {
	return sdk.SinkRecord{Topic: "orders", Partition: 0, Offset: offset, Key: key, Value: value, Timestamp: time.UnixMilli(1700000000000)}
}

// row returns a struct record.
func row(offset int64, key string, id int64, name string, price float64) sdk.SinkRecord {
	r := rec(offset, key, data.NewStruct(rowSchema).Put("id", id).Put("name", name).Put("price", price))
	r.KeySchema, r.ValueSchema = data.StringSchema, rowSchema
	return r
}

var ctx = context.Background()

// pollFor waits (testsvc.Eventually) until cond returns true, failing the test after
// testsvc.WaitLimit with cond's last word.
func pollFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	testsvc.Eventually(t, testsvc.WaitLimit, what, func() bool {
		var ok bool
		ok, last = cond()
		return ok
	}, func() string { return "last seen: " + last })
}
