// Command handshake is fakeplugin served with one flaw: ProtocolVersion: 2.
package main

import "github.com/tributary-dev/tributary/kernel/conformance/testdata/broken/fakeplugin"

func main() { fakeplugin.Serve(fakeplugin.Flaws{ProtocolVersion: 2}) }
