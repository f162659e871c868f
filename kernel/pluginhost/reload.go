package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// settleAfter is how old a new or changed binary's modification time must be before a
// periodic rescan launches it: a file still being copied in (whose copy may stall for a
// while) is left for a later scan. A binary moved into place keeps the time it was
// written, so a write-aside-then-mv deployment is picked up by the next scan.
const settleAfter = 2 * time.Second

// fileStat is what a rescan compares before hashing a binary again.
type fileStat struct {
	size  int64
	mtime time.Time
}

func statOf(fi os.FileInfo) fileStat { return fileStat{size: fi.Size(), mtime: fi.ModTime()} }

// ReloadResult says what a Reload changed, by binary base name.
type ReloadResult struct {
	// Added are new binaries now serving; Replaced are binaries whose SHA-256 changed
	// and whose new process now serves new tasks; Removed are binaries gone from the
	// directory.
	Added, Replaced, Removed []string
	// Failed maps a binary that could not be started (or described) to why.
	Failed map[string]string
}

// Changed says whether the reload changed which connector classes exist or who serves them.
func (r ReloadResult) Changed() bool {
	return len(r.Added)+len(r.Replaced)+len(r.Removed) > 0
}

// Reload rescans the plugin directory now. A new binary is launched and its classes
// become resolvable; a binary whose content changed (a new SHA-256) gets a new process
// that serves every task opened from then on, while the old process keeps serving the
// tasks already open on it until they close or it exits (it is not relaunched); a removed
// binary's classes stop resolving, and its process retires the same way. A binary that
// fails to start or describe is reported in Failed and in Processes and leaves the others
// alone; if it replaced a working binary, the old process keeps serving. When two
// binaries declare the same class, the first by binary name wins, as at New.
func (h *Host) Reload(ctx context.Context) (ReloadResult, error) {
	return h.reload(ctx, true)
}

// rescanLoop reloads on cfg.RescanInterval until Close, skipping files still being written.
func (h *Host) rescanLoop() {
	t := time.NewTicker(h.cfg.RescanInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		if _, err := h.reload(h.ctx, false); err != nil && h.ctx.Err() == nil {
			h.log.Warn("plugin dir rescan failed", "dir", h.cfg.Dir, "error", err)
		}
	}
}

// reload is Reload; settled says every file is complete (an explicit reload), else new
// or changed files modified within settleAfter wait for a later scan, and files whose
// size and modification time are unchanged are not hashed again.
func (h *Host) reload(ctx context.Context, settled bool) (ReloadResult, error) {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	res := ReloadResult{Failed: map[string]string{}}
	found, err := scan(h.cfg.Dir, h.cfg.Checksums)
	if err != nil {
		return res, err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return res, fmt.Errorf("plugin host closed: %w", ErrUnavailable)
	}
	cur := make(map[string]*process, len(h.procs))
	for _, p := range h.procs {
		cur[p.binary] = p
	}
	h.mu.Unlock()

	next := make(map[string]*process, len(found)) // binary → current generation after this reload
	var fresh []*process                          // to launch
	for _, f := range found {
		old := cur[f.binary]
		if old != nil && old.stat == f.stat && !settled {
			next[f.binary] = old
			continue
		}
		if !settled && time.Since(f.stat.mtime) < settleAfter {
			if old != nil {
				next[f.binary] = old
			}
			continue
		}
		sum, err := fileSHA256(f.path)
		if err != nil {
			f.lastErr = err.Error()
		}
		f.sha = sum
		// Unchanged content keeps its process; an explicit reload retries one that never started.
		if old != nil && sum != "" && sum == old.sha && !(settled && old.started.IsZero()) {
			h.mu.Lock()
			old.stat = f.stat // touched, not changed
			h.mu.Unlock()
			next[f.binary] = old
			continue
		}
		next[f.binary] = f
		fresh = append(fresh, f)
	}

	// Launch all new binaries at once; each costs a process start and a TLS handshake.
	launches := make([]*launched, len(fresh))
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	for i, p := range fresh {
		if p.lastErr != "" { // refused while scanning
			continue
		}
		wg.Go(func() { launches[i], errs[i] = h.launch(ctx, p) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		for _, l := range launches {
			if l != nil {
				l.kill()
			}
		}
		return res, fmt.Errorf("launch plugins in %s: %w", h.cfg.Dir, err)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		for _, l := range launches {
			if l != nil {
				l.kill()
			}
		}
		return res, fmt.Errorf("plugin host closed: %w", ErrUnavailable)
	}
	for i, p := range fresh {
		old := cur[p.binary]
		if p.lastErr == "" && errs[i] != nil {
			p.lastErr = errs[i].Error()
		}
		if p.lastErr != "" {
			res.Failed[p.binary] = p.lastErr
			if old != nil && old.client != nil {
				// Keep the working process; do not try this file again until it changes.
				old.stat = p.stat
				old.lastErr = "the binary changed but the new one failed to start; still serving the previous one: " + p.lastErr
				next[p.binary] = old
				h.log.Error("changed plugin failed to start; keeping the running one", "plugin", p.binary, "error", p.lastErr)
			} else {
				h.log.Error("plugin failed to start; skipping it", "plugin", p.binary, "error", p.lastErr)
				if old != nil {
					old.retired = true // stops a relaunch loop of the old generation
				}
			}
			continue
		}
		h.up(p, launches[i])
		h.wg.Add(1)
		go h.supervise(p, launches[i])
		if old != nil {
			res.Replaced = append(res.Replaced, p.binary)
			h.retire(old)
			h.log.Info("plugin binary changed; new tasks use the new process, open ones stay on the old",
				"plugin", p.binary, "sha256", p.sha, "previous_sha256", old.sha)
		} else {
			res.Added = append(res.Added, p.binary)
			if h.loaded {
				h.log.Info("new plugin binary picked up", "plugin", p.binary, "sha256", p.sha)
			}
		}
	}
	for name, old := range cur {
		if _, ok := next[name]; !ok {
			res.Removed = append(res.Removed, name)
			h.retire(old)
			h.log.Info("plugin binary removed; its classes are gone for new tasks", "plugin", name)
		}
	}
	procs := make([]*process, 0, len(next))
	for _, p := range next {
		procs = append(procs, p)
	}
	slices.SortFunc(procs, func(a, b *process) int { return strings.Compare(a.binary, b.binary) })
	h.procs = procs
	h.loaded = true
	h.reindex()
	h.mu.Unlock()
	slices.Sort(res.Added)
	slices.Sort(res.Replaced)
	slices.Sort(res.Removed)
	if res.Changed() && h.cfg.OnChange != nil {
		h.cfg.OnChange()
	}
	return res, nil
}

// retire takes p out of service: it is not relaunched, and while its process lives it
// stays listed (Processes) for the tasks open on it; with none, it is stopped now, else
// when the last of them releases it (Client.Release). h.mu must be held.
func (h *Host) retire(p *process) {
	p.retired = true
	if c := p.client; c != nil {
		h.retired = append(h.retired, p)
		if c.users <= 0 {
			h.wg.Go(func() { h.stopRetired(c) }) // its supervisor is running: wg is not zero
		}
	}
}

// stopRetired stops the process of c, retired and no longer held by any task. Its
// supervisor sees it exit and, as it is retired, forgets it.
func (h *Host) stopRetired(c *Client) {
	h.log.Info("stopping the retired plugin process: no task uses it any more", "plugin", c.Binary, "pid", c.Pid)
	c.live.kill()
}

// dropRetired forgets p once its process has ended. h.mu must be held.
func (h *Host) dropRetired(p *process) {
	h.retired = slices.DeleteFunc(h.retired, func(q *process) bool { return q == p })
}

// scan lists the plugin binaries in dir.
func scan(dir string, checksums map[string]string) ([]*process, error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("scan plugin dir: %w", err)
	}
	var procs []*process
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), BinaryPrefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path) // follows symlinks
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		p := &process{binary: e.Name(), path: path, stat: statOf(fi)}
		if sum, ok := checksums[e.Name()]; ok {
			b, err := hex.DecodeString(strings.TrimSpace(sum))
			if err != nil || len(b) != 32 {
				p.lastErr = fmt.Sprintf("pinned checksum %q is not a hex SHA-256", sum)
			}
			p.checksum = b
		}
		procs = append(procs, p)
	}
	slices.SortFunc(procs, func(a, b *process) int { return strings.Compare(a.binary, b.binary) })
	return procs, nil
}

// fileSHA256 is the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}
