// Command maxrecords is fakeplugin served with one flaw: IgnoreMaxRecords: true.
package main

import "github.com/tributary-dev/tributary/kernel/conformance/testdata/broken/fakeplugin"

func main() { fakeplugin.Serve(fakeplugin.Flaws{IgnoreMaxRecords: true}) }
