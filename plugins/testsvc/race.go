package testsvc

import (
	"strings"
	"testing"
)

// RaceReport is the line Go's race detector prints, to the process's stderr, for each
// data race it finds in a binary built with -race.
const RaceReport = "WARNING: DATA RACE"

// CheckRaces fails t (without stopping it) when output — everything a process the test
// started printed, read once the process has ended — holds a race detector report. make
// test runs the -race builds of the repo's binaries (bin/race, through [Built]), and a
// race in a spawned kernel or plugin would otherwise only show in the output of a test
// that failed for another reason. name says which process, such as "tributary dev".
func CheckRaces(t testing.TB, name, output string) {
	t.Helper()
	if n := strings.Count(output, RaceReport); n > 0 {
		t.Errorf("%s: the race detector reported %d data race(s) (%q in its output)", name, n, RaceReport)
	}
}
