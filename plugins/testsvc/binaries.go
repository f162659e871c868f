package testsvc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Built returns the path of one of the repo's binaries for a test. With TRIBUTARY_BIN set
// (make test sets it to the freshly built bin/race) it is $TRIBUTARY_BIN/rel, where rel is
// "tributary" or "plugins/tributary-<name>"; otherwise the binary is built from pkg, a
// package path relative to the test's own directory ("." for a plugin testing itself,
// "../../cmd/tributary"), once per test binary, with -race when the test runs with -race
// (as make test's bin/race is), so a race in the spawned process fails the test that ran it
// ([CheckRaces]). What Built builds is removed by [RemoveBuilt], which the package's
// TestMain calls after m.Run.
func Built(tb testing.TB, rel, pkg string) string {
	tb.Helper()
	if dir := os.Getenv("TRIBUTARY_BIN"); dir != "" {
		path := filepath.Join(dir, rel)
		if _, err := os.Stat(path); err != nil {
			tb.Fatalf("TRIBUTARY_BIN: %v (make build-race builds it)", err)
		}
		return path
	}
	built.Lock()
	b, ok := built.m[pkg]
	if !ok {
		b = &buildResult{}
		built.m[pkg] = b
	}
	built.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "testsvc-built-")
		if err != nil {
			b.err = err
			return
		}
		built.Lock()
		built.dirs = append(built.dirs, dir)
		built.Unlock()
		b.path = filepath.Join(dir, filepath.Base(rel))
		b.err = GoBuild("", b.path, pkg)
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// GoBuild builds the Go main package pkg (relative to dir; "" is the current directory)
// into out, with -race when the test binary itself runs under the race detector: a
// binary a test spawns is race-checked whenever the test is, and plain otherwise
// (release builds, make build, stay plain).
func GoBuild(dir, out, pkg string) error {
	args := []string{"build", "-o", out}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(append(args, pkg), " "), err, b)
	}
	return nil
}

// RemoveBuilt removes what [Built] built.
func RemoveBuilt() {
	built.Lock()
	defer built.Unlock()
	for _, d := range built.dirs {
		os.RemoveAll(d)
	}
	built.dirs = nil
}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

var built = struct {
	sync.Mutex
	m    map[string]*buildResult
	dirs []string
}{m: map[string]*buildResult{}}
