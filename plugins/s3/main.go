package main

import "github.com/tributary-dev/tributary/plugins/sdk"

// version is the connector's version, reported by Describe.
var version = "0.1.0"

func main() {
	sdk.Serve(connector{})
}
