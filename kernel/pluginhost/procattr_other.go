//go:build !linux

package pluginhost

import "os/exec"

// setProcAttr does nothing here; plugins built with plugins/sdk exit by themselves when
// their parent process is gone.
func setProcAttr(*exec.Cmd) {}
