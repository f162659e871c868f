//go:build linux

package pluginhost

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill a plugin process when the kernel process dies, even
// by SIGKILL, so plugins never outlive it. (Linux delivers the signal when the thread
// that started the child exits; Go keeps its threads for the life of the process unless a
// goroutine exits while locked to one, which the kernel does not do. A plugin killed that
// way would be restarted by supervision anyway.)
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
