package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

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
	// SocketDir holds the Unix sockets of the plugin processes, one subdirectory per
	// process, removed when it stops. The Host owns it: New removes what a killed run
	// left there. Default: a directory under os.TempDir() removed by Close.
	SocketDir string
	// RescanInterval is how often Dir is rescanned for new, changed and removed binaries
	// (see Reload). Zero: only when Reload is called.
	RescanInterval time.Duration
	// OnChange, if set, is called (from the Host's goroutine) after a reload changed
	// the connector classes.
	OnChange func()
	// Secrets hides secret values in the plugins' log lines; a nil one hides those the
	// Host sees sent to its plugins (see Secrets).
	Secrets *Secrets
	// MemoryLimit, when positive, bounds each plugin process's resident memory in bytes:
	// a process found above it (checked every MemoryCheckInterval) is killed, and its
	// tasks fail with that reason before the process is relaunched, so one runaway
	// connector cannot take the machine's memory from the kernel and the others.
	MemoryLimit int64
	// MemoryCheckInterval is how often MemoryLimit is checked. Default 1s.
	MemoryCheckInterval time.Duration
}

// Descriptor is a connector class some plugin binary holds. Treat it as read-only.
type Descriptor struct {
	*pluginv1.ConnectorDescriptor
	// Binary is the base name of the plugin binary holding the class.
	Binary string
	// Checksum is the SHA-256 of that binary, hex, as it was when its process started.
	Checksum string
}

// Client is the connection to one running plugin process. It stays usable until Done is
// closed; a relaunched process gets a new Client.
type Client struct {
	Plugin    pluginv1.PluginClient
	Connector pluginv1.ConnectorClient
	Source    pluginv1.SourceTaskClient
	Sink      pluginv1.SinkTaskClient
	// Conn is the connection the clients above share, for calls whose answer the caller
	// decodes into a type of its own (a protocol.LazyPoll); nil when not known.
	Conn grpc.ClientConnInterface
	// Binary is the base name of the plugin binary.
	Binary string
	// Pid is the plugin process's id.
	Pid int

	exited <-chan struct{} // go-plugin's: the process has exited (before done is closed)
	done   chan struct{}
	err    error // set before done is closed

	host  *Host
	proc  *process
	live  *launched
	users int // tasks holding it (WaitClient without Release), guarded by host.mu
}

// Release says a task that got c from WaitClient is done with it (its session ended).
// A process whose binary was replaced or removed keeps serving the tasks holding it and
// is stopped when the last of them releases it. Releasing nil, or a Client not from
// WaitClient, does nothing.
func (c *Client) Release() {
	if c == nil || c.host == nil {
		return
	}
	h := c.host
	h.mu.Lock()
	c.users--
	idle := c.users <= 0 && c.proc.retired
	h.mu.Unlock()
	if idle {
		h.wg.Go(func() { h.stopRetired(c) }) // its supervisor is running: wg is not zero
	}
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
	// Checksum is the binary's SHA-256, hex, as it was when the process started (or, if
	// none did, when it was last scanned).
	Checksum string
	// Version is the version its connectors describe (several joined by ", ").
	Version string
	// Retired says the binary was replaced or removed: the process serves the tasks
	// opened on it until they close or it exits, and is not relaunched.
	Retired bool
}

// process is one generation of a plugin binary: a reload that finds the file changed
// starts a new one. Its fields after stat are guarded by Host.mu.
type process struct {
	binary   string
	path     string
	checksum []byte // nil: not pinned
	stat     fileStat

	sha        string // hex SHA-256 of what was last launched (or scanned)
	retired    bool
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

	reloadMu  sync.Mutex // serialises Reload
	sockDir   string
	tempSock  bool // sockDir is the Host's own temp dir, removed by Close
	shortSock bool // sockDir stands in for a configured one too long for a socket path
	secrets   *Secrets

	mu      sync.Mutex
	procs   []*process            // current generations, sorted by binary
	retired []*process            // replaced or removed, still serving their tasks
	exact   map[string]Descriptor // by name and every alias
	simple  map[string]Descriptor // by the simple name of every alias (after the last '.')
	descs   []Descriptor          // sorted by name
	owner   map[string]*process   // by connector name
	changed chan struct{}         // closed and replaced when a Client comes up, or at Close
	closed  bool
	loaded  bool // the first reload (New's) is done
}

// New scans cfg.Dir, launches every plugin binary in it, asks each for its connectors and
// starts supervising them. A binary that fails to start is logged and skipped (see
// Processes); an empty directory is fine; a directory that cannot be read is an error.
// ctx bounds the launching only; the processes live until Close. With
// cfg.RescanInterval set, the directory is rescanned on that interval (see Reload).
func New(ctx context.Context, cfg Config) (*Host, error) {
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	if cfg.MemoryCheckInterval <= 0 {
		cfg.MemoryCheckInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Host{cfg: cfg, log: cfg.Logger.With("component", "pluginhost"), changed: make(chan struct{}),
		secrets: cfg.Secrets}
	if h.secrets == nil {
		h.secrets = &Secrets{}
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if err := h.openSocketDir(); err != nil {
		h.cancel()
		return nil, err
	}
	if _, err := h.reload(ctx, true); err != nil {
		h.cancel()
		h.wg.Wait()
		h.removeSocketDir()
		return nil, err
	}
	h.log.Info("plugins loaded", "dir", cfg.Dir, "binaries", len(h.Processes()), "connectors", len(h.Connectors()))
	if cfg.RescanInterval > 0 && cfg.Dir != "" {
		h.wg.Go(h.rescanLoop)
	}
	return h, nil
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
			d := Descriptor{ConnectorDescriptor: cd, Binary: p.binary, Checksum: p.sha}
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
	where := "no plugin directory is configured"
	if h.cfg.Dir != "" {
		where = fmt.Sprintf("plugins are searched in %s (executables named %s*); ", h.cfg.Dir, BinaryPrefix)
		if h.cfg.RescanInterval > 0 {
			where += fmt.Sprintf("a binary copied there is picked up within %s, or at once by `tributary plugins reload`", h.cfg.RescanInterval)
		} else {
			where += "after copying a binary there, run `tributary plugins reload`"
		}
	}
	return Descriptor{}, fmt.Errorf("%w %q; available: %s; %s", ErrUnknownClass, class, list, where)
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
// unknown class, or a closed Host, fails at once. The caller holds the Client until it
// calls Release: a retired process (its binary replaced or removed) lives while held.
func (h *Host) WaitClient(ctx context.Context, class string) (*Client, error) {
	for {
		h.mu.Lock()
		c, changed, err := h.client(class)
		if err == nil || changed == nil {
			if c != nil {
				c.users++
			}
			h.mu.Unlock()
			return c, err
		}
		h.mu.Unlock()
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond): // a dead Client awaiting supervision
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	}
}

// Dir is the plugin directory the Host scans.
func (h *Host) Dir() string { return h.cfg.Dir }

// Processes describes every plugin binary found, in binary name order, followed by the
// retired processes still serving tasks.
func (h *Host) Processes() []ProcessInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]ProcessInfo, 0, len(h.procs)+len(h.retired))
	for _, p := range append(slices.Clone(h.procs), h.retired...) {
		info := ProcessInfo{
			Binary: p.binary, Path: p.path, Restarts: p.restarts,
			LastExit: p.lastExit, LastError: p.lastErr, Checksum: p.sha, Retired: p.retired,
		}
		var versions []string
		for _, cd := range p.connectors {
			info.Connectors = append(info.Connectors, cd.GetName())
			if v := cd.GetVersion(); v != "" && !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
		slices.Sort(info.Connectors)
		info.Version = strings.Join(versions, ", ")
		if c := p.client; c != nil {
			select {
			case <-c.exited:
			default:
				info.Running, info.Pid, info.Started = true, c.Pid, p.started
			}
		}
		out = append(out, info)
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
	h.removeSocketDir()
	return nil
}
