package pluginhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"time"

	"github.com/hashicorp/go-plugin"

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
}

// kill ends the process (go-plugin asks it to stop, then kills it after 2 s) and
// releases go-plugin's connections and goroutines. It returns once the process is gone.
func (l *launched) kill() { l.gp.Kill() }

// exitReason says how the process ended, e.g. "signal: killed" or "exit status 1". It
// must only be called once go-plugin has seen the process exit.
func (l *launched) exitReason() string {
	if ps := l.cmd.ProcessState; ps != nil {
		return ps.String()
	}
	return "unknown reason"
}

// launch starts p's binary, connects with AutoMTLS and asks for its connectors.
func (h *Host) launch(ctx context.Context, p *process) (*launched, error) {
	cmd := exec.Command(p.path)
	setProcAttr(cmd)
	var secure *plugin.SecureConfig
	if p.checksum != nil {
		secure = &plugin.SecureConfig{Checksum: p.checksum, Hash: sha256.New()}
	}
	log := h.cfg.Logger.With("plugin", p.binary)
	cc := protocol.NewClientConfig(cmd)
	cc.SecureConfig = secure
	cc.StartTimeout = startTimeout
	cc.Logger = newHCLogger(log, p.binary)
	cc.SyncStdout = &lineWriter{log: log, level: slog.LevelInfo, msg: "plugin stdout"}
	cc.SyncStderr = &lineWriter{log: log, level: slog.LevelWarn, msg: "plugin stderr"}
	gp := plugin.NewClient(cc)
	fail := func(err error) (*launched, error) {
		gp.Kill()
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
	return &launched{
		gp:  gp,
		cmd: cmd,
		client: &Client{
			Plugin:    clients.Plugin,
			Connector: clients.Connector,
			Source:    clients.Source,
			Sink:      clients.Sink,
			Binary:    p.binary,
			Pid:       pid,
			exited:    clients.Done(),
			done:      make(chan struct{}),
		},
		connectors: desc.GetConnectors(),
	}, nil
}

// supervise owns p's process from its first launch until Close: it waits for the
// process to exit, reports it on the Client and relaunches with backoff.
func (h *Host) supervise(p *process, l *launched) {
	defer h.wg.Done()
	backoff := h.cfg.BackoffMin
	for {
		started := time.Now()
		select {
		case <-l.client.exited:
		case <-h.ctx.Done():
			l.kill()
			h.down(p, l, fmt.Errorf("plugin %s stopped: plugin host closed", p.binary), "")
			return
		}
		reason := l.exitReason()
		h.down(p, l, fmt.Errorf("plugin %s exited: %s", p.binary, reason), reason)
		l.kill() // the process is gone; this releases go-plugin's side
		if time.Since(started) >= stableAfter {
			backoff = h.cfg.BackoffMin
		}
		h.log.Warn("plugin process exited; restarting it", "plugin", p.binary, "pid", l.client.Pid, "reason", reason, "backoff", backoff)

		for {
			select {
			case <-time.After(backoff):
			case <-h.ctx.Done():
				return
			}
			backoff = min(2*backoff, h.cfg.BackoffMax)
			next, err := h.launch(h.ctx, p)
			if h.ctx.Err() != nil {
				if next != nil {
					next.kill()
				}
				return
			}
			if err != nil {
				h.log.Error("plugin restart failed", "plugin", p.binary, "error", err, "retry_in", backoff)
				h.mu.Lock()
				p.lastErr = err.Error()
				h.mu.Unlock()
				continue
			}
			l = next
			break
		}
		h.mu.Lock()
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
