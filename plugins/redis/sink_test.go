package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestEveryType writes records, tombstones among them, with each redis.type (and the
// older redis.command names) and reads Redis back.
func TestEveryType(t *testing.T) {
	r := testsvc.StartRedis(t)
	rc := client(t, r, 0)
	for _, tc := range []struct {
		name  string
		extra map[string]string
		recs  []sdk.SinkRecord
		check func(t *testing.T)
	}{
		{"STRING", map[string]string{keyType: "STRING"},
			[]sdk.SinkRecord{rec(0, "a", "one"), rec(1, "b", []byte("two")), rec(2, "c", "three"), rec(3, "a", nil), rec(4, int64(7), "seven")},
			func(t *testing.T) {
				want := map[string]any{"orders:a": nil, "orders:b": "two", "orders:c": "three", "orders:7": "seven"}
				for k, v := range want {
					got, err := rc.Get(ctx, k).Result()
					if v == nil {
						if !errors.Is(err, redis.Nil) {
							t.Errorf("GET %s after its tombstone: %q, %v; want no key", k, got, err)
						}
					} else if got != v {
						t.Errorf("GET %s = %q, %v; want %q", k, got, err, v)
					}
				}
			}},
		{"HASH from structs and maps", map[string]string{keyType: "HASH"},
			[]sdk.SinkRecord{row(0, "1", 1, "ann", 2.5), rec(1, "2", map[string]any{"id": int64(2), "name": "bob", "tags": []any{"x"}, "gone": nil}),
				row(2, "3", 3, "cy", 1e10), rec(3, "3", nil)},
			func(t *testing.T) {
				if got := rc.HGetAll(ctx, "orders:1").Val(); !reflect.DeepEqual(got, map[string]string{"id": "1", "name": "ann", "price": "2.5"}) {
					t.Errorf("HGETALL orders:1 = %v", got)
				}
				if got := rc.HGetAll(ctx, "orders:2").Val(); !reflect.DeepEqual(got, map[string]string{"id": "2", "name": "bob", "tags": `["x"]`}) {
					t.Errorf("HGETALL orders:2 = %v; want the null field left out and the array as JSON", got)
				}
				if n := rc.Exists(ctx, "orders:3").Val(); n != 0 {
					t.Errorf("orders:3 exists after its tombstone")
				}
			}},
		{"STREAM", map[string]string{keyType: "STREAM", keyKeyspace: "events:${topic}"},
			[]sdk.SinkRecord{row(0, "1", 1, "ann", 2.5), rec(1, "2", nil), rec(2, nil, map[string]any{"id": int64(2)})},
			func(t *testing.T) {
				msgs := rc.XRange(ctx, "events:orders", "-", "+").Val()
				if len(msgs) != 2 {
					t.Fatalf("stream events:orders has %d entries, want 2 (the tombstone writes none): %v", len(msgs), msgs)
				}
				if !reflect.DeepEqual(msgs[0].Values, map[string]any{"id": "1", "name": "ann", "price": "2.5"}) || msgs[1].Values["id"] != "2" {
					t.Errorf("stream entries %v", msgs)
				}
			}},
		{"LIST (RPUSH)", map[string]string{keyType: "LIST"},
			[]sdk.SinkRecord{rec(0, "a", "x"), rec(1, "b", "x"), rec(2, "c", "x"), rec(3, "b", nil)},
			func(t *testing.T) {
				if got := rc.LRange(ctx, "orders", 0, -1).Val(); !reflect.DeepEqual(got, []string{"a", "c"}) {
					t.Errorf("LRANGE orders = %v; want [a c] (b pushed, then removed by its tombstone)", got)
				}
			}},
		{"redis.command=LPUSH", map[string]string{keyCommand: "LPUSH", keyKeyOld: "l"},
			[]sdk.SinkRecord{rec(0, "a", "x"), rec(1, "b", "x")},
			func(t *testing.T) {
				if got := rc.LRange(ctx, "l", 0, -1).Val(); !reflect.DeepEqual(got, []string{"b", "a"}) {
					t.Errorf("LRANGE l = %v; want [b a]", got)
				}
			}},
		{"SET", map[string]string{keyType: "SET", keyKeyspace: "s"},
			[]sdk.SinkRecord{rec(0, "a", "x"), rec(1, "b", "x"), rec(2, "a", "y"), rec(3, "b", nil)},
			func(t *testing.T) {
				if got := rc.SMembers(ctx, "s").Val(); !reflect.DeepEqual(got, []string{"a"}) {
					t.Errorf("SMEMBERS s = %v; want [a]", got)
				}
			}},
		{"ZSET", map[string]string{keyType: "ZSET", keyKeyspace: "z"},
			[]sdk.SinkRecord{rec(0, "a", 1.5), rec(1, "b", int64(3)), rec(2, "c", 2.0), rec(3, "c", nil)},
			func(t *testing.T) {
				got := rc.ZRangeWithScores(ctx, "z", 0, -1).Val()
				want := []redis.Z{{Score: 1.5, Member: "a"}, {Score: 3, Member: "b"}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("ZRANGE z WITHSCORES = %v; want %v", got, want)
				}
			}},
		{"redis.command=DEL", map[string]string{keyCommand: "DEL"},
			[]sdk.SinkRecord{rec(0, "pre1", "x"), rec(1, "pre2", "y")},
			func(t *testing.T) {
				if n := rc.Exists(ctx, "orders:pre1", "orders:pre2").Val(); n != 0 {
					t.Errorf("%d of the keys are left after DEL", n)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc.FlushAll(ctx)
			rc.Set(ctx, "orders:pre1", "old", 0)
			rc.Set(ctx, "orders:pre2", "old", 0)
			tk := openTask(t, redisConnector{}, conf(r, tc.extra))
			put(t, tk, tc.recs...)
			tc.check(t)
			last := tc.recs[len(tc.recs)-1].Offset + 1
			if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: last}); got[tp0] != last {
				t.Errorf("flush reported %v, want %s-0 at %d", got, tp0.Topic, last)
			}
		})
	}
}

// TestKeyspaceAndSeparator builds keys from redis.keyspace with ${topic} and
// redis.separator, or takes the record key alone with an empty key space.
func TestKeyspaceAndSeparator(t *testing.T) {
	r := testsvc.StartRedis(t)
	rc := client(t, r, 0)
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "STRING", keyKeyspace: "cache.${topic}.v1", keySeparator: "/"}))
	put(t, tk, rec(0, "k", "v"))
	if got := rc.Get(ctx, "cache.orders.v1/k").Val(); got != "v" {
		t.Errorf("GET cache.orders.v1/k = %q; want v (keys %v)", got, rc.Keys(ctx, "*").Val())
	}
	bare := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "STRING", keyKeyspace: ""}))
	put(t, bare, rec(1, []byte("raw-key"), "w"))
	if got := rc.Get(ctx, "raw-key").Val(); got != "w" {
		t.Errorf("GET raw-key = %q; want w with an empty key space (keys %v)", got, rc.Keys(ctx, "*").Val())
	}
}

// TestMultiExec writes a batch in one MULTI/EXEC, as the server's command statistics
// show, and a refused command in one fails the Put naming its record.
func TestMultiExec(t *testing.T) {
	r := testsvc.StartRedis(t)
	rc := client(t, r, 0)
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "HASH", keyMultiExec: "true"}))
	rc.ConfigResetStat(ctx)
	put(t, tk, row(0, "1", 1, "a", 1), row(1, "2", 2, "b", 2))
	stats, _ := r.CLI("INFO", "commandstats")
	for _, want := range []string{"cmdstat_multi:calls=1,", "cmdstat_exec:calls=1,", "cmdstat_hset:calls=2,"} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO commandstats lacks %q after one put of two records:\n%s", want, stats)
		}
	}
	if rc.HGet(ctx, "orders:2", "name").Val() != "b" {
		t.Errorf("orders:2 not written")
	}
	rc.Set(ctx, "orders:9", "a string, not a hash", 0)
	err := tk.Put(ctx, []sdk.SinkRecord{row(2, "3", 3, "c", 3), row(3, "9", 9, "x", 9)})
	if err == nil || !strings.Contains(err.Error(), "orders-0@3") || !strings.Contains(err.Error(), "WRONGTYPE") || isRetriable(err) {
		t.Fatalf("put with a WRONGTYPE command: %v; want a non-retriable error naming orders-0@3 and WRONGTYPE", err)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 4}); got[tp0] != 2 {
		t.Errorf("flush after the failed put reported %v; want orders-0 at 2 (the first put only)", got)
	}
}

// TestRefusedCommandNamesItsRecord: without MULTI/EXEC, a command Redis refuses fails
// the Put naming the record; the flush reports only what earlier Puts wrote.
func TestRefusedCommandNamesItsRecord(t *testing.T) {
	r := testsvc.StartRedis(t)
	rc := client(t, r, 0)
	rc.RPush(ctx, "orders:b", "a list")
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "STRING"}))
	put(t, tk, rec(0, "a", "1"))
	err := tk.Put(ctx, []sdk.SinkRecord{rec(1, "x", "2"), rec(2, "b", "3"), rec(3, "c", "4")})
	if err != nil {
		t.Fatalf("SET over a list replaces it, want no error: %v", err)
	}
	rc.RPush(ctx, "s", "a list")
	hs := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "SET", keyKeyspace: "s"}))
	err = hs.Put(ctx, []sdk.SinkRecord{rec(5, "m", "x")})
	if err == nil || !strings.Contains(err.Error(), "orders-0@5") || !strings.Contains(err.Error(), "WRONGTYPE") || isRetriable(err) {
		t.Fatalf("SADD to a list: %v; want a non-retriable error naming orders-0@5 and WRONGTYPE", err)
	}
	if got := flushOf(t, hs, map[sdk.TopicPartition]int64{tp0: 6}); len(got) != 0 {
		t.Errorf("flush reported %v after the only put failed; want nothing", got)
	}
}

// TestRecordsThatCannotBeWritten: a value or key of the wrong type for redis.type fails
// the Put with an error naming the record and the fix.
func TestRecordsThatCannotBeWritten(t *testing.T) {
	r := testsvc.StartRedis(t)
	for _, tc := range []struct {
		typ  string
		r    sdk.SinkRecord
		want string
	}{
		{"STRING", row(4, "k", 1, "a", 1), "StringConverter"},
		{"STRING", rec(4, nil, "v"), "record key is null"},
		{"HASH", rec(4, "k", "text"), "struct or a map"},
		{"SET", rec(4, int64(1), "v"), "key.converter"},
		{"ZSET", rec(4, "k", "high"), "must be a number"},
		{"STREAM", rec(4, "k", map[string]any{"only": nil}), "at least one"},
	} {
		tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: tc.typ, keyKeyspace: "ks"}))
		err := tk.Put(ctx, []sdk.SinkRecord{tc.r})
		if err == nil || !strings.Contains(err.Error(), "orders-0@4") || !strings.Contains(err.Error(), tc.want) || isRetriable(err) {
			t.Errorf("%s: put %v: %v; want a non-retriable error naming orders-0@4 and %q", tc.typ, tc.r.Value, err, tc.want)
		}
	}
}

// TestJSONAndTimeSeriesNeedTheirModules: Debian's redis-server has neither RedisJSON nor
// RedisTimeSeries, so Open refuses redis.type=JSON and TIMESERIES (and the older
// JSONSET and TSADD), naming the key and the module.
func TestJSONAndTimeSeriesNeedTheirModules(t *testing.T) {
	r := testsvc.StartRedis(t)
	for _, tc := range []struct{ key, value, module string }{
		{keyType, "JSON", "RedisJSON"}, {keyCommand, "JSONSET", "RedisJSON"},
		{keyType, "TIMESERIES", "RedisTimeSeries"}, {keyCommand, "TSADD", "RedisTimeSeries"},
	} {
		_, err := tryOpen(t, redisConnector{}, conf(r, map[string]string{tc.key: tc.value}))
		var ce sdk.ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Message, tc.module) || !strings.Contains(ce.Message, "MODULE LIST") {
			t.Errorf("open with %s=%s: %v; want a config error of %s naming %s", tc.key, tc.value, err, tc.key, tc.module)
		}
	}
}

// TestJSONSetUnknownCommandNamesTheModule: when MODULE LIST is not allowed (here: the
// MODULE command renamed away), the first JSON.SET fails naming the missing module, not
// the record.
func TestJSONSetUnknownCommandNamesTheModule(t *testing.T) {
	r := testsvc.StartRedis(t, testsvc.RedisOptions{Args: []string{"--rename-command", "MODULE", ""}})
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "JSON"}))
	err := tk.Put(ctx, []sdk.SinkRecord{row(0, "k", 1, "a", 1)})
	if err == nil || !strings.Contains(err.Error(), "RedisJSON") || !strings.Contains(err.Error(), keyType) || isRetriable(err) {
		t.Fatalf("JSON.SET on a server without the module: %v; want a non-retriable error naming RedisJSON and redis.type", err)
	}
}

// TestTTL sets redis.key.ttl on every key written, and a record's redis.key.ttl header
// overrides it.
func TestTTL(t *testing.T) {
	r := testsvc.StartRedis(t)
	rc := client(t, r, 0)
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "STRING", keyTTL: "1000"}))
	withHeader := rec(1, "b", "v")
	withHeader.Headers = []sdk.Header{{Key: ttlHeader, Value: "50"}}
	put(t, tk, rec(0, "a", "v"), withHeader)
	if ttl := rc.TTL(ctx, "orders:a").Val().Seconds(); ttl <= 50 || ttl > 1000 {
		t.Errorf("TTL orders:a = %vs; want about 1000 (redis.key.ttl)", ttl)
	}
	if ttl := rc.TTL(ctx, "orders:b").Val().Seconds(); ttl <= 0 || ttl > 50 {
		t.Errorf("TTL orders:b = %vs; want about 50 (its header)", ttl)
	}
}

// TestURIWithPasswordAndDatabase connects with the password and database in redis.uri.
func TestURIWithPasswordAndDatabase(t *testing.T) {
	r := testsvc.StartRedis(t, testsvc.RedisOptions{Args: []string{"--requirepass", "s3cret"}})
	tk := openTask(t, redisConnector{}, map[string]string{keyURI: fmt.Sprintf("redis://default:s3cret@%s/3", r.Addr()), keyType: "STRING"})
	put(t, tk, rec(0, "a", "v"))
	if out, err := r.CLI("-n", "3", "GET", "orders:a"); err != nil || out != "v" {
		t.Errorf("GET orders:a in database 3: %q, %v; want v", out, err)
	}
	_, err := tryOpen(t, redisConnector{}, map[string]string{keyURI: fmt.Sprintf("redis://:wrong@%s", r.Addr()), keyType: "STRING"})
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("open with a wrong password: %v; want an error that does not repeat the password", err)
	}
}

// TestJcustenborderClass: the jcustenborder class sets the key's bytes to the value's
// bytes in redis.database, and deletes the key for a tombstone.
func TestJcustenborderClass(t *testing.T) {
	r := testsvc.StartRedis(t, testsvc.RedisOptions{Args: []string{"--requirepass", "pw"}})
	tk := openTask(t, kvConnector{}, map[string]string{keyHosts: r.Addr(), keyPassword: "pw", keyDatabase: "2", keyTopics: "orders"})
	put(t, tk, rec(0, []byte("k1"), []byte{0, 1, 2}), rec(1, "k2", "v2"), rec(2, "k3", "v3"), rec(3, "k2", nil))
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), Password: "pw", DB: 2, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	if got := c.Get(ctx, "k1").Val(); got != "\x00\x01\x02" {
		t.Errorf("GET k1 = %q; want the value's bytes", got)
	}
	if got := c.Get(ctx, "k3").Val(); got != "v3" {
		t.Errorf("GET k3 = %q; want v3", got)
	}
	if n := c.Exists(ctx, "k2").Val(); n != 0 {
		t.Errorf("k2 exists after its tombstone")
	}
	err := tk.Put(ctx, []sdk.SinkRecord{rec(4, int64(5), "v")})
	if err == nil || !strings.Contains(err.Error(), "orders-0@4") {
		t.Errorf("put with an integer key: %v; want an error naming orders-0@4", err)
	}
}

// TestWaitReplicas: with redis.wait.replicas=1 a Put returns once the replica has the
// writes; with no replica it is retriable and nothing is reported.
func TestWaitReplicas(t *testing.T) {
	primary := testsvc.StartRedis(t)
	replica := testsvc.StartRedis(t, testsvc.RedisOptions{ReplicaOf: primary.Addr()})
	pollFor(t, "the replica to sync", func() (bool, string) {
		out, _ := replica.CLI("INFO", "replication")
		return strings.Contains(out, "master_link_status:up"), out
	})
	for _, multi := range []string{"false", "true"} {
		tk := openTask(t, redisConnector{}, conf(primary, map[string]string{keyType: "STRING", keyWaitReplicas: "1", keyWaitTimeout: "5000", keyMultiExec: multi}))
		put(t, tk, rec(0, "w"+multi, "v"))
		if out, _ := replica.CLI("GET", "orders:w"+multi); out != "v" {
			t.Errorf("multiexec=%s: GET orders:w%s on the replica right after the put = %q; want v", multi, multi, out)
		}
	}
	replica.Kill()
	tk := openTask(t, redisConnector{}, conf(primary, map[string]string{keyType: "STRING", keyWaitReplicas: "1", keyWaitTimeout: "100", keyTimeout: "1"}))
	err := tk.Put(ctx, []sdk.SinkRecord{rec(1, "x", "v")})
	if !isRetriable(err) || !strings.Contains(err.Error(), "replicas") {
		t.Fatalf("put with the replica down: %v; want a retriable error about replicas", err)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); len(got) != 0 {
		t.Errorf("flush reported %v after the put fell short of replicas; want nothing", got)
	}
}

// TestOutageIsRetriable: with Redis down a Put keeps retrying for redis.timeout, then
// fails retriable, reporting nothing; once Redis is back the same Put succeeds.
func TestOutageIsRetriable(t *testing.T) {
	r := testsvc.StartRedis(t)
	tk := openTask(t, redisConnector{}, conf(r, map[string]string{keyType: "STRING", keyTimeout: "1"}))
	put(t, tk, rec(0, "a", "v"))
	r.Kill()
	err := tk.Put(ctx, []sdk.SinkRecord{rec(1, "b", "v")})
	if !isRetriable(err) {
		t.Fatalf("put with Redis down: %v; want a retriable error", err)
	}
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); got[tp0] != 1 {
		t.Errorf("flush with Redis down reported %v; want orders-0 at 1", got)
	}
	r.Start()
	put(t, tk, rec(1, "b", "v"))
	if got := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); got[tp0] != 2 {
		t.Errorf("flush after Redis came back reported %v; want orders-0 at 2", got)
	}
}
