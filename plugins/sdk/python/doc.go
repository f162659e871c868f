// Package python holds tributary_sdk, the Python SDK for connector plugins (see
// README.md), and the Go tests that run its Python unit tests and install it with pip.
// There is no Go code to build here.
package python
