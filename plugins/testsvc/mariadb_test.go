package testsvc

import "testing"

func TestStartMariaDBServesTheConnectorUser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	m := StartMariaDB(t)
	m.Exec("CREATE TABLE kept (id int primary key); INSERT INTO kept VALUES (1), (2)")
	if got := m.Exec("SELECT count(*) FROM kept"); got != "2" {
		t.Fatalf("the table holds %q rows, want 2", got)
	}
	if got := m.Exec("SELECT CURRENT_USER()"); got != "connect@%" {
		t.Fatalf("connected as %q, want connect@%%", got)
	}
}
