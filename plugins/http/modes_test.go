package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// base is a Confluent config against a's API with short intervals.
func (a *api) base(kv ...string) map[string]string {
	return with(cfg("topic.name.pattern", "t", "request.interval.ms", "20", "retry.backoff.ms", "1",
		"http.request.timeout.ms", "5000"), kv...)
}

// TestIncrementingPagesAndResumes reads 25 items a page of 10 at a time with
// SIMPLE_INCREMENTING, each record's offset the next request's; a task reopened at
// record 12's committed offset continues with 13, and items added later arrive once.
func TestIncrementingPagesAndResumes(t *testing.T) {
	a := newAPI(t)
	a.add("orders", 25)
	c := a.base("url", a.srv.URL+"/inc/${entityName}?offset=${offset}", "entity.names", "orders", "http.offset.mode", "SIMPLE_INCREMENTING", "topic.name.pattern", "t-${entityName}")
	tk := openTask(t, confluentClass, c)
	recs := poll(t, tk, 25)
	if got := ids(t, recs); got != want("orders", 0, 25) {
		t.Fatalf("ids %s", got)
	}
	for i, r := range recs {
		if n, _ := r.SourceOffset.Int("offset"); n != int64(i+1) || r.Topic != "t-orders" || r.SourcePartition["entityName"] != "orders" {
			t.Fatalf("record %d: topic %s partition %v offset %v; want t-orders, entity orders, offset %d", i, r.Topic, r.SourcePartition, r.SourceOffset.Map(), i+1)
		}
	}
	quiet(t, tk)
	_ = tk.Close()

	a.add("orders", 5)
	tk2 := openTask(t, confluentClass, c, committedAt(recs[12]))
	if got := ids(t, poll(t, tk2, 17)); got != want("orders", 13, 30) {
		t.Fatalf("after resuming at record 12: %s, want %s", got, want("orders", 13, 30))
	}
	quiet(t, tk2)
}

// TestIncrementingInitialOffset starts at http.initial.offset.
func TestIncrementingInitialOffset(t *testing.T) {
	a := newAPI(t)
	a.add("x", 8)
	tk := openTask(t, confluentClass, a.base("url", a.srv.URL+"/inc/${entityName}", "entity.names", "x",
		"http.request.parameters", "offset=${offset}", "http.initial.offset", "5"))
	if got := ids(t, poll(t, tk, 3)); got != want("x", 5, 8) {
		t.Fatalf("ids %s", got)
	}
	if log := a.requestLog(); log[0] != "/inc/x?offset=5" {
		t.Fatalf("first request %s, want /inc/x?offset=5", log[0])
	}
}

// TestChainingTwoEntitiesTwoTasks spreads two entities over two tasks; each chains on
// the last record's id and resumes from its own committed offset.
func TestChainingTwoEntitiesTwoTasks(t *testing.T) {
	a := newAPI(t)
	a.pageSize = 3
	a.add("a", 7)
	a.add("b", 4)
	raw := a.base("url", a.srv.URL+"/chain/${entityName}", "entity.names", "a,b", "http.offset.mode", "CHAINING",
		"http.request.parameters", "after=${offset}", "http.offset.json.pointer", "/id", "http.response.data.json.pointer", "/data",
		"http.initial.offset", "-1")
	tcs, err := confluentConnector{}.TaskConfigs(raw, 2)
	if err != nil || len(tcs) != 2 || tcs[0]["entity.names"] != "a" || tcs[1]["entity.names"] != "b" {
		t.Fatalf("task configs %v, %v; want one entity each", tcs, err)
	}
	ta, tb := openTask(t, confluentClass, tcs[0]), openTask(t, confluentClass, tcs[1])
	ra, rb := poll(t, ta, 7), poll(t, tb, 4)
	if ids(t, ra) != want("a", 0, 7) || ids(t, rb) != want("b", 0, 4) {
		t.Fatalf("a: %s; b: %s", ids(t, ra), ids(t, rb))
	}
	if off, _ := ra[4].SourceOffset.String("offset"); off != "4" {
		t.Fatalf("record a/4's offset %v, want {offset: \"4\"}", ra[4].SourceOffset.Map())
	}
	_ = ta.Close()
	a.add("a", 2)
	ta2 := openTask(t, confluentClass, tcs[0], committedAt(ra[4]), committedAt(rb[3]))
	if got := ids(t, poll(t, ta2, 4)); got != want("a", 5, 9) {
		t.Fatalf("a after resuming at a/4: %s", got)
	}
	quiet(t, ta2)
}

// TestChainingPOSTBody chains through a POST body template.
func TestChainingPOSTBody(t *testing.T) {
	a := newAPI(t)
	a.add("e", 5)
	tk := openTask(t, confluentClass, a.base("url", a.srv.URL+"/chain/${entityName}", "entity.names", "e", "http.request.method", "POST",
		"http.request.body", `{"after": ${offset}}`, "http.initial.offset", "1", "http.offset.mode", "CHAINING",
		"http.offset.json.pointer", "/id", "http.response.data.json.pointer", "/data"))
	if got := ids(t, poll(t, tk, 3)); got != want("e", 2, 5) {
		t.Fatalf("ids %s", got)
	}
}

// TestCursorPaginationLastPageGrows follows next-page cursors; the last page is asked
// for again and only its new items are delivered, and a task reopened in the middle of
// a page resumes exactly after the committed record.
func TestCursorPaginationLastPageGrows(t *testing.T) {
	a := newAPI(t)
	a.pageSize = 4
	a.add("p", 10)
	raw := a.base("url", a.srv.URL+"/cursor/${entityName}?cursor=${offset}", "entity.names", "p", "http.offset.mode", "CURSOR_PAGINATION",
		"http.next.page.json.pointer", "/meta/next", "http.response.data.json.pointer", "/data")
	tk := openTask(t, confluentClass, raw)
	recs := poll(t, tk, 10)
	if got := ids(t, recs); got != want("p", 0, 10) {
		t.Fatalf("ids %s", got)
	}
	offs := func(rs []sdk.SourceRecord) string {
		var out []string
		for _, r := range rs {
			b, _ := json.Marshal(r.SourceOffset)
			out = append(out, string(b))
		}
		return strings.Join(out, " ")
	}
	wantOffs := `{"index":1,"offset":""} {"index":2,"offset":""} {"index":3,"offset":""} {"index":0,"offset":"c4"} ` +
		`{"index":1,"offset":"c4"} {"index":2,"offset":"c4"} {"index":3,"offset":"c4"} {"index":0,"offset":"c8"} ` +
		`{"index":1,"offset":"c8"} {"index":2,"offset":"c8"}`
	if got := offs(recs); got != wantOffs {
		t.Fatalf("offsets\n%s\nwant\n%s", got, wantOffs)
	}
	quiet(t, tk)
	a.add("p", 3) // page c8 fills up (c8..c11) and c12 appears
	if got := ids(t, poll(t, tk, 3)); got != want("p", 10, 13) {
		t.Fatalf("after the last page grew: %s", got)
	}
	quiet(t, tk)
	_ = tk.Close()

	tk2 := openTask(t, confluentClass, raw, committedAt(recs[5])) // {c4, index 2}
	if got := ids(t, poll(t, tk2, 7)); got != want("p", 6, 13) {
		t.Fatalf("resumed at p/5: %s", got)
	}
	quiet(t, tk2)
}

// TestSingleObjectResponse makes one record of a response that is an object.
func TestSingleObjectResponse(t *testing.T) {
	a := newAPI(t)
	a.add("o", 3)
	tk := openTask(t, confluentClass, a.base("url", a.srv.URL+"/chain/o?after=${offset}", "http.offset.mode", "CHAINING",
		"http.offset.json.pointer", "/id", "http.response.data.json.pointer", "/data/0", "topic.name.pattern", "t-"))
	recs := poll(t, tk, 3)
	if got := ids(t, recs); got != want("o", 0, 3) {
		t.Fatalf("ids %s", got)
	}
	if recs[0].Topic != "t-" || recs[0].SourcePartition["entityName"] != "" {
		t.Fatalf("without entities: topic %q partition %v", recs[0].Topic, recs[0].SourcePartition)
	}
}

// TestCastormModel reads castorm's keys: the list at /data, key and offset from /id,
// ${offset.id} in the query; the record at the current offset, which an inclusive API
// repeats, is not delivered twice.
func TestCastormModel(t *testing.T) {
	a := newAPI(t)
	a.pageSize = 3
	a.add("c", 5)
	raw := cfg("http.request.url", a.srv.URL+"/chain/c", "http.request.params", "after=${offset.id}", "http.offset.initial", "id=-1",
		"http.response.list.pointer", "/data", "http.response.record.key.pointer", "/id", "http.response.record.offset.pointer", "id=/id",
		"kafka.topic", "castorm", "http.timer.interval.millis", "20", "http.timer.catchup.interval.millis", "10")
	tk := openTask(t, castormClass, raw)
	recs := poll(t, tk, 5)
	var got []string
	for _, r := range recs {
		v := r.Value.(interface{ Get(string) any })
		k := r.Key.(interface{ Get(string) any })
		got = append(got, k.Get("key").(string)+"="+v.Get("value").(string))
	}
	if g := strings.Join(got, " "); !strings.HasPrefix(g, `0={"id":0,"entity":"c","name":"c-0"} 1=`) || len(got) != 5 {
		t.Fatalf("records %s", g)
	}
	if off := recs[4].SourceOffset.Map(); off["id"] != "4" || off["key"] != "4" || recs[4].Topic != "castorm" {
		t.Fatalf("last offset %v topic %s", off, recs[4].Topic)
	}
	quiet(t, tk)
	// Resume at id 2 against an API that answers inclusively (/inc?offset=2 starts with
	// item 2): the record at the committed offset is skipped, not delivered again.
	_ = tk.Close()
	raw2 := with(raw, "http.request.url", a.srv.URL+"/inc/c", "http.request.params", "offset=${offset.id}", "http.response.list.pointer", "/")
	a.add("c", 1)
	tk2 := openTask(t, castormClass, raw2, committedAt(recs[2]))
	rest := poll(t, tk2, 3)
	for i, r := range rest {
		if k := r.Key.(interface{ Get(string) any }).Get("key"); k != []string{"3", "4", "5"}[i] {
			t.Fatalf("resumed record %d has key %v; want 3, 4, 5 (item 2 skipped as delivered)", i, k)
		}
	}
	quiet(t, tk2)
}
