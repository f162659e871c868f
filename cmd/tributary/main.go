// Command tributary is the single Tributary binary: the kernel daemon (agent, dev) and the
// operator CLI that talks to a node's admin gRPC service.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	root := newRootCmd()
	root.SetArgs(normalizeArgs(os.Args[1:]))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// normalizeArgs accepts HashiCorp-style single-dash long flags for the config file
// (`tributary agent -config FILE`, as in Consul and Nomad), which cobra would otherwise
// read as the shorthand -c with the value "onfig".
func normalizeArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "-config" || strings.HasPrefix(a, "-config=") {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}
