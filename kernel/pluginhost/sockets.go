package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// maxSocketDirLen bounds the socket directory's path: a Unix socket's path must fit in
// 108 bytes (sun_path), and go-plugin adds /<process dir>/plugin<up to 10 digits>.
const maxSocketDirLen = 108 - len("/p1234567890/plugin1234567890") - 1

// openSocketDir prepares the directory the plugins' Unix sockets live in. A configured
// one is created if missing and emptied of what a killed run left (one whose path is too
// long for a socket is replaced by a short one under os.TempDir named after it); without
// one, the Host makes its own under os.TempDir and removes it at Close.
func (h *Host) openSocketDir() error {
	dir := h.cfg.SocketDir
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		if len(dir) > maxSocketDirLen {
			// A directory of its own under TempDir, named after the configured one, so the
			// next start of the same node still finds and removes what a killed run left.
			sum := sha256.Sum256([]byte(dir))
			short := filepath.Join(os.TempDir(), "tributary-plugins-"+hex.EncodeToString(sum[:8]))
			h.log.Info("plugin socket dir path too long for Unix sockets; using a short one named after it",
				"dir", dir, "max_len", maxSocketDirLen, "using", short)
			dir, h.shortSock = short, true
		}
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tributary-plugins-")
		if err != nil {
			return fmt.Errorf("plugin socket dir: %w", err)
		}
		h.sockDir, h.tempSock = tmp, true
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("plugin socket dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("plugin socket dir: %w", err)
	}
	for _, e := range entries { // stale: the Host owns the directory, no process of it runs yet
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			h.log.Warn("cannot remove a stale plugin socket", "path", filepath.Join(dir, e.Name()), "error", err)
		}
	}
	if len(entries) > 0 {
		h.log.Info("removed stale plugin sockets of an earlier run", "dir", dir, "entries", len(entries))
	}
	h.sockDir = dir
	return nil
}

// processSocketDir makes the socket directory of one plugin process.
func (h *Host) processSocketDir() (string, error) {
	d, err := os.MkdirTemp(h.sockDir, "p")
	if err != nil {
		return "", fmt.Errorf("plugin socket dir: %w", err)
	}
	return d, nil
}

// removeSocketDir removes the Host's own temporary socket directory. Once every process
// is gone, a configured one is already empty.
func (h *Host) removeSocketDir() {
	switch {
	case h.tempSock && h.sockDir != "":
		_ = os.RemoveAll(h.sockDir)
	case h.shortSock:
		_ = os.Remove(h.sockDir) // only if empty: a process that outlived Close keeps its socket
	}
}
