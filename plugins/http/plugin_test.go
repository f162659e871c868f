package main

// Tests of the built tributary-http binary: the conformance kit, the plugin SIGKILLed
// and relaunched at the committed offset, and a real kernel (`tributary dev`) SIGKILLed
// mid-stream and restarted on its data.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/conformance"
	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/kernel/pluginhost/hosttest"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// pluginBinary returns the tributary-http binary under test (see testsvc.Built).
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testsvc.Built(tb, "plugins/tributary-http", ".")
}

// TestBinaryConforms runs the kernel's conformance kit against both classes.
func TestBinaryConforms(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the plugin process")
	}
	a := newAPI(t)
	a.pageSize = 3
	a.add("e", 7)
	for class, c := range map[string]map[string]string{
		confluentClass: a.base("url", a.srv.URL+"/inc/e?offset=${offset}"),
		castormClass: cfg("http.request.url", a.srv.URL+"/chain/e?after=${offset.id}", "http.offset.initial", "id=-1", "kafka.topic", "t",
			"http.response.list.pointer", "/data", "http.response.record.offset.pointer", "id=/id", "http.timer.interval.millis", "20",
			"http.timer.catchup.interval.millis", "1"),
	} {
		t.Run(class, func(t *testing.T) {
			results := conformance.Run(t.Context(), pluginBinary(t), conformance.Options{Class: class, Config: c})
			for _, r := range results {
				if r.Status != conformance.Pass {
					t.Errorf("%s %s: %s: %s", r.Class, r.Check, r.Status, r.Detail)
				}
			}
			if len(results) < 5 {
				t.Fatalf("the kit ran %d checks: %+v", len(results), results)
			}
		})
	}
}

// launch starts the built binary under a plugin host of its own.
func launch(t *testing.T) *pluginhost.Client {
	t.Helper()
	return hosttest.Client(t, pluginBinary(t), "tributary-http", confluentClass)
}

func pollHandle(t *testing.T, c *pluginhost.Client, h string, n int) []*pluginv1.Record {
	t.Helper()
	var out []*pluginv1.Record
	deadline := time.Now().Add(testsvc.WaitLimit)
	for len(out) < n && time.Now().Before(deadline) {
		resp, err := c.Source.Poll(context.Background(), &pluginv1.PollRequest{Handle: h, MaxRecords: 7, TimeoutMs: 200})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		out = append(out, resp.Records...)
	}
	if len(out) < n {
		t.Fatalf("polled %d records, want %d", len(out), n)
	}
	return out
}

// valuesJSON writes each record's value as JsonConverter (schemas.enable=false) would.
func valuesJSON(t *testing.T, recs []*pluginv1.Record) []string {
	t.Helper()
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		b, err := conv.FromConnect(r.Topic, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// itemJSON is item i of entity as the API serves it.
func itemJSON(entity string, i int) string {
	b, _ := json.Marshal(item{ID: i, Entity: entity, Name: fmt.Sprintf("%s-%d", entity, i)})
	return string(b)
}

// TestKilledPluginResumesAtCommitted SIGKILLs the plugin after the kernel committed
// record 9 of 20 (cursor pagination, pages of 4: inside the third page) and opens a new
// process at that offset: records 10 to 19 arrive, each once, written as the API served
// them.
func TestKilledPluginResumesAtCommitted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the plugin process")
	}
	a := newAPI(t)
	a.pageSize = 4
	a.add("k", 20)
	c := a.base("url", a.srv.URL+"/cursor/k?cursor=${offset}", "http.offset.mode", "CURSOR_PAGINATION",
		"http.next.page.json.pointer", "/meta/next", "http.response.data.json.pointer", "/data")
	ctx := context.Background()
	p := launch(t)
	if _, err := p.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "a", Connector: "c"}, ConnectorClass: confluentClass, Config: c}); err != nil {
		t.Fatal(err)
	}
	recs := pollHandle(t, p, "a", 12)
	for i, v := range valuesJSON(t, recs) {
		if v != itemJSON("k", i) {
			t.Fatalf("record %d value %s, want %s", i, v, itemJSON("k", i))
		}
	}
	committed := &pluginv1.SourceOffset{Partition: recs[9].SourcePartition, Offset: recs[9].SourceOffset}
	if _, err := p.Source.Commit(ctx, &pluginv1.CommitRequest{Handle: "a", Offsets: []*pluginv1.SourceOffset{committed}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	p2 := launch(t)
	if _, err := p2.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "b", Connector: "c"}, ConnectorClass: confluentClass,
		Config: c, Offsets: []*pluginv1.SourceOffset{committed}}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 10; i < 20; i++ {
		want = append(want, itemJSON("k", i))
	}
	if got := valuesJSON(t, pollHandle(t, p2, "b", 10)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after SIGKILL and resume at record 9:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	resp, err := p2.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "b", MaxRecords: 100, TimeoutMs: 300})
	if err != nil || len(resp.Records) != 0 {
		t.Fatalf("after the last record: %d more, %v", len(resp.GetRecords()), err)
	}
}

// TestKernelKilledMidStream runs the connector under `tributary dev` with two entities
// chained, SIGKILLs the kernel once part of the records are in the topics, adds items
// and starts the kernel again on its data: every item of each entity is in its topic,
// in order, with the value the API served (a record produced but not yet committed when
// the kernel died may come twice: delivery is at least once).
func TestKernelKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tributary dev and the plugin")
	}
	a := newAPI(t)
	a.pageSize = 5
	a.add("x", 30)
	a.add("y", 12)
	start := time.Now()
	dataDir, ports := t.TempDir(), testsvc.DevPorts(t)
	dev := testsvc.StartDev(t, testsvc.DevOptions{DataDir: dataDir, Ports: ports, Plugins: []string{pluginBinary(t)}})
	body, _ := json.Marshal(map[string]string{
		"connector.class": confluentClass, "tasks.max": "2", "url": a.srv.URL + "/chain/${entityName}",
		"http.request.parameters": "after=${offset}", "http.initial.offset": "-1", "entity.names": "x,y",
		"topic.name.pattern": "api-${entityName}", "http.offset.mode": "CHAINING", "http.offset.json.pointer": "/id",
		"http.response.data.json.pointer": "/data", "request.interval.ms": "50",
		"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
		"topic.creation.default.replication.factor": "1", "topic.creation.default.partitions": "1",
	})
	dev.PutConnector(t, "api", string(body))
	sc := sarama.NewConfig()
	sc.Version = sarama.V3_6_0_0
	read := func(brokers []string, topic string) []string {
		c, err := sarama.NewConsumer(brokers, sc)
		if err != nil {
			return nil
		}
		defer c.Close()
		pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
		if err != nil {
			return nil
		}
		defer pc.AsyncClose()
		var out []string
		for {
			select {
			case m := <-pc.Messages():
				out = append(out, string(m.Value))
				if m.Offset+1 >= pc.HighWaterMarkOffset() {
					return out
				}
			case <-time.After(300 * time.Millisecond):
				return out
			}
		}
	}
	var seen []string
	testsvc.Eventually(t, 60*time.Second, "some of x's records in api-x", func() bool {
		seen = read(dev.Brokers, "api-x")
		return len(seen) >= 5
	}, dev.Logs)
	t.Logf("%v: %d records in api-x; SIGKILL the kernel", time.Since(start).Round(time.Millisecond), len(seen))
	dev.Kill()
	a.add("x", 5)
	a.add("y", 3)
	dev2 := testsvc.StartDev(t, testsvc.DevOptions{DataDir: dataDir, Ports: ports, Plugins: []string{pluginBinary(t)}})
	t.Logf("%v: kernel restarted", time.Since(start).Round(time.Millisecond))
	for entity, n := range map[string]int{"x": 35, "y": 15} {
		var got []string
		testsvc.Eventually(t, 60*time.Second, fmt.Sprintf("all %d items of %s in api-%s", n, entity, entity), func() bool {
			got = read(dev2.Brokers, "api-"+entity)
			return len(distinct(got)) >= n
		}, func() string {
			return fmt.Sprintf("%d records, %d distinct; %s", len(got), len(distinct(got)), dev2.Logs())
		})
		d := distinct(got)
		for i := range n {
			if d[i] != itemJSON(entity, i) {
				t.Fatalf("api-%s: item %d is %s, want %s (records in order of first delivery)", entity, i, d[i], itemJSON(entity, i))
			}
		}
		if len(d) != n {
			t.Fatalf("api-%s holds %d distinct records, want %d", entity, len(d), n)
		}
		t.Logf("%v: api-%s: %d records for %d items (%d delivered again after the kill)", time.Since(start).Round(time.Millisecond), entity, len(got), n, len(got)-n)
	}
}

// distinct returns vs without repeats, in order of first appearance.
func distinct(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
