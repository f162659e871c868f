package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// TestConnectorFromOwnModule builds the Go example as an author outside this repository
// would: in a module of its own that requires tributary (through a replace directive, as
// the README says, until a version is published) and imports only plugins/sdk. The
// binary goes into an empty plugin dir beside the file sink, and a node runs both.
func TestConnectorFromOwnModule(t *testing.T) {
	e2e(t)
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mod, plugins := t.TempDir(), t.TempDir()
	src, err := os.ReadFile(filepath.Join(repo, "plugins/examples/go/main.go"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(must(os.ReadFile(filepath.Join(repo, "go.mod"))))
	gomod := "module example.com/counter\n\ngo " + string(goVersion[1]) + "\n\n" +
		"require github.com/tributary-dev/tributary v0.0.0\n\n" +
		"replace github.com/tributary-dev/tributary => " + repo + "\n"
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644)
	os.WriteFile(filepath.Join(mod, "main.go"), src, 0o644)
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd("mod", "tidy")
	for imp := range strings.SplitSeq(strings.TrimSpace(goCmd("list", "-f", `{{join .Imports "\n"}}`, ".")), "\n") {
		if strings.HasPrefix(imp, "github.com/tributary-dev/tributary/") && !strings.HasPrefix(imp, "github.com/tributary-dev/tributary/plugins/sdk") {
			t.Errorf("the example imports %s; an author needs only plugins/sdk", imp)
		}
	}
	goCmd("build", "-o", filepath.Join(plugins, "tributary-counter"), ".")
	sink := must(os.ReadFile(filepath.Join(binDir, "plugins", "tributary-file")))
	if err := os.WriteFile(filepath.Join(plugins, "tributary-file"), sink, 0o755); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	a := startAgent(t, agentOpts{id: "n1", broker: startBrokerProc(t), dataDir: filepath.Join(dir, "node"),
		extra: []string{"--plugin-dir", plugins}})
	cl := a.client(t)
	for name, cfg := range map[string]map[string]string{
		"counter": {"connector.class": "example-counter", "topic": "counts", "interval.ms": "20"},
		"sink":    {"connector.class": "FileStreamSink", "topics": "counts", "file": out},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := cl.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: name, Config: cfg})
		cancel()
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	waitStatus(t, cl, "counter", 30*time.Second, "all tasks RUNNING", allTasks("RUNNING"))

	// Partitions may interleave; every count from 0 must arrive once, as the struct the
	// example wrote.
	seen := map[int64]bool{}
	testsvc.Eventually(t, 60*time.Second, "every count below 20 delivered to "+out, func() bool {
		clear(seen)
		for _, l := range readLines(t, out) {
			var v struct {
				N  *int64 `json:"n"`
				At *int64 `json:"at"` // a Timestamp is epoch milliseconds on the wire
			}
			dec := json.NewDecoder(strings.NewReader(l))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil || v.N == nil || v.At == nil {
				t.Fatalf("line %q is not the example's {n, at} struct: %v", l, err)
			}
			if seen[*v.N] {
				t.Fatalf("count %d delivered twice", *v.N)
			}
			seen[*v.N] = true
		}
		return allCounted(seen, 20)
	}, func() string { return fmt.Sprintf("counts delivered: %v", seen) })
}

// allCounted says whether seen holds every count below n.
func allCounted(seen map[int64]bool, n int64) bool {
	for i := range n {
		if !seen[i] {
			return false
		}
	}
	return true
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
