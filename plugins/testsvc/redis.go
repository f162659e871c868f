package testsvc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisInstall is what a test that needs Redis tells the user to install.
const redisInstall = "redis-server (apt-get install redis-server)"

// Redis is a redis-server started for one test on 127.0.0.1:Port, its files in Dir.
// Without [RedisOptions.AppendOnly] it keeps nothing on disk (--save ” --appendonly no).
type Redis struct {
	Host string
	Port int
	// Dir holds the server's pid file, log and (append-only) data.
	Dir string

	t    testing.TB
	opts RedisOptions
	cmd  *exec.Cmd
	done chan struct{}
}

// RedisOptions change how [StartRedis] runs the server.
type RedisOptions struct {
	// AppendOnly turns on the append-only file with appendfsync always, so every write
	// Redis acknowledged survives a kill -9 and a restart ([Redis.Restart]).
	AppendOnly bool
	// ReplicaOf makes the server a replica of the server at this host:port.
	ReplicaOf string
	// TLS serves TLS only, on Port, with these PEM files; clients must present a
	// certificate the CA signed.
	TLS *RedisTLS
	// Args are more redis-server arguments, e.g. "--requirepass", "pw".
	Args []string
}

// RedisTLS are the PEM files of a TLS server: its certificate and key, and the CA that
// signs the clients' (and the server's) certificates.
type RedisTLS struct {
	CertFile, KeyFile, CAFile string
}

// StartRedis starts redis-server on a free port in a temp dir, as TESTBED.md describes,
// and waits until it answers PING; the server is killed when the test ends. A missing
// binary skips the test locally and fails it in CI ([Require]).
func StartRedis(t testing.TB, opts ...RedisOptions) *Redis {
	t.Helper()
	RequireCommand(t, "redis-server", "apt-get install redis-server")
	r := &Redis{Host: "127.0.0.1", Port: FreePort(t), Dir: t.TempDir(), t: t}
	if len(opts) > 0 {
		r.opts = opts[0]
	}
	r.Start()
	t.Cleanup(r.Kill)
	return r
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// URL is the server's redis:// URI.
func (r *Redis) URL() string { return "redis://" + r.Addr() }

// Start starts the server (again, after [Redis.Kill]) on the same port and directory
// and waits until it answers PING.
func (r *Redis) Start() {
	r.t.Helper()
	if r.running() {
		r.t.Fatal("testsvc: redis-server is already running")
	}
	port := []string{"--port", strconv.Itoa(r.Port)}
	if tl := r.opts.TLS; tl != nil {
		port = []string{"--port", "0", "--tls-port", strconv.Itoa(r.Port), "--tls-cert-file", tl.CertFile,
			"--tls-key-file", tl.KeyFile, "--tls-ca-cert-file", tl.CAFile, "--tls-auth-clients", "yes"}
	}
	args := []string{"--bind", r.Host, "--dir", r.Dir,
		"--pidfile", filepath.Join(r.Dir, "redis.pid"), "--logfile", filepath.Join(r.Dir, "redis.log"),
		"--save", "", "--daemonize", "no", "--protected-mode", "no"}
	if r.opts.AppendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	if r.opts.ReplicaOf != "" {
		h, p, err := net.SplitHostPort(r.opts.ReplicaOf)
		if err != nil {
			r.t.Fatalf("testsvc: ReplicaOf %q: %v", r.opts.ReplicaOf, err)
		}
		args = append(args, "--replicaof", h, p)
	}
	args = append(append(port, args...), r.opts.Args...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("testsvc: start redis-server: %v", err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(r.done)
	exited := false
	if WaitFor(10*time.Second, func() bool {
		if out, err := r.CLI("PING"); err == nil && (out == "PONG" || strings.HasPrefix(out, "NOAUTH")) {
			return true
		}
		select {
		case <-r.done:
			exited = true
			return true
		default:
			return false
		}
	}) && !exited {
		return
	}
	if exited {
		r.t.Fatalf("testsvc: redis-server exited at start: %s", r.Log())
	}
	r.t.Fatalf("testsvc: redis-server on %s does not answer PING after 10s: %s", r.Addr(), r.Log())
}

func (r *Redis) running() bool {
	if r.done == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits until it is gone;
// a no-op when it is not running.
func (r *Redis) Kill() {
	if !r.running() {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// Restart kills the server and starts it again on the same port and directory.
func (r *Redis) Restart() {
	r.t.Helper()
	r.Kill()
	r.Start()
}

// CLI runs redis-cli against the server with args (a password in Args goes with -a;
// with TLS it presents the server's own certificate) and returns its output, trimmed.
func (r *Redis) CLI(args ...string) (string, error) {
	base := []string{"-h", r.Host, "-p", strconv.Itoa(r.Port)}
	for i := 0; i+1 < len(r.opts.Args); i++ {
		if r.opts.Args[i] == "--requirepass" {
			base = append(base, "--no-auth-warning", "-a", r.opts.Args[i+1])
		}
	}
	if tl := r.opts.TLS; tl != nil {
		base = append(base, "--tls", "--cert", tl.CertFile, "--key", tl.KeyFile, "--cacert", tl.CAFile)
	}
	out, err := exec.Command("redis-cli", append(base, args...)...).CombinedOutput()
	s := strings.TrimSpace(string(out))
	if err != nil {
		return s, fmt.Errorf("redis-cli %s: %w: %s", strings.Join(args, " "), err, s)
	}
	return s, nil
}

// Log returns the server's log so far.
func (r *Redis) Log() string {
	b, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
	return string(b)
}

// RedisCluster is a Redis Cluster of masters only, started for one test.
type RedisCluster struct {
	Nodes []*Redis
}

// Addrs are the nodes' host:port, any of which is a seed.
func (c *RedisCluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// StartRedisCluster starts masters redis-servers (at least 3) with cluster-enabled, joins
// them with redis-cli --cluster create (the hash slots spread over them, no replicas) and
// waits until every node reports cluster_state:ok.
func StartRedisCluster(t testing.TB, masters int) *RedisCluster {
	t.Helper()
	c := &RedisCluster{}
	for range max(masters, 3) {
		// The cluster bus port is chosen free as the data port is: left to redis-server it
		// is the data port + 10000, which nothing checks and another process may hold.
		c.Nodes = append(c.Nodes, StartRedis(t, RedisOptions{Args: []string{"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
			"--cluster-port", strconv.Itoa(FreePort(t))}}))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	if out, err := c.Nodes[0].CLI(append(args, "--cluster-replicas", "0", "--cluster-yes")...); err != nil {
		t.Fatalf("testsvc: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		var out string
		Eventually(t, 20*time.Second, "node "+n.Addr()+" to report cluster_state:ok", func() bool {
			out, _ = n.CLI("CLUSTER", "INFO")
			return strings.Contains(out, "cluster_state:ok")
		}, func() string { return "CLUSTER INFO: " + out })
	}
	return c
}
