package testsvc

import (
	"strings"
	"testing"
)

// TestRedisRestartKeepsAppendOnlyWrites starts redis-server with the append-only file,
// writes a key, kills the server with SIGKILL and starts it again: the key is there.
func TestRedisRestartKeepsAppendOnlyWrites(t *testing.T) {
	r := StartRedis(t, RedisOptions{AppendOnly: true})
	if out, err := r.CLI("SET", "k", "v"); err != nil || out != "OK" {
		t.Fatalf("SET k v: %q, %v; want OK", out, err)
	}
	r.Restart()
	if out, err := r.CLI("GET", "k"); err != nil || out != "v" {
		t.Fatalf("GET k after kill -9 and restart: %q, %v; want v", out, err)
	}
}

// TestRedisKill stops the server: redis-cli cannot reach it afterwards.
func TestRedisKill(t *testing.T) {
	r := StartRedis(t)
	r.Kill()
	if out, err := r.CLI("PING"); err == nil && strings.Contains(out, "PONG") {
		t.Fatalf("PING after Kill answered %q; want no server", out)
	}
}

// TestRedisCluster starts a three-master cluster: a key set through one node is read
// through another (redis-cli -c follows the redirect).
func TestRedisCluster(t *testing.T) {
	c := StartRedisCluster(t, 3)
	if out, err := c.Nodes[0].CLI("-c", "SET", "k", "v"); err != nil || out != "OK" {
		t.Fatalf("SET k v: %q, %v", out, err)
	}
	if out, err := c.Nodes[1].CLI("-c", "GET", "k"); err != nil || out != "v" {
		t.Fatalf("GET k through another node: %q, %v; want v", out, err)
	}
}
