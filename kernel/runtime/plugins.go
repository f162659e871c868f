package runtime

import (
	"context"

	"github.com/tributary-dev/tributary/kernel/pluginhost"
)

// Plugins is what the runtime needs of the plugin host: the descriptor a connector class
// resolves to, and a client of the process serving it, waiting while that process
// (re)starts. *pluginhost.Host implements it.
type Plugins interface {
	Resolve(class string) (pluginhost.Descriptor, error)
	WaitClient(ctx context.Context, class string) (*pluginhost.Client, error)
}
