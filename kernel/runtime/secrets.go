package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/tributary-dev/tributary/kernel/config"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// redactor hides a task's secret values — what config providers resolved, and the values
// of keys the plugin defines as secret — in everything the task logs or reports.
type redactor struct{ s config.Secrets }

func (r *redactor) add(v string)           { r.s.Add(v) }
func (r *redactor) redact(s string) string { return r.s.Redact(s) }
func (r *redactor) empty() bool            { return r.s.Empty() }

// redactingHandler is a slog.Handler that hides a redactor's secrets in the message and
// every attribute before handing a record on.
type redactingHandler struct {
	h slog.Handler
	r *redactor
}

func (x redactingHandler) Enabled(ctx context.Context, l slog.Level) bool { return x.h.Enabled(ctx, l) }

func (x redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	if x.r.empty() {
		return x.h.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, x.r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(x.attr(a))
		return true
	})
	return x.h.Handle(ctx, out)
}

func (x redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, x.r.redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = x.attr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		s := fmt.Sprint(v.Any())
		if r := x.r.redact(s); r != s {
			return slog.String(a.Key, r)
		}
	}
	return a
}

func (x redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = x.attr(a)
	}
	return redactingHandler{h: x.h.WithAttrs(out), r: x.r}
}

func (x redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h: x.h.WithGroup(name), r: x.r}
}

// resolveConfigs resolves the config provider placeholders (${file:…}, ${env:…}, ${dir:…})
// of the task's config and its connector's: the stored configs stay unresolved, and the
// resolved ones live only in this task instance. Every value a provider returns, and the
// value of every key desc defines as secret, is hidden from the task's logs and traces.
// An error names the key and the placeholder, never a value.
func (t *workerTask) resolveConfigs(desc *pluginv1.ConnectorDescriptor) error {
	providers := t.r.cfg.Providers
	if providers == nil {
		providers = config.DefaultProviders()
	}
	var resolved []string
	recording := make(config.Providers, len(providers))
	for alias, p := range providers {
		recording[alias] = config.ProviderFunc(func(path, key string) (string, error) {
			v, err := p.Get(path, key)
			if err == nil {
				resolved = append(resolved, v)
			}
			return v, err
		})
	}
	taskCfg, err := config.Resolve(t.config, recording)
	if err != nil {
		return fmt.Errorf("resolve the task config: %w", err)
	}
	connCfg, err := config.Resolve(t.connector.Config, recording)
	if err != nil {
		return fmt.Errorf("resolve the connector config: %w", err)
	}
	for _, v := range resolved {
		// A value the stored config already shows (every API answer shows it) hides
		// nothing, and hiding it would mangle what it is part of: a user name
		// "debezium" read from a file would turn io.debezium.connector.… into
		// io.[hidden].connector.… in every log line and trace.
		if !shownIn(v, t.config, t.connector.Config) {
			t.secrets.add(v)
			t.r.cfg.PluginSecrets.Add(v) // the plugin may log it too
		}
	}
	for _, cfg := range []map[string]string{taskCfg, connCfg} {
		for k, v := range cfg {
			if config.IsSecret(desc, k) {
				t.secrets.add(v)
			}
		}
	}
	t.config, t.connCfg = taskCfg, connCfg
	return nil
}

// shownIn reports whether v is part of a value of one of the stored (unresolved) configs
// — outside the config provider placeholders, which are what is stored in their place.
func shownIn(v string, stored ...map[string]string) bool {
	for _, cfg := range stored {
		for _, s := range cfg {
			if strings.Contains(placeholder.ReplaceAllString(s, ""), v) {
				return true
			}
		}
	}
	return false
}

// placeholder matches a config provider placeholder, ${provider:path:key} or ${provider:key}.
var placeholder = regexp.MustCompile(`\$\{[^}]*\}`)

// redact hides the task's secrets in s.
func (t *workerTask) redact(s string) string { return t.secrets.redact(s) }
