// Command flush is fakeplugin served with one flaw: FlushUnknown: true.
package main

import "github.com/tributary-dev/tributary/kernel/conformance/testdata/broken/fakeplugin"

func main() { fakeplugin.Serve(fakeplugin.Flaws{FlushUnknown: true}) }
