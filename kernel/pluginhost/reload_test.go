package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// installBinary copies the file plugin to dir/name as a deployment would (write aside,
// rename into place), with extra bytes appended so that each copy can have its own
// SHA-256 (an ELF loader ignores what follows the program). It returns the checksum.
func installBinary(t *testing.T, dir, name, extra string) string {
	t.Helper()
	b, err := os.ReadFile(fileBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, extra...)
	tmp := filepath.Join(dir, ".incoming-"+name)
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func reload(t *testing.T, h *Host) ReloadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := h.Reload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testsvc.Eventually(t, 10*time.Second, what, cond)
}

// A binary copied into the directory is served after a reload; a changed one gets a new
// process for new tasks while the old keeps the task open on it until that task lets it
// go; a removed one stops resolving. Every socket is gone once the host is closed.
func TestReloadAddsReplacesAndRemoves(t *testing.T) {
	dir, socks := t.TempDir(), filepath.Join(t.TempDir(), "socks")
	h, _ := newHost(t, Config{Dir: dir, SocketDir: socks})
	if _, err := h.Resolve("file-source"); !errors.Is(err, ErrUnknownClass) {
		t.Fatalf("Resolve before the binary is there: %v", err)
	}

	sum1 := installBinary(t, dir, "tributary-file", "")
	if res := reload(t, h); strings.Join(res.Added, ",") != "tributary-file" || len(res.Replaced)+len(res.Removed)+len(res.Failed) != 0 {
		t.Fatalf("reload after adding: %+v", res)
	}
	if d, err := h.Resolve("file-source"); err != nil || d.Checksum != sum1 {
		t.Fatalf("Resolve after adding: %+v, %v; want checksum %s", d.Checksum, err, sum1)
	}
	if res := reload(t, h); res.Changed() {
		t.Fatalf("a reload with nothing changed changed %+v", res)
	}

	ctx := context.Background()
	old, err := h.WaitClient(ctx, "file-source")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("a\nb\nc\nd\n"), 0o644)
	openSource(t, old, "h1", in)
	pollLines(t, old, "h1", 2)

	sum2 := installBinary(t, dir, "tributary-file", "\x00v2")
	if res := reload(t, h); strings.Join(res.Replaced, ",") != "tributary-file" {
		t.Fatalf("reload after replacing: %+v", res)
	}
	cur, err := h.WaitClient(ctx, "file-source")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Pid == old.Pid {
		t.Fatal("a task started after the replacement got the old process")
	}
	if d, _ := h.Resolve("file-source"); d.Checksum != sum2 {
		t.Fatalf("checksum after replacing: %s, want %s", d.Checksum, sum2)
	}
	procs := h.Processes()
	if len(procs) != 2 || procs[0].Retired || procs[0].Checksum != sum2 || !procs[1].Retired || procs[1].Pid != old.Pid || procs[1].Version == "" {
		t.Fatalf("Processes after replacing: %+v", procs)
	}
	pollLines(t, old, "h1", 2) // the open task still runs on the old process

	old.Release()
	waitFor(t, "the retired process stops once its last task released it", func() bool { return processGone(old.Pid) })
	waitFor(t, "the retired process leaves Processes", func() bool { return len(h.Processes()) == 1 })
	select {
	case <-cur.Done():
		t.Fatal("stopping the retired process stopped the current one")
	default:
	}

	if err := os.Remove(filepath.Join(dir, "tributary-file")); err != nil {
		t.Fatal(err)
	}
	if res := reload(t, h); strings.Join(res.Removed, ",") != "tributary-file" {
		t.Fatalf("reload after removing: %+v", res)
	}
	if _, err := h.Resolve("file-source"); !errors.Is(err, ErrUnknownClass) {
		t.Fatalf("Resolve after removing: %v", err)
	}
	if processGone(cur.Pid) {
		t.Fatal("the removed binary's process stopped while a task still held it")
	}
	cur.Release()
	waitFor(t, "the removed binary's process stops once released", func() bool { return processGone(cur.Pid) })

	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(socks)
	if err != nil || len(entries) != 0 {
		t.Fatalf("socket dir after Close: %v entries, %v", len(entries), err)
	}
}

// With RescanInterval set, a copied binary is picked up without a Reload call, and
// OnChange says so.
func TestRescanPicksUpNewBinary(t *testing.T) {
	dir := t.TempDir()
	changed := make(chan struct{}, 8)
	h, _ := newHost(t, Config{Dir: dir, RescanInterval: 50 * time.Millisecond,
		OnChange: func() { changed <- struct{}{} }})
	installBinary(t, dir, "tributary-file", "")
	waitFor(t, "the rescan resolves the new class", func() bool { _, err := h.Resolve("FileStreamSink"); return err == nil })
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnChange was not called")
	}
}

// A stale socket left by a killed run is removed when the next host starts.
func TestStaleSocketsRemoved(t *testing.T) {
	socks := t.TempDir()
	stale := filepath.Join(socks, "p123", "plugin456")
	os.MkdirAll(filepath.Dir(stale), 0o700)
	os.WriteFile(stale, nil, 0o600)
	h, _ := newHost(t, Config{Dir: pluginDir(t), SocketDir: socks})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale socket still there: %v", err)
	}
	c, err := h.Client("file-source")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(socks)
	if len(entries) != 1 {
		t.Fatalf("want the one live process's socket dir in %s, got %d entries", socks, len(entries))
	}
	_ = c
}

// Secret config values the kernel sends a plugin are hidden in that plugin's log lines.
func TestPluginLogsHideSecrets(t *testing.T) {
	logs := &syncBuffer{}
	secrets := &Secrets{}
	l := newHCLogger(slog.New(slog.NewTextHandler(logs, nil)), "tributary-x", secrets)
	secrets.Add("s3cr3t-value")
	secrets.Add("ab") // too short to hide
	l.Info("connecting with s3cr3t-value", "password", "s3cr3t-value", "n", 2, "list", []string{"x", "s3cr3t-value"})
	w := l.StandardWriter(nil)
	w.Write([]byte("stderr line with s3cr3t-value and ab\n"))
	out := logs.String()
	if strings.Contains(out, "s3cr3t-value") || strings.Count(out, "[hidden]") != 4 || !strings.Contains(out, "and ab") {
		t.Fatalf("plugin log lines:\n%s", out)
	}
}
