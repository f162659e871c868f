package testsvc

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgInstall is what a test that needs PostgreSQL tells the user to install.
const pgInstall = "postgresql (apt-get install postgresql)"

// pgBinDir is where Debian's postgresql package puts the server binaries.
const pgBinDir = "/usr/lib/postgresql/15/bin"

// Postgres is a PostgreSQL 15 server started for one test, with wal_level=logical so
// logical replication (pgoutput) works. It listens on 127.0.0.1:Port and on a Unix socket
// in its directory; user postgres connects without a password (trust).
type Postgres struct {
	Host string
	Port int
	User string
	// DB is the database tests use: "postgres".
	DB string

	t      testing.TB
	dir    string // 0755, owned by the postgres user when the test runs as root
	data   string
	asUser string // the OS user that runs the server ("" = this process's user)
}

// StartPostgres initialises a cluster in a directory of the test's and starts it on a
// free port, as TESTBED.md describes; the server is stopped (-m immediate) when the test
// ends. Missing binaries skip the test locally and fail it in CI ([Require]).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	_, err := os.Stat(filepath.Join(pgBinDir, "initdb"))
	Require(t, err, pgInstall)
	_, err = exec.LookPath("psql")
	Require(t, err, pgInstall)

	p := &Postgres{Host: "127.0.0.1", User: "postgres", DB: "postgres", t: t}
	// initdb refuses root: as root the cluster belongs to the postgres user, in a
	// directory it can enter (t.TempDir is 0700 and root's).
	dir, err := os.MkdirTemp("", "testsvc-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		Require(t, err, pgInstall+", which creates the postgres user")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.asUser = "postgres"
	}
	p.dir, p.data = dir, filepath.Join(dir, "data")
	if out, err := p.command(filepath.Join(pgBinDir, "initdb"), "-D", p.data, "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Port = FreePort(t)
	conf := fmt.Sprintf("\nlisten_addresses='127.0.0.1'\nport=%d\nunix_socket_directories='%s'\n"+
		"wal_level=logical\nfsync=off\nmax_replication_slots=20\nmax_wal_senders=20\n", p.Port, dir)
	f, err := os.OpenFile(filepath.Join(p.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	t.Cleanup(p.Kill)
	return p
}

// command runs a PostgreSQL binary as the cluster's OS user.
func (p *Postgres) command(bin string, args ...string) *exec.Cmd {
	if p.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", p.asUser, "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// Start starts the server (again, after [Postgres.Kill]) and waits until it accepts
// connections.
func (p *Postgres) Start() {
	p.t.Helper()
	out, err := p.command(filepath.Join(pgBinDir, "pg_ctl"), "-D", p.data, "-l", filepath.Join(p.dir, "log"), "-w", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Kill stops the server at once (pg_ctl stop -m immediate), as a crash would; it is a
// no-op when the server is not running.
func (p *Postgres) Kill() {
	_ = p.command(filepath.Join(pgBinDir, "pg_ctl"), "-D", p.data, "-m", "immediate", "stop").Run()
}

// Restart kills the server and starts it again on the same port and data.
func (p *Postgres) Restart() {
	p.t.Helper()
	p.Kill()
	p.Start()
}

// DSN returns a connection string for database db ("" for [Postgres.DB]), in the
// key=value form pgx and libpq read.
func (p *Postgres) DSN(db string) string {
	if db == "" {
		db = p.DB
	}
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", p.Host, p.Port, p.User, db)
}

// Exec runs sql with psql (statements separated by semicolons, each in its own
// transaction unless the script says BEGIN) and returns its unaligned, tuples-only output;
// an error fails the test.
func (p *Postgres) Exec(sql string) string {
	p.t.Helper()
	out, err := p.Psql(sql)
	if err != nil {
		p.t.Fatalf("psql %q: %v", sql, err)
	}
	return out
}

// Psql runs sql with psql and returns its output, or an error with psql's message.
func (p *Postgres) Psql(sql string) (string, error) {
	cmd := exec.Command("psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
		"-h", p.Host, "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", p.DB, "-c", sql)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(string(out), "\n"), nil
}

// WaitFor polls query with psql until its output is want or the deadline passes; it
// returns the last output.
func (p *Postgres) WaitFor(query, want string, within time.Duration) string {
	p.t.Helper()
	var got string
	WaitFor(within, func() bool {
		got, _ = p.Psql(query)
		return got == want
	})
	return got
}
