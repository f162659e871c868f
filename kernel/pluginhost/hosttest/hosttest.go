// Package hosttest serves a connector test one plugin binary through a real plugin host,
// as the kernel launches it (handshake, AutoMTLS, the protocol's codec), so a plugin's
// own tests talk to it across the process boundary without a kernel node. Only tests
// import it; it owns no behaviour of the host, only the few lines every such test repeated.
package hosttest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// Client launches binary under a plugin host of its own, as the plugin dir entry name
// (tributary-<plugin>), and returns the client for class. The host stops when the test
// ends; a data race the plugin reported on its stderr (a -race build) fails the test.
func Client(tb testing.TB, binary, name, class string) *pluginhost.Client {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Symlink(binary, filepath.Join(dir, name)); err != nil {
		tb.Fatal(err)
	}
	logs := &testsvc.Output{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := pluginhost.New(ctx, pluginhost.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = h.Close()
		testsvc.CheckRaces(tb, name, logs.String())
	})
	c, err := h.Client(class)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
