package pluginhost

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/kernel/config"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// minSecretLen is the shortest value Secrets hides, as the runtime's task redactor:
// shorter ones would turn every "1" or "on" in a line into [hidden].
const minSecretLen = 4

// Secrets is a set of secret values hidden (as config.Hidden) in the plugins' log lines.
// The Host adds the values of secret keys (config.IsSecret) of every config it sends a
// plugin (Validate, TaskConfigs, Open); the kernel adds what config providers resolved.
// A plugin's lines are not tied to one task, so every secret known to the Host is hidden
// in every plugin's lines. The zero value is empty and ready; it is safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	values []string // longest first, so a secret containing another is hidden whole
}

// Add makes v hidden from now on (unless it is shorter than 4 bytes).
func (s *Secrets) Add(v string) {
	if len(v) < minSecretLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.values, v) {
		return
	}
	s.values = append(s.values, v)
	slices.SortFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Redact returns line with every secret replaced by config.Hidden.
func (s *Secrets) Redact(line string) string {
	if s == nil {
		return line
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(line, v) {
			line = strings.ReplaceAll(line, v, config.Hidden)
		}
	}
	return line
}

// redactValue redacts a log attribute's value: strings, and anything else whose printed
// form holds a secret (a map or list a plugin logged as JSON).
func (s *Secrets) redactValue(v any) any {
	switch x := v.(type) {
	case string:
		return s.Redact(x)
	case nil, bool, int, int64, float64:
		return v
	}
	str := fmt.Sprint(v)
	if r := s.Redact(str); r != str {
		return r
	}
	return v
}

// recordSecrets is a gRPC client interceptor on every plugin connection: it adds the
// secret values of each config the kernel sends a plugin to h.secrets before sending it.
func (h *Host) recordSecrets(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var class string
	var cfg map[string]string
	switch r := req.(type) {
	case *pluginv1.ValidateRequest:
		class, cfg = r.GetConnectorClass(), r.GetConfig()
	case *pluginv1.TaskConfigsRequest:
		class, cfg = r.GetConnectorClass(), r.GetConfig()
	case *pluginv1.OpenSourceRequest:
		class, cfg = r.GetConnectorClass(), r.GetConfig()
	case *pluginv1.OpenSinkRequest:
		class, cfg = r.GetConnectorClass(), r.GetConfig()
	}
	if len(cfg) > 0 {
		var desc *pluginv1.ConnectorDescriptor
		if d, err := h.Resolve(class); err == nil {
			desc = d.ConnectorDescriptor
		}
		for k, v := range cfg {
			if v != "" && v != config.Hidden && config.IsSecret(desc, k) {
				h.secrets.Add(v)
			}
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
