package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestRedisKilledMidStream streams batches of SETs into a redis-server (append-only,
// fsync always) that is SIGKILLed while a Put is in flight and restarted, twice. The
// test does what the kernel does: a retriable Put is put again, Flush's offsets are the
// committed ones. Right after each restart every record below the committed offset is in
// Redis with its value, and at the end all of them are.
func TestRedisKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts redis-server")
	}
	r := testsvc.StartRedis(t, testsvc.RedisOptions{AppendOnly: true})
	rc := client(t, r, 0)
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "STRING", keyTimeout: "1"}))
	const batches, size = 30, 1000
	killAt := map[int]bool{8: true, 20: true}
	var committed int64
	retriableSeen := 0
	checkCommitted := func(when string) {
		t.Helper()
		for off := int64(0); off < committed; off += 1 {
			got, err := rc.Get(ctx, "orders:"+strconv.FormatInt(off, 10)).Result()
			if err != nil || got != "v"+strconv.FormatInt(off, 10) {
				t.Fatalf("%s: offset %d is committed (flush reported %d) but GET orders:%d = %q, %v", when, off, committed, off, got, err)
			}
		}
	}
	for b := 0; b < batches; b++ {
		recs := make([]sdk.SinkRecord, size)
		for i := range recs {
			off := int64(b*size + i)
			recs[i] = rec(off, strconv.FormatInt(off, 10), "v"+strconv.FormatInt(off, 10))
		}
		var killDone chan struct{}
		if killAt[b] {
			killDone = make(chan struct{})
			go func() { r.Kill(); close(killDone) }() // lands while the Put below is writing
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := tk.Put(ctx, recs)
			if err == nil {
				break
			}
			if !isRetriable(err) {
				t.Fatalf("batch %d: put: %v; want only retriable errors while Redis is down", b, err)
			}
			retriableSeen++
			if killDone != nil {
				<-killDone
				r.Start()
				checkCommitted(fmt.Sprintf("after restart %d", b))
				killDone = nil
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch %d: still failing after 30s: %v", b, err)
			}
		}
		if killDone != nil { // the kill landed after the Put had its replies: restart now
			t.Logf("batch %d: the kill came after the put", b)
			<-killDone
			r.Start()
			checkCommitted(fmt.Sprintf("after restart %d", b))
		}
		next := int64((b + 1) * size)
		got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: next})
		if got[tp0] > next || got[tp0] < committed {
			t.Fatalf("batch %d: flush reported %v; want orders-0 between %d and %d", b, got, committed, next)
		}
		committed = got[tp0]
	}
	t.Logf("%d retriable puts", retriableSeen)
	if retriableSeen == 0 {
		t.Errorf("no put failed while Redis was killed twice; the test did not exercise the outage")
	}
	if committed != batches*size {
		t.Errorf("committed %d at the end, want %d", committed, batches*size)
	}
	checkCommitted("at the end")
	if n := rc.DBSize(ctx).Val(); n != batches*size {
		t.Errorf("DBSIZE %d, want %d", n, batches*size)
	}
}

// TestShortOutageIsAbsorbed: Redis down for less than redis.timeout costs a Put time,
// not an error: the Put retries until Redis is back and returns nil, its record written.
func TestShortOutageIsAbsorbed(t *testing.T) {
	r := testsvc.StartRedis(t)
	var logs lockedLog
	cfg, errs := redisDef().Parse(conf(r, map[string]string{keyType: "LIST", keyKeyspace: "l", keyTimeout: "30"}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tk := redisConnector{}.NewSinkTask().(*task)
	if err := tk.Open(ctx, sdk.TaskContext{Config: cfg, Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Warn})}, nil); err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	put(t, tk, rec(0, "a", "x"))
	r.Kill()
	done := make(chan error, 1)
	go func() { done <- tk.Put(ctx, []sdk.SinkRecord{rec(1, "b", "x"), rec(2, "c", "x")}) }()
	pollFor(t, "the put to retry", func() (bool, string) {
		s := logs.String()
		return strings.Contains(s, "retrying"), s
	})
	r.Start()
	if err := <-done; err != nil {
		t.Fatalf("put across a short outage: %v; want nil", err)
	}
	if got := client(t, r, 0).LRange(ctx, "l", 0, -1).Val(); strings.Join(got, ",") != "b,c" {
		t.Errorf("LRANGE l = %v; want [b c] (a was lost with the unpersisted server, b and c pushed once)", got)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3}); got[tp0] != 3 {
		t.Errorf("flush reported %v; want orders-0 at 3", got)
	}
}

// lockedLog is a log sink safe for concurrent writes.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
