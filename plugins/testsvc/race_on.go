//go:build race

package testsvc

// raceBuild is true when the test binary runs with the race detector (go test -race), so
// that [Built] builds the binaries it spawns with -race too.
const raceBuild = true
