package python_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

const python = "/usr/bin/python3"

// requirePython skips the test unless /usr/bin/python3 can import what it needs, or
// fails it in CI (CI=true), where scripts/install-test-deps.sh has installed it from apt.
func requirePython(t *testing.T, modules, packages string) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import "+modules).CombinedOutput()
	if err == nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	testsvc.Require(t, fmt.Errorf("%v: %s", err, lines[len(lines)-1]), python+" with apt's "+packages)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPythonUnitTests runs the SDK's own tests (tests/, unittest) on Debian's python3.
func TestPythonUnitTests(t *testing.T) {
	requirePython(t, "grpc, google.protobuf", "python3-grpcio and python3-protobuf")
	// -B: no __pycache__ in the source tree.
	out := run(t, ".", []string{"PYTHONPATH=."}, python, "-B", "-m", "unittest", "discover", "-s", "tests", "-t", ".")
	if !strings.Contains(out, "\nOK") {
		t.Fatalf("unittest did not report OK:\n%s", out)
	}
	t.Log(out)
}

// TestPipInstall installs the SDK as a user would, offline (no PyPI on CI machines): into
// a venv that sees the system's grpcio and protobuf, with setuptools from apt. Then the
// installed tributary-pack packs the example connector into a plugin the kernel's plugin
// host runs.
func TestPipInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs a package")
	}
	requirePython(t, "grpc, google.protobuf, setuptools, wheel, pip, venv",
		"python3-grpcio, python3-protobuf, python3-pip, python3-setuptools, python3-wheel and python3-venv")
	tmp := t.TempDir()
	// pip builds in the source directory (build/, *.egg-info): give it a copy.
	src := filepath.Join(tmp, "src")
	if err := copyTree(".", src); err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(tmp, "venv")
	run(t, tmp, nil, python, "-m", "venv", "--system-site-packages", "--without-pip", venv)
	pip := []string{"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PYTHONPATH="}
	run(t, tmp, pip, filepath.Join(venv, "bin", "python"), "-m", "pip", "install",
		"--no-build-isolation", "--no-deps", "--no-index", "-q", src)

	// The import comes from the venv, not from the source tree.
	got := strings.TrimSpace(run(t, tmp, []string{"PYTHONPATH="}, filepath.Join(venv, "bin", "python"), "-c",
		"import tributary_sdk, tributary_sdk.server; print(tributary_sdk.__file__)"))
	if !strings.HasPrefix(got, venv+string(filepath.Separator)) {
		t.Fatalf("tributary_sdk imported from %s, want from the venv %s", got, venv)
	}

	plugins := filepath.Join(tmp, "plugins")
	example, err := filepath.Abs("../../examples/python/src")
	if err != nil {
		t.Fatal(err)
	}
	run(t, tmp, []string{"PYTHONPATH="}, filepath.Join(venv, "bin", "tributary-pack"), example,
		filepath.Join(plugins, "tributary-pycounter"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logs := &strings.Builder{}
	h, err := pluginhost.New(ctx, pluginhost.Config{Dir: plugins, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var names []string
	for _, d := range h.Connectors() {
		names = append(names, d.GetName())
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"py-counter-source", "py-log-sink"}) {
		t.Fatalf("the packed plugin serves %v, want py-counter-source and py-log-sink; host log:\n%s", names, logs.String())
	}
}

// copyTree copies the regular files under src to dst, leaving out build output.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		name := d.Name()
		if d.IsDir() {
			if name == "__pycache__" || name == "build" || strings.HasSuffix(name, ".egg-info") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
