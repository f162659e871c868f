package main

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestCluster writes keys spread over every hash slot range of a three-master cluster,
// with and without MULTI/EXEC and with jcustenborder's Cluster mode, and reads each back
// through a cluster client. A standalone client of a cluster node is refused at Open,
// naming the key that fixes it.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node Redis Cluster")
	}
	cl := testsvc.StartRedisCluster(t, 3)
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	const n = 300
	batch := func(prefix string) []sdk.SinkRecord {
		recs := make([]sdk.SinkRecord, n)
		for i := range recs {
			recs[i] = rec(int64(i), prefix+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		return recs
	}
	check := func(what string, key func(i int) string) {
		t.Helper()
		for i := range n {
			if got, err := rc.Get(ctx, key(i)).Result(); err != nil || got != "v"+strconv.Itoa(i) {
				t.Fatalf("%s: GET %s = %q, %v; want v%d", what, key(i), got, err, i)
			}
		}
	}
	for _, multi := range []string{"false", "true"} {
		tk := openTask(t, redisConnector{}, map[string]string{keyURI: "redis://" + cl.Addrs()[1], keyCluster: "true",
			keyType: "STRING", keyMultiExec: multi})
		put(t, tk, batch("m"+multi+"-")...)
		check("redis.multiexec="+multi, func(i int) string { return "orders:m" + multi + "-" + strconv.Itoa(i) })
	}
	kv := openTask(t, kvConnector{}, map[string]string{keyHosts: strings.Join(cl.Addrs(), ","), keyClientMode: "Cluster"})
	put(t, kv, batch("kv-")...)
	check("jcustenborder Cluster mode", func(i int) string { return "kv-" + strconv.Itoa(i) })
	for _, c := range []struct {
		conn sdk.Connector
		raw  map[string]string
		key  string
	}{
		{redisConnector{}, map[string]string{keyURI: "redis://" + cl.Addrs()[0], keyType: "STRING"}, keyCluster},
		{kvConnector{}, map[string]string{keyHosts: cl.Addrs()[0], keyDatabase: "0"}, keyClientMode},
	} {
		_, err := tryOpen(t, c.conn, c.raw)
		var ce sdk.ConfigError
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(ce.Message, "cluster_enabled:1") {
			t.Errorf("open of a standalone client on a cluster node: %v; want a config error of %s", err, c.key)
		}
	}
	slots := map[string]bool{}
	for _, node := range cl.Nodes {
		if out, _ := node.CLI("DBSIZE"); out != "0" {
			slots[node.Addr()] = true
		}
	}
	if len(slots) != 3 {
		t.Errorf("keys on %d of the 3 masters; want all (the test's keys spread over the slots)", len(slots))
	}
}

// TestSlot checks the hash slot function against Redis Cluster's specification's
// examples and hash tags.
func TestSlot(t *testing.T) {
	for key, want := range map[string]uint16{"123456789": 0x31C3 % 16384, "foo": 12182, "bar": 5061,
		"{user1000}.following": 3443, "{user1000}.followers": 3443, "foo{}{bar}": slot("foo{}{bar}")} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
	if slot("foo{}{bar}") == slot("bar") {
		t.Errorf("an empty hash tag {} must hash the whole key")
	}
}
