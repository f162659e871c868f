package conformance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// build compiles the Go main in pkg (relative to this directory) into a temp dir.
func build(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// bundled returns the path of a bundled plugin: from $TRIBUTARY_BIN/plugins (make test
// sets it), else built here.
func bundled(t *testing.T, name string) string {
	t.Helper()
	if name == "tributary-pycounter" {
		if out, err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf").CombinedOutput(); err != nil {
			msg := "the Python plugin needs /usr/bin/python3 with python3-grpcio and python3-protobuf " +
				"(scripts/install-test-deps.sh installs them): " + string(out)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	if dir := os.Getenv("TRIBUTARY_BIN"); dir != "" {
		return filepath.Join(dir, "plugins", name)
	}
	if name == "tributary-pycounter" {
		out := filepath.Join(t.TempDir(), name)
		if b, err := exec.Command("../../plugins/examples/python/build.sh", out).CombinedOutput(); err != nil {
			t.Fatalf("build.sh: %v\n%s", err, b)
		}
		return out
	}
	return build(t, "../../plugins/"+name[len("tributary-"):])
}

func slow(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts plugin processes")
	}
}

// TestBundledPluginsConform runs the kit on every connector the repository ships; each
// must pass every check, none skipped.
func TestBundledPluginsConform(t *testing.T) {
	slow(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("one\ntwo\nthree\nfour\nfive\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const sourceChecks, sinkChecks = 15, 11
	for _, tc := range []struct {
		binary, class string
		config        map[string]string
		checks        int
	}{
		{"tributary-file", "file-source", map[string]string{"file": in, "topic": "t"}, sourceChecks},
		{"tributary-file", "file-sink", map[string]string{"file": filepath.Join(dir, "out.txt")}, sinkChecks},
		{"tributary-datagen", "", map[string]string{"topic": "t", "count": "5"}, sourceChecks},
		{"tributary-pycounter", "py-counter-source", map[string]string{"topic": "t", "count": "5", "interval.ms": "50"}, sourceChecks},
		{"tributary-pycounter", "py-log-sink", map[string]string{"file": filepath.Join(dir, "py.txt")}, sinkChecks},
	} {
		t.Run(tc.binary+"/"+tc.class, func(t *testing.T) {
			results := Run(context.Background(), bundled(t, tc.binary), Options{Class: tc.class, Config: tc.config})
			for _, r := range results {
				if r.Status != Pass {
					t.Errorf("%s %s: %s: %s", r.Class, r.Check, r.Status, r.Detail)
				}
			}
			if len(results) != tc.checks {
				t.Errorf("ran %d checks, want %d: %+v", len(results), tc.checks, results)
			}
		})
	}
}

// TestBrokenPluginsFailNamingTheCheck runs the kit on plugins broken in one way each:
// exactly the check of that flaw fails.
func TestBrokenPluginsFailNamingTheCheck(t *testing.T) {
	slow(t)
	for _, tc := range []struct{ plugin, class, check string }{
		{"handshake", "", "handshake"},
		{"maxrecords", "fake-source", "source.poll.max-records"},
		{"flush", "fake-sink", "sink.flush"},
	} {
		t.Run(tc.plugin, func(t *testing.T) {
			bin := build(t, "./testdata/broken/"+tc.plugin)
			results := Run(context.Background(), bin, Options{Class: tc.class, Config: map[string]string{"topic": "t"}})
			var failed []string
			for _, r := range results {
				if r.Status == Fail {
					failed = append(failed, r.Check)
				}
			}
			if !slices.Equal(failed, []string{tc.check}) {
				t.Errorf("failed checks %q, want exactly [%q]; results: %+v", failed, tc.check, results)
			}
			if !Failed(results) {
				t.Error("Failed(results) = false for a failing run")
			}
		})
	}
}

// TestFakePluginConforms shows the broken plugins' base passes, so each flaw is the only
// cause of its failure.
func TestFakePluginConforms(t *testing.T) {
	slow(t)
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	src := "package main\n\nimport \"github.com/tributary-dev/tributary/kernel/conformance/testdata/broken/fakeplugin\"\n\n" +
		"func main() { fakeplugin.Serve(fakeplugin.Flaws{}) }\n"
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := build(t, main)
	for _, class := range []string{"fake-source", "fake-sink"} {
		for _, r := range Run(context.Background(), bin, Options{Class: class, Config: map[string]string{"topic": "t"}}) {
			if r.Status == Fail {
				t.Errorf("%s %s failed: %s", r.Class, r.Check, r.Detail)
			}
		}
	}
}
