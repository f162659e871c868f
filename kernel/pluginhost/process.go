package pluginhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/plugins/kc"
	"github.com/tributary-dev/tributary/plugins/protocol"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

const (
	// startTimeout bounds a plugin's start up to its handshake line.
	startTimeout = 20 * time.Second
	// describeTimeout bounds the Describe call after the handshake.
	describeTimeout = 10 * time.Second
	// stableAfter is how long a process must run before its restart backoff resets.
	stableAfter = 30 * time.Second
)

// launched is one started plugin process.
type launched struct {
	gp         *plugin.Client
	cmd        *exec.Cmd
	client     *Client
	connectors []*pluginv1.ConnectorDescriptor
	sockDir    string // the process's Unix socket directory; "" if none
	// killedFor, when set, is why the host killed the process (set before the kill).
	killedFor atomic.Pointer[string]
}

// kill ends the process (go-plugin asks it to stop, then kills it after 2 s), releases
// go-plugin's connections and goroutines and removes the process's socket directory
// (a plugin killed before it could close its listener leaves its socket there). It
// returns once the process is gone.
func (l *launched) kill() {
	l.gp.Kill()
	if l.sockDir != "" {
		_ = os.RemoveAll(l.sockDir)
	}
}

// exitReason says how the process ended, e.g. "signal: killed" or "exit status 1". It
// must only be called once go-plugin has seen the process exit.
func (l *launched) exitReason() string {
	if why := l.killedFor.Load(); why != nil {
		return "killed by the kernel: " + *why
	}
	if ps := l.cmd.ProcessState; ps != nil {
		return ps.String()
	}
	return "unknown reason"
}

// checkMemory kills l's process if its resident memory is past Config.MemoryLimit.
func (h *Host) checkMemory(p *process, l *launched) {
	if h.cfg.MemoryLimit <= 0 || l.client.Pid == 0 || l.killedFor.Load() != nil {
		return
	}
	rss, err := residentBytes(l.client.Pid)
	if err != nil || rss <= h.cfg.MemoryLimit {
		return
	}
	why := fmt.Sprintf("its resident memory (%d MiB) passed the plugin memory limit (plugin_memory_limit_mb: %d MiB)",
		rss>>20, h.cfg.MemoryLimit>>20)
	l.killedFor.Store(&why)
	h.log.Error("plugin process over its memory limit; killing it", "plugin", p.binary, "pid", l.client.Pid,
		"rss_mib", rss>>20, "limit_mib", h.cfg.MemoryLimit>>20)
	if l.cmd.Process != nil {
		_ = l.cmd.Process.Kill()
	}
}

// residentBytes reads a process's resident set size from /proc/PID/statm.
func residentBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("statm of %d: %q", pid, b)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * int64(os.Getpagesize()), nil
}

// launch starts p's binary, connects with AutoMTLS and asks for its connectors.
func (h *Host) launch(ctx context.Context, p *process) (*launched, error) {
	cmd := exec.Command(p.path)
	setProcAttr(cmd)
	sockDir, err := h.processSocketDir()
	if err != nil {
		return nil, fmt.Errorf("start plugin %s: %w", p.binary, err)
	}
	// go-plugin's Go servers create their Unix socket in this directory (else in TMPDIR).
	// The node's own environment goes first, without a socket dir it may have inherited,
	// so ours applies (go-plugin would otherwise append the host's after it).
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, plugin.EnvUnixSocketDir+"=") })
	cmd.Env = append(cmd.Env, plugin.EnvUnixSocketDir+"="+sockDir)
	var secure *plugin.SecureConfig
	if p.checksum != nil {
		secure = &plugin.SecureConfig{Checksum: p.checksum, Hash: sha256.New()}
	}
	log := h.cfg.Logger.With("plugin", p.binary)
	cc := protocol.NewClientConfig(cmd)
	cc.SkipHostEnv = true // cmd.Env has it already
	cc.SecureConfig = secure
	cc.StartTimeout = startTimeout
	cc.Logger = newHCLogger(log, p.binary, h.secrets)
	cc.SyncStdout = &lineWriter{log: log, level: slog.LevelInfo, msg: "plugin stdout", secrets: h.secrets}
	cc.SyncStderr = &lineWriter{log: log, level: slog.LevelWarn, msg: "plugin stderr", secrets: h.secrets}
	cc.GRPCDialOptions = append(cc.GRPCDialOptions, grpc.WithChainUnaryInterceptor(h.recordSecrets))
	gp := plugin.NewClient(cc)
	fail := func(err error) (*launched, error) {
		gp.Kill()
		_ = os.RemoveAll(sockDir)
		return nil, fmt.Errorf("start plugin %s: %w", p.binary, err)
	}
	rpc, err := gp.Client()
	if err != nil {
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			err = fmt.Errorf("%w (its SHA-256 is pinned in the config)", err)
		}
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		return fail(err)
	}
	clients, ok := raw.(*protocol.Clients)
	if !ok {
		return fail(fmt.Errorf("dispensed %T, want *protocol.Clients", raw))
	}
	dctx, cancel := context.WithTimeout(ctx, describeTimeout)
	desc, err := clients.Plugin.Describe(dctx, &pluginv1.DescribeRequest{})
	cancel()
	if err != nil {
		return fail(fmt.Errorf("describe: %w", err))
	}
	pid := 0
	if cmd.Process != nil {
		pid = cmd.Process.Pid
	}
	h.log.Info("plugin started", "plugin", p.binary, "pid", pid, "connectors", len(desc.GetConnectors()))
	l := &launched{
		gp:  gp,
		cmd: cmd,
		client: &Client{
			Plugin:    clients.Plugin,
			Connector: clients.Connector,
			Source:    clients.Source,
			Sink:      clients.Sink,
			Conn:      clients.Conn,
			Binary:    p.binary,
			Pid:       pid,
			exited:    clients.Done(),
			done:      make(chan struct{}),
			host:      h,
			proc:      p,
		},
		connectors: desc.GetConnectors(),
		sockDir:    sockDir,
	}
	l.client.live = l
	return l, nil
}

// supervise owns p's process from its first launch until Close: it waits for the
// process to exit, reports it on the Client and relaunches with backoff.
func (h *Host) supervise(p *process, l *launched) {
	defer h.wg.Done()
	schedule := kc.Backoff{Initial: h.cfg.BackoffMin, Max: h.cfg.BackoffMax}
	attempt := 0 // relaunches since the process last ran for stableAfter
	for {
		started := time.Now()
		memCheck := time.NewTicker(h.cfg.MemoryCheckInterval)
	waitExit:
		for {
			select {
			case <-l.client.exited:
				break waitExit
			case <-h.ctx.Done():
				memCheck.Stop()
				l.kill()
				h.down(p, l, fmt.Errorf("plugin %s stopped: plugin host closed", p.binary), "")
				return
			case <-memCheck.C:
				h.checkMemory(p, l)
			}
		}
		memCheck.Stop()
		reason := l.exitReason()
		h.down(p, l, fmt.Errorf("plugin %s exited: %s", p.binary, reason), reason)
		l.kill() // the process is gone; this releases go-plugin's side
		h.mu.Lock()
		retired := p.retired
		if retired {
			h.dropRetired(p)
		}
		h.mu.Unlock()
		if retired {
			h.log.Info("retired plugin process exited", "plugin", p.binary, "pid", l.client.Pid, "reason", reason)
			return
		}
		if time.Since(started) >= stableAfter {
			attempt = 0
		}
		h.log.Warn("plugin process exited; restarting it", "plugin", p.binary, "pid", l.client.Pid, "reason", reason, "backoff", schedule.Next(attempt))

		for {
			select {
			case <-time.After(schedule.Next(attempt)):
			case <-h.ctx.Done():
				return
			}
			attempt++
			h.mu.Lock()
			retired := p.retired
			h.mu.Unlock()
			if retired { // replaced or removed while it was down
				return
			}
			next, err := h.launch(h.ctx, p)
			if h.ctx.Err() != nil {
				if next != nil {
					next.kill()
				}
				return
			}
			if err != nil {
				h.log.Error("plugin restart failed", "plugin", p.binary, "error", err, "retry_in", schedule.Next(attempt))
				h.mu.Lock()
				p.lastErr = err.Error()
				h.mu.Unlock()
				continue
			}
			l = next
			break
		}
		h.mu.Lock()
		if p.retired {
			h.mu.Unlock()
			l.kill()
			return
		}
		p.restarts++
		h.up(p, l)
		h.reindex()
		h.mu.Unlock()
	}
}

// down records that l's process has ended and tells the holders of its Client.
func (h *Host) down(p *process, l *launched, err error, reason string) {
	h.mu.Lock()
	if p.client == l.client {
		p.client = nil
	}
	if reason != "" {
		p.lastExit = reason
	}
	h.mu.Unlock()
	l.client.err = err
	close(l.client.done)
}
