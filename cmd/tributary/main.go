// Command tributary is the single Tributary binary: the kernel daemon (agent, dev) and the
// operator CLI that talks to a node's admin gRPC service.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
