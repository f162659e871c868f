package main

import "github.com/tributary-dev/tributary/plugins/sdk"

// version is the connectors' version, reported by Describe.
var version = "0.1.0"

func main() {
	sdk.Serve(redisConnector{}, kvConnector{})
}
