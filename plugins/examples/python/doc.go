// Package python holds tributary-pycounter, an example connector plugin written in Python
// with the Python SDK, plugins/sdk/python (see README.md), and the Go tests that run it
// under the kernel's plugin host. There is no Go code to build here.
package python
