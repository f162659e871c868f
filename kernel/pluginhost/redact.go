package pluginhost

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/kernel/config"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Secrets hides secret values in the plugins' log lines. The Host adds the values of
// secret keys (config.IsSecret) of every config it sends a plugin (Validate,
// TaskConfigs, Open); the node shares the set with the runtime, which adds what config
// providers resolved. A plugin's lines are not tied to one task, so every secret known to
// the Host is hidden in every plugin's lines.
type Secrets = config.Secrets

// redactValue redacts a log attribute's value: strings, and anything else whose printed
// form holds a secret (a map or list a plugin logged as JSON).
func redactValue(s *Secrets, v any) any {
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
