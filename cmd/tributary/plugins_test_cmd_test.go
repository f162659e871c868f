package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestPluginsTestCLI runs `tributary plugins test` on a conforming plugin (exit 0, every
// check passes in the JSON) and on one whose Flush reports offsets it was never given
// (exit 1, the table names the sink.flush check).
func TestPluginsTestCLI(t *testing.T) {
	e2e(t)
	tributary := filepath.Join(binDir, "tributary")
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tributary, "plugins", "test", filepath.Join(binDir, "plugins", "tributary-file"),
		"--class", "file-source", "--config", "file="+in, "--config", "topic=t", "-o", "json").Output()
	if err != nil {
		t.Fatalf("plugins test tributary-file: %v\n%s", err, out)
	}
	var results []struct{ Check, Class, Result, Detail string }
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("-o json printed no JSON list of results: %v\n%s", err, out)
	}
	if len(results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range results {
		if r.Result != "pass" {
			t.Errorf("tributary-file %s %s: %s: %s", r.Class, r.Check, r.Result, r.Detail)
		}
	}

	broken := filepath.Join(t.TempDir(), "flush")
	if err := testsvc.GoBuild("../..", broken, "./kernel/conformance/testdata/broken/flush"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tributary, "plugins", "test", broken, "--class", "fake-sink")
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("plugins test on a broken plugin: %v, want exit code 1\n%s", err, out)
	}
	for _, want := range []string{`(?m)^CHECK\s+RESULT\s+DETAIL$`, `(?m)^fake-sink sink\.flush\s+FAIL\s+reported never-put-7`, `(?m)^shutdown\s+PASS`} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}
}
