package testsvc

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// InCI reports whether the tests run in CI: the CI environment variable is set (to
// anything), as CI systems set it.
func InCI() bool { return os.Getenv("CI") != "" }

// Require ends the test when a dependency is missing: in CI it fails, since
// scripts/install-test-deps.sh should have installed it; elsewhere it skips. why names the
// dependency and how to get it, e.g. "kcat (apt-get install kcat)".
func Require(t testing.TB, err error, why string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("needs %s: %v", why, err)
	if InCI() {
		t.Fatal(msg + " (CI must not skip: scripts/install-test-deps.sh installs it)")
	}
	t.Skip(msg)
}

// RequireCommand returns the path of the executable name, ending the test as [Require]
// does when it is not on PATH (or at the absolute path name gives).
func RequireCommand(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	Require(t, err, fmt.Sprintf("%s (%s)", name, install))
	return path
}

// FreePort returns a port nothing listens on, for a process to bind later. It is picked
// at random in 10000-31999, below the kernel's ephemeral range (which starts at 32768):
// a port the kernel handed to a listener on port 0 and took back is soon handed out
// again as the source port of some other test's outgoing connection, and the process
// that binds it later fails with "address already in use". No port is returned twice in
// one test binary.
func FreePort(t testing.TB) int {
	t.Helper()
	usedPorts.Lock()
	defer usedPorts.Unlock()
	for range 1000 {
		port := 10000 + rand.IntN(22000)
		if usedPorts.m[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		usedPorts.m[port] = true
		return port
	}
	t.Fatal("no free port found in 10000-31999")
	return 0
}

var usedPorts = struct {
	sync.Mutex
	m map[int]bool
}{m: map[int]bool{}}
