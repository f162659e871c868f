// Package version holds what a build of Tributary is: its version and the commit it was
// built from. The Makefile sets both with -ldflags -X; a plain go build reports the
// module's version and VCS revision as the Go toolchain recorded them, if any.
//
// It owns those two strings and nothing else: no I/O, no state.
package version
