package testsvc

import (
	"fmt"
	"strings"
	"testing"
)

// recordingTB is a testing.TB that records what CheckRaces reports instead of failing.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// The race detector's report, as a -race binary prints it to stderr (and as the kernel
// passes a plugin's stderr on in its log), fails the test; output without one does not.
func TestCheckRacesFailsOnARaceReport(t *testing.T) {
	report := "==================\nWARNING: DATA RACE\nWrite at 0x00c000012345 by goroutine 7:\n  main.main.func1()\n"
	for _, tc := range []struct {
		name, output string
		fail         bool
	}{
		{"clean", "level=INFO msg=\"node started\"\n", false},
		{"empty", "", false},
		{"kernel race", "level=INFO msg=started\n" + report, true},
		{"plugin race in the kernel's log", `level=WARN msg="plugin stderr" plugin=tributary-file line="WARNING: DATA RACE"` + "\n", true},
		{"two races", report + report, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recordingTB{}
			CheckRaces(r, "proc", tc.output)
			if failed := len(r.errors) > 0; failed != tc.fail {
				t.Fatalf("CheckRaces on %q failed the test: %v, want %v (%v)", tc.output, failed, tc.fail, r.errors)
			}
			if tc.fail && !strings.Contains(r.errors[0], "proc") {
				t.Errorf("the failure %q does not name the process", r.errors[0])
			}
		})
	}
}
