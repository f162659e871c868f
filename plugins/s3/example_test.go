package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestOrdersExample runs scripts/examples/orders-to-elasticsearch-and-s3/run.sh, the
// seed's closing exercise: PostgreSQL → Debezium → one topic → the Elasticsearch sink and
// this sink at once. The script checks both ends itself (the index equals the table; the
// archive holds all six versions, the deleted order included) and prints "demo ok". It
// runs the binaries of $TRIBUTARY_BIN (make test's bin/race), else bin/ (make build).
func TestOrdersExample(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, versitygw and tributary dev")
	}
	_, err := os.Stat("/usr/lib/postgresql/15/bin/initdb")
	testsvc.Require(t, err, "postgresql (apt-get install postgresql)")
	testsvc.RequireCommand(t, "curl", "apt-get install curl")
	_, err = os.Stat(filepath.Join(testsvc.ToolsBin(), "versitygw"))
	if err != nil {
		_, err = exec.LookPath("versitygw")
	}
	testsvc.Require(t, err, "versitygw (scripts/install-tools.sh versitygw)")
	bin := os.Getenv("TRIBUTARY_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../../bin")
		_, err := os.Stat(filepath.Join(bin, "plugins", "tributary-s3"))
		testsvc.Require(t, err, "the built binaries (make build)")
	}
	cmd := exec.Command("../../scripts/examples/orders-to-elasticsearch-and-s3/run.sh")
	cmd.Env = append(os.Environ(), "TRIBUTARY_BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "demo ok") {
		t.Fatalf("run.sh: %v\n%s", err, out)
	}
}
