package testsvc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mariadbInstall is what a test that needs MariaDB tells the user to install.
const mariadbInstall = "mariadb-server (apt-get install mariadb-server)"

// mariadbd is where Debian's mariadb-server package puts the server.
const mariadbd = "/usr/sbin/mariadbd"

// MariaDB is a MariaDB server (the MySQL-protocol database) started for one test. It
// listens on 127.0.0.1:Port; User/Password is an account with every privilege, made for
// connectors, and DB an empty database it owns.
type MariaDB struct {
	Host     string
	Port     int
	User     string
	Password string
	// DB is the database tests use: "test".
	DB string

	t   testing.TB
	dir string
	cmd *exec.Cmd
}

// StartMariaDB initialises a data directory of the test's and starts mariadbd on a free
// port, as TESTBED.md describes, creates the connector's user and database, and shuts the
// server down when the test ends. Missing binaries skip the test locally and fail it in CI
// ([Require]).
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	_, err := os.Stat(mariadbd)
	Require(t, err, mariadbInstall)
	installDB := RequireCommand(t, "mariadb-install-db", "apt-get install mariadb-server")
	RequireCommand(t, "mariadb", "apt-get install mariadb-client")

	dir, err := os.MkdirTemp("", "testsvc-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &MariaDB{Host: "127.0.0.1", User: "connect", Password: "connect-pw", DB: "test", t: t, dir: dir}
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("mysql")
		Require(t, err, mariadbInstall+", which creates the mysql user")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		asUser = []string{"--user=mysql"}
	}
	data := filepath.Join(dir, "data")
	args := append([]string{"--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}, asUser...)
	if out, err := exec.Command(installDB, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	m.Port = FreePort(t)
	srv := []string{mariadbd, "--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(m.Port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(dir, "sock"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--innodb-flush-log-at-trx-commit=0", "--skip-log-bin", "--log-error=" + filepath.Join(dir, "error.log")}
	if os.Geteuid() == 0 {
		srv = append([]string{"runuser", "-u", "mysql", "--"}, srv...)
	}
	m.cmd = exec.Command(srv[0], srv[1:]...)
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start mariadbd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = exec.Command("mariadb-admin", "-h127.0.0.1", "-P"+strconv.Itoa(m.Port), "-uroot", "shutdown").Run()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = m.cmd.Process.Kill()
			<-exited
		}
	})
	gone := false
	ready := WaitFor(30*time.Second, func() bool {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", m.Port), time.Second); err == nil {
			c.Close()
			if _, err = m.root("SELECT 1"); err == nil {
				return true
			}
		}
		select {
		case <-exited:
			gone = true
			return true
		default:
			return false
		}
	})
	if gone || !ready {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		if gone {
			t.Fatalf("mariadbd exited before accepting connections:\n%s", log)
		}
		t.Fatalf("mariadbd did not accept connections within 30s: %v\n%s", err, log)
	}
	if _, err := m.root(fmt.Sprintf("CREATE DATABASE %s; CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'%%'",
		m.DB, m.User, m.Password, m.User)); err != nil {
		t.Fatalf("create the connector's user: %v", err)
	}
	return m
}

// root runs sql as root over TCP (root has no password there).
func (m *MariaDB) root(sql string) (string, error) {
	return m.run([]string{"-uroot"}, sql)
}

func (m *MariaDB) run(auth []string, sql string) (string, error) {
	args := append([]string{"-h127.0.0.1", "-P" + strconv.Itoa(m.Port), "--batch", "--skip-column-names"}, auth...)
	args = append(args, "-e", sql)
	cmd := exec.Command("mariadb", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(string(out), "\n"), nil
}

// Query runs sql in database DB as the connector's user and returns its output, one
// row a line with tab-separated columns (NULL as "NULL"), or an error with the client's
// message.
func (m *MariaDB) Query(sql string) (string, error) {
	return m.run([]string{"-u" + m.User, "-p" + m.Password, "-D" + m.DB}, sql)
}

// Exec runs sql as [MariaDB.Query] does; an error fails the test.
func (m *MariaDB) Exec(sql string) string {
	m.t.Helper()
	out, err := m.Query(sql)
	if err != nil {
		m.t.Fatalf("mariadb %q: %v", sql, err)
	}
	return out
}

// DSN returns a go-sql-driver/mysql data source name for database DB.
func (m *MariaDB) DSN() string {
	return fmt.Sprintf("%s:%s@tcp(%s:%d)/%s", m.User, m.Password, m.Host, m.Port, m.DB)
}

// URL returns the JDBC URL of database DB, as a connector config names it.
func (m *MariaDB) URL() string { return fmt.Sprintf("jdbc:mariadb://%s:%d/%s", m.Host, m.Port, m.DB) }
