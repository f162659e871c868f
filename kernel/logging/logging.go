package logging

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Root is the name of the logger whose level every logger starts with, and which sets
// all of them.
const Root = "root"

// Logger names the kernel uses; plugin binaries log under PluginPrefix + the binary's
// name without its "tributary-" prefix (e.g. tributary.plugins.file).
const (
	Kernel       = "tributary.kernel"
	PluginPrefix = "tributary.plugins."
)

// Levels holds the level of each named logger.
type Levels struct {
	mu       sync.Mutex
	root     *slog.LevelVar
	vars     map[string]*slog.LevelVar
	modified map[string]time.Time
	// minPlugin is the lowest level of any plugin logger (or the root's when there is
	// none), kept so Enabled needs no lock.
	minPlugin atomic.Int64
}

// NewLevels returns Levels whose root level is level.
func NewLevels(level slog.Level) *Levels {
	l := &Levels{root: new(slog.LevelVar), vars: map[string]*slog.LevelVar{}, modified: map[string]time.Time{}}
	l.root.Set(level)
	l.minPlugin.Store(int64(level))
	return l
}

// updateMinPlugin recomputes minPlugin; l.mu is held.
func (l *Levels) updateMinPlugin() {
	min := l.root.Level()
	for n, v := range l.vars {
		if strings.HasPrefix(n, PluginPrefix) && v.Level() < min {
			min = v.Level()
		}
	}
	l.minPlugin.Store(int64(min))
}

// Var returns the level of the named logger, created at the root's level on first use.
func (l *Levels) Var(name string) *slog.LevelVar {
	if name == Root || name == "" {
		return l.root
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.vars[name]
	if !ok {
		v = new(slog.LevelVar)
		v.Set(l.root.Level())
		l.vars[name] = v
		l.updateMinPlugin()
	}
	return v
}

// Logger is one logger's level, as GET /admin/loggers lists it.
type Logger struct {
	Name  string
	Level slog.Level
	// LastModified is when its level was last set; zero if never.
	LastModified time.Time
}

// List returns every logger, root first, then by name.
func (l *Levels) List() []Logger {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Logger{{Name: Root, Level: l.root.Level(), LastModified: l.modified[Root]}}
	names := make([]string, 0, len(l.vars))
	for n := range l.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, Logger{Name: n, Level: l.vars[n].Level(), LastModified: l.modified[n]})
	}
	return out
}

// Get returns one logger; false when there is none of that name.
func (l *Levels) Get(name string) (Logger, bool) {
	for _, lg := range l.List() {
		if lg.Name == name {
			return lg, true
		}
	}
	return Logger{}, false
}

// Set sets the level of the named logger and of every logger below it (names that
// start with name + "."), as log4j's hierarchy does; Root sets every logger. A name no
// logger has yet is created. It returns the names whose level was set, sorted.
func (l *Levels) Set(name string, level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	var changed []string
	if name == Root {
		l.root.Set(level)
		l.modified[Root] = now
		changed = append(changed, Root)
	}
	for n, v := range l.vars {
		if name == Root || n == name || strings.HasPrefix(n, name+".") {
			v.Set(level)
			l.modified[n] = now
			changed = append(changed, n)
		}
	}
	if len(changed) == 0 {
		v := new(slog.LevelVar)
		v.Set(level)
		l.vars[name] = v
		l.modified[name] = now
		changed = append(changed, name)
	}
	l.updateMinPlugin()
	sort.Strings(changed)
	return changed
}

// Log4j's levels beyond slog's four.
const (
	LevelTrace = slog.LevelDebug - 4
	LevelFatal = slog.LevelError + 4
	LevelOff   = slog.LevelError + 8
)

// ParseLevel reads a level by its log4j name (TRACE, DEBUG, INFO, WARN, ERROR, FATAL,
// OFF), case-insensitively; WARNING is taken for WARN.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE":
		return LevelTrace, nil
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	case "FATAL":
		return LevelFatal, nil
	case "OFF":
		return LevelOff, nil
	}
	return 0, fmt.Errorf("invalid log level %q: use TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF", s)
}

// LevelName is the log4j name of a level.
func LevelName(l slog.Level) string {
	switch {
	case l <= LevelTrace:
		return "TRACE"
	case l <= slog.LevelDebug:
		return "DEBUG"
	case l <= slog.LevelInfo:
		return "INFO"
	case l <= slog.LevelWarn:
		return "WARN"
	case l <= slog.LevelError:
		return "ERROR"
	case l <= LevelFatal:
		return "FATAL"
	}
	return "OFF"
}

// Handler is a slog.Handler that writes through another one what its logger's level lets
// through. A line with a "plugin" attribute (a plugin binary's own output, as the plugin
// host logs it) is judged by that plugin's logger instead.
type Handler struct {
	base   slog.Handler
	levels *Levels
	v      *slog.LevelVar
	plugin bool // v is a plugin's logger, from a "plugin" attribute set through WithAttrs
}

// NewHandler returns a Handler for the Kernel logger; base must let every level through
// (its own level is not consulted beyond what it does itself).
func NewHandler(base slog.Handler, levels *Levels) *Handler {
	return &Handler{base: base, levels: levels, v: levels.Var(Kernel)}
}

// Enabled implements slog.Handler. It takes no lock: it is asked for every line.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	if level >= h.v.Level() {
		return true
	}
	// A line may still carry a plugin attribute of its own: let it reach Handle when a
	// plugin's logger would take it.
	return !h.plugin && level >= slog.Level(h.levels.minPlugin.Load())
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	v := h.v
	if !h.plugin {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "plugin" {
				v = h.levels.Var(pluginLogger(a.Value.String()))
				return false
			}
			return true
		})
	}
	if r.Level < v.Level() {
		return nil
	}
	return h.base.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	for _, a := range attrs {
		if a.Key == "plugin" {
			c.v, c.plugin = h.levels.Var(pluginLogger(a.Value.String())), true
		}
	}
	c.base = h.base.WithAttrs(attrs)
	return &c
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.base = h.base.WithGroup(name)
	return &c
}

func pluginLogger(binary string) string {
	return PluginPrefix + strings.TrimPrefix(binary, "tributary-")
}

// PluginLogger is the logger name of a plugin binary's output.
func PluginLogger(binary string) string { return pluginLogger(binary) }

// Named returns l writing as the named logger (e.g. Kernel + ".cluster") when l's handler
// is a Handler; otherwise l itself.
func Named(l *slog.Logger, name string) *slog.Logger {
	h, ok := l.Handler().(*Handler)
	if !ok {
		return l
	}
	c := *h
	c.v, c.plugin = h.levels.Var(name), false
	return slog.New(&c)
}

// LevelsOf returns the Levels behind l's handler; nil when it is not a Handler.
func LevelsOf(l *slog.Logger) *Levels {
	if l == nil {
		return nil
	}
	if h, ok := l.Handler().(*Handler); ok {
		return h.levels
	}
	return nil
}
