package testsvc

import (
	"strings"
	"testing"
)

func TestStartPostgresIsLogicalAndRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := StartPostgres(t)
	if got := pg.Exec("SHOW wal_level"); got != "logical" {
		t.Fatalf("wal_level = %q, want logical", got)
	}
	pg.Exec("CREATE TABLE kept (id int primary key); INSERT INTO kept VALUES (1)")
	pg.Restart()
	if got := pg.Exec("SELECT count(*) FROM kept"); got != "1" {
		t.Fatalf("after restart the table holds %q rows, want 1", got)
	}
	if !strings.Contains(pg.DSN(""), "port=") {
		t.Fatalf("DSN %q has no port", pg.DSN(""))
	}
}
