package pluginhost

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// levelTrace is slog's level for hclog's Trace, below Debug.
const levelTrace = slog.LevelDebug - 4

// slogLogger is an hclog.Logger writing to a *slog.Logger, so go-plugin's own logs and
// the logs it forwards from plugin processes (their stderr, one JSON entry a line) land
// in the kernel's structured log.
type slogLogger struct {
	l       *slog.Logger
	secrets *Secrets // hidden in every message and value
	binary  string   // a name not worth repeating: the plugin attribute already says it
	name    string
	implied []any
}

var _ hclog.Logger = (*slogLogger)(nil)

// newHCLogger returns an hclog.Logger for binary's go-plugin client writing to l, which
// should already carry the plugin attribute, hiding secrets in what it writes.
func newHCLogger(l *slog.Logger, binary string, secrets *Secrets) *slogLogger {
	return &slogLogger{l: l, binary: binary, secrets: secrets}
}

func toSlogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return levelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (s *slogLogger) Log(level hclog.Level, msg string, args ...any) {
	lvl := toSlogLevel(level)
	ctx := context.Background()
	if !s.l.Enabled(ctx, lvl) {
		return
	}
	attrs := make([]any, 0, len(args)+2)
	for i := 0; i < len(args); i += 2 {
		key := args[i]
		switch key {
		case "plugin": // go-plugin's key for the binary's path; ours is its name
			key = "path"
		case "timestamp": // the plugin's own clock, added to forwarded entries
			continue
		}
		attrs = append(attrs, key)
		if i+1 < len(args) {
			attrs = append(attrs, redactValue(s.secrets, args[i+1]))
		}
	}
	if s.name != "" && s.name != s.binary {
		attrs = append(attrs, "logger", s.name)
	}
	s.l.Log(ctx, lvl, s.secrets.Redact(msg), attrs...)
}

func (s *slogLogger) Trace(msg string, args ...any) { s.Log(hclog.Trace, msg, args...) }
func (s *slogLogger) Debug(msg string, args ...any) { s.Log(hclog.Debug, msg, args...) }
func (s *slogLogger) Info(msg string, args ...any)  { s.Log(hclog.Info, msg, args...) }
func (s *slogLogger) Warn(msg string, args ...any)  { s.Log(hclog.Warn, msg, args...) }
func (s *slogLogger) Error(msg string, args ...any) { s.Log(hclog.Error, msg, args...) }

func (s *slogLogger) enabled(l slog.Level) bool { return s.l.Enabled(context.Background(), l) }

func (s *slogLogger) IsTrace() bool { return s.enabled(levelTrace) }
func (s *slogLogger) IsDebug() bool { return s.enabled(slog.LevelDebug) }
func (s *slogLogger) IsInfo() bool  { return s.enabled(slog.LevelInfo) }
func (s *slogLogger) IsWarn() bool  { return s.enabled(slog.LevelWarn) }
func (s *slogLogger) IsError() bool { return s.enabled(slog.LevelError) }

func (s *slogLogger) ImpliedArgs() []any { return s.implied }

func (s *slogLogger) With(args ...any) hclog.Logger {
	red := make([]any, len(args))
	for i, a := range args {
		red[i] = redactValue(s.secrets, a)
	}
	return &slogLogger{l: s.l.With(red...), secrets: s.secrets, binary: s.binary, name: s.name, implied: append(s.implied[:len(s.implied):len(s.implied)], args...)}
}

func (s *slogLogger) Name() string { return s.name }

func (s *slogLogger) Named(name string) hclog.Logger {
	if s.name != "" {
		name = s.name + "." + name
	}
	return s.ResetNamed(name)
}

func (s *slogLogger) ResetNamed(name string) hclog.Logger {
	return &slogLogger{l: s.l, secrets: s.secrets, binary: s.binary, name: name, implied: s.implied}
}

// SetLevel does nothing: the level is the slog handler's.
func (s *slogLogger) SetLevel(hclog.Level) {}

// GetLevel reports the lowest level the slog handler accepts. go-plugin uses it to skip
// parsing plugin log lines nobody would see.
func (s *slogLogger) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if s.enabled(toSlogLevel(l)) {
			return l
		}
	}
	return hclog.Off
}

func (s *slogLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(s.StandardWriter(opts), "", 0)
}

func (s *slogLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := slog.LevelInfo
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = toSlogLevel(opts.ForceLevel)
	}
	return &lineWriter{log: s.l, level: level, msg: "log", secrets: s.secrets}
}

// lineWriter logs each line written to it as one entry, with the line under "line".
// go-plugin writes a plugin's stdout and (non-log) stderr through it.
type lineWriter struct {
	log     *slog.Logger
	level   slog.Level
	msg     string
	secrets *Secrets // hidden in every line

	mu      sync.Mutex
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimRight(string(w.partial[:i]), "\r"); line != "" {
			w.log.Log(context.Background(), w.level, w.msg, "line", w.secrets.Redact(line))
		}
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 64<<10 { // a runaway line without newline: log what we have
		w.log.Log(context.Background(), w.level, w.msg, "line", w.secrets.Redact(string(w.partial)))
		w.partial = nil
	}
	if len(w.partial) == 0 {
		w.partial = nil
	}
	return len(p), nil
}
