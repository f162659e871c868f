package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// version is the connector's version, reported by Describe.
var version = "0.1.0"

// cpuProfileEnv names a file the plugin writes a CPU profile of its whole life to, when
// the kernel stops it gracefully: for load tests (make bench -profile).
const cpuProfileEnv = "TRIBUTARY_DATAGEN_CPUPROFILE"

func main() {
	if path := os.Getenv(cpuProfileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", cpuProfileEnv, err)
		} else {
			defer func() {
				pprof.StopCPUProfile()
				f.Close()
			}()
		}
	}
	sdk.Serve(connector{})
}
