package pluginhost

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ErrUnavailable is wrapped by the errors of Client and WaitClient while the process
// holding a connector class is down, restarting, or the Host is closed.
var ErrUnavailable = errors.New("plugin unavailable")

// ErrUnknownClass is wrapped by the errors of Resolve, Client and WaitClient for a
// connector class no plugin holds.
var ErrUnknownClass = errors.New("unknown connector class")

// BinaryPrefix is how the names of plugin executables begin.
const BinaryPrefix = "tributary-"

// Default restart backoff of a dead plugin process.
const (
	DefaultBackoffMin = 200 * time.Millisecond
	DefaultBackoffMax = 10 * time.Second
)

// Config configures a Host. The zero value (no Dir) is a Host with no plugins.
type Config struct {
	// Dir is scanned, not recursively, for executables named tributary-*.
	Dir string
	// Checksums optionally pins binaries: base name -> SHA-256, hex. A binary whose
	// checksum does not match is refused (and so is a restart after it was replaced).
	// Binaries not listed run unpinned.
	Checksums map[string]string
	// BackoffMin and BackoffMax bound the delay before relaunching a dead plugin process;
	// it doubles per failed attempt and resets once a process has run stably.
	// Defaults: DefaultBackoffMin, DefaultBackoffMax.
	BackoffMin, BackoffMax time.Duration
	// Logger receives the host's logs and every plugin's logs. Default: slog.Default().
	Logger *slog.Logger
}

// Descriptor is a connector class some plugin binary holds. Treat it as read-only.
type Descriptor struct {
	*pluginv1.ConnectorDescriptor
	// Binary is the base name of the plugin binary holding the class.
	Binary string
}

// Client is the connection to one running plugin process. It stays usable until Done is
// closed; a relaunched process gets a new Client.
type Client struct {
	Plugin    pluginv1.PluginClient
	Connector pluginv1.ConnectorClient
	Source    pluginv1.SourceTaskClient
	Sink      pluginv1.SinkTaskClient
	// Binary is the base name of the plugin binary.
	Binary string
	// Pid is the plugin process's id.
	Pid int

	exited <-chan struct{} // go-plugin's: the process has exited (before done is closed)
	done   chan struct{}
	err    error // set before done is closed
}

// Done is closed when this plugin process has exited (crashed, killed, or stopped by
// Close). Every task opened through this Client is gone with it.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the process exited, e.g. "plugin tributary-file exited: signal: killed";
// nil until Done is closed.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// ProcessInfo describes one plugin binary and its current process.
type ProcessInfo struct {
	// Binary is the base name of the plugin binary; Path its full path.
	Binary, Path string
	// Connectors are the names of the connector classes it described, sorted.
	Connectors []string
	// Running says whether a process is up and serving; Pid and Started describe it.
	Running bool
	Pid     int
	Started time.Time
	// Restarts counts relaunches after the process died.
	Restarts int
	// LastExit says why the last process ended, e.g. "signal: killed"; "" if none did.
	LastExit string
	// LastError is the last failure to launch, e.g. a checksum mismatch; "" if none.
	LastError string
}

// process is one plugin binary. Its fields after path are guarded by Host.mu.
type process struct {
	binary   string
	path     string
	checksum []byte // nil: not pinned

	client     *Client
	connectors []*pluginv1.ConnectorDescriptor
	started    time.Time
	restarts   int
	lastExit   string
	lastErr    string
}

// Host launches and supervises the plugin processes of one directory.
type Host struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	procs  []*process // sorted by binary; fixed after New

	mu      sync.Mutex
	exact   map[string]Descriptor // by name and every alias
	simple  map[string]Descriptor // by the simple name of every alias (after the last '.')
	descs   []Descriptor          // sorted by name
	owner   map[string]*process   // by connector name
	changed chan struct{}         // closed and replaced when a Client comes up, or at Close
	closed  bool
}

// New scans cfg.Dir, launches every plugin binary in it, asks each for its connectors and
// starts supervising them. A binary that fails to start is logged and skipped (see
// Processes); an empty directory is fine; a directory that cannot be read is an error.
// ctx bounds the launching only; the processes live until Close.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Host{cfg: cfg, log: cfg.Logger.With("component", "pluginhost"), changed: make(chan struct{})}
	h.ctx, h.cancel = context.WithCancel(context.Background())

	procs, err := scan(cfg.Dir, cfg.Checksums)
	if err != nil {
		h.cancel()
		return nil, err
	}
	h.procs = procs

	// Launch all binaries at once; each costs a process start and a TLS handshake.
	launches := make([]*launched, len(procs))
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
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
		h.cancel()
		return nil, fmt.Errorf("launch plugins in %s: %w", cfg.Dir, err)
	}

	h.mu.Lock()
	for i, p := range procs {
		switch {
		case p.lastErr != "":
			h.log.Error("plugin refused", "plugin", p.binary, "error", p.lastErr)
		case errs[i] != nil:
			p.lastErr = errs[i].Error()
			h.log.Error("plugin failed to start; skipping it", "plugin", p.binary, "error", errs[i])
		default:
			h.up(p, launches[i])
			h.wg.Add(1)
			go h.supervise(p, launches[i])
		}
	}
	h.reindex()
	h.mu.Unlock()
	h.log.Info("plugins loaded", "dir", cfg.Dir, "binaries", len(procs), "connectors", len(h.Connectors()))
	return h, nil
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
		p := &process{binary: e.Name(), path: path}
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

// up makes l the live process of p. h.mu must be held.
func (h *Host) up(p *process, l *launched) {
	p.client = l.client
	p.connectors = l.connectors
	p.started = time.Now()
	p.lastErr = ""
	close(h.changed)
	h.changed = make(chan struct{})
}

// reindex rebuilds the class lookup from the processes' descriptors. When two binaries
// declare the same class, the first by binary name wins. h.mu must be held.
func (h *Host) reindex() {
	h.exact = map[string]Descriptor{}
	h.simple = map[string]Descriptor{}
	h.owner = map[string]*process{}
	h.descs = h.descs[:0]
	for _, p := range h.procs {
		for _, cd := range p.connectors {
			if cd.GetName() == "" {
				h.log.Warn("plugin described a connector without a name; ignoring it", "plugin", p.binary)
				continue
			}
			if prev, dup := h.exact[cd.GetName()]; dup {
				h.log.Warn("connector class declared by two plugins; keeping the first",
					"class", cd.GetName(), "kept", prev.Binary, "ignored", p.binary)
				continue
			}
			d := Descriptor{ConnectorDescriptor: cd, Binary: p.binary}
			h.owner[cd.GetName()] = p
			h.descs = append(h.descs, d)
			h.exact[cd.GetName()] = d
			for _, alias := range cd.GetAliases() {
				if prev, dup := h.exact[alias]; dup {
					h.log.Warn("connector alias declared twice; keeping the first",
						"alias", alias, "kept", prev.GetName(), "ignored", cd.GetName())
					continue
				}
				h.exact[alias] = d
				if s := simpleName(alias); s != "" {
					if _, dup := h.simple[s]; !dup {
						h.simple[s] = d
					}
				}
			}
		}
	}
	slices.SortFunc(h.descs, func(a, b Descriptor) int { return strings.Compare(a.GetName(), b.GetName()) })
}

// simpleName is a Java class name's part after its last dot.
func simpleName(class string) string {
	return class[strings.LastIndexByte(class, '.')+1:]
}

// Connectors returns every connector class the plugins hold, sorted by name.
func (h *Host) Connectors() []Descriptor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.descs)
}

// Resolve finds a connector class by its name or an alias, exactly; failing that, by
// simple name, so a Kafka Connect class name from another package
// (com.example.FileStreamSource) or without its package (FileStreamSourceConnector)
// finds the alias it names. An unknown class's error lists every available one.
func (h *Host) Resolve(class string) (Descriptor, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resolve(class)
}

func (h *Host) resolve(class string) (Descriptor, error) {
	if d, ok := h.exact[class]; ok {
		return d, nil
	}
	if d, ok := h.simple[simpleName(class)]; ok {
		return d, nil
	}
	var avail []string
	for _, d := range h.descs {
		s := d.GetName()
		if len(d.GetAliases()) > 0 {
			s += " (" + strings.Join(d.GetAliases(), ", ") + ")"
		}
		avail = append(avail, s)
	}
	list := strings.Join(avail, ", ")
	if list == "" {
		list = "none"
	}
	return Descriptor{}, fmt.Errorf("%w %q; available: %s", ErrUnknownClass, class, list)
}

// Client returns the live client of the process holding class. While that process is
// down or restarting, the error wraps ErrUnavailable; for an unknown class it wraps
// ErrUnknownClass.
func (h *Host) Client(class string) (*Client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, _, err := h.client(class)
	return c, err
}

// client is Client with h.mu held; it also returns the channel closed when it might
// succeed next.
func (h *Host) client(class string) (*Client, <-chan struct{}, error) {
	if h.closed {
		return nil, nil, fmt.Errorf("connector class %q: plugin host closed: %w", class, ErrUnavailable)
	}
	d, err := h.resolve(class)
	if err != nil {
		return nil, nil, err
	}
	p := h.owner[d.GetName()]
	c := p.client
	if c != nil {
		select {
		case <-c.exited: // dead, and supervision has not caught up yet
			c = nil
		default:
		}
	}
	if c == nil {
		why := ""
		if p.lastExit != "" {
			why = " (last exit: " + p.lastExit + ")"
		}
		return nil, h.changed, fmt.Errorf("connector class %q: plugin %s is not running%s: %w", class, p.binary, why, ErrUnavailable)
	}
	return c, nil, nil
}

// WaitClient is Client, waiting while the process holding class is unavailable until
// it is back (the error then wraps ErrUnavailable and ctx's error) or ctx ends. An
// unknown class, or a closed Host, fails at once.
func (h *Host) WaitClient(ctx context.Context, class string) (*Client, error) {
	for {
		h.mu.Lock()
		c, changed, err := h.client(class)
		h.mu.Unlock()
		if err == nil || changed == nil {
			return c, err
		}
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond): // a dead Client awaiting supervision
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	}
}

// Processes describes every plugin binary found, in binary name order.
func (h *Host) Processes() []ProcessInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]ProcessInfo, len(h.procs))
	for i, p := range h.procs {
		info := ProcessInfo{
			Binary: p.binary, Path: p.path, Restarts: p.restarts,
			LastExit: p.lastExit, LastError: p.lastErr,
		}
		for _, cd := range p.connectors {
			info.Connectors = append(info.Connectors, cd.GetName())
		}
		slices.Sort(info.Connectors)
		if c := p.client; c != nil {
			select {
			case <-c.exited:
			default:
				info.Running, info.Pid, info.Started = true, c.Pid, p.started
			}
		}
		out[i] = info
	}
	return out
}

// Close stops supervision and kills every plugin process (asking it to stop first, as
// go-plugin does, so it can close its tasks), waiting until they have exited. It is
// safe to call more than once.
func (h *Host) Close() error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.changed)
		h.changed = make(chan struct{})
	}
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
	return nil
}
