package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Handshake is the go-plugin handshake every Tributary plugin and the kernel share. A
// plugin binary started without TRIBUTARY_PLUGIN set to the cookie refuses to run.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "TRIBUTARY_PLUGIN",
	MagicCookieValue: "7c1d0f3e-tributary-connector-plugin",
}

// PluginName is the single go-plugin plugin name a Tributary plugin binary serves.
const PluginName = "tributary"

// PluginSet returns the go-plugin plugin set of a Tributary plugin. A plugin binary
// serves connectors (Serve does this for you); the kernel calls PluginSet() with none
// and dispenses PluginName to get [Clients].
func PluginSet(connectors ...Connector) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Connectors: connectors}}
}

// GRPCPlugin is the go-plugin plugin.GRPCPlugin of the Tributary protocol. Its server
// side registers the Plugin, Connector, SourceTask and SinkTask services for Connectors;
// its client side dispenses *Clients.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	// Connectors are served by GRPCServer; the client side ignores them.
	Connectors []Connector
	// Logger receives the server side's logs; nil discards them.
	Logger hclog.Logger

	srv *server // set by Serve, or built by GRPCServer
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the four protocol services for p.Connectors on s.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.srv == nil {
		srv, err := newServer(p.Connectors, p.Logger)
		if err != nil {
			return err
		}
		p.srv = srv
	}
	p.srv.register(s)
	return nil
}

// GRPCClient returns *Clients on conn. ctx is go-plugin's: it ends when the plugin
// process exits.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &Clients{
		Plugin:    pluginv1.NewPluginClient(conn),
		Connector: pluginv1.NewConnectorClient(conn),
		Source:    pluginv1.NewSourceTaskClient(conn),
		Sink:      pluginv1.NewSinkTaskClient(conn),
		Conn:      conn,
		done:      ctx.Done(),
	}, nil
}

// Clients are the generated clients of one plugin process's services, all on the one
// gRPC connection go-plugin made.
type Clients struct {
	Plugin    pluginv1.PluginClient
	Connector pluginv1.ConnectorClient
	Source    pluginv1.SourceTaskClient
	Sink      pluginv1.SinkTaskClient
	Conn      *grpc.ClientConn

	done <-chan struct{}
}

// Done is closed when the plugin process has exited (nil when go-plugin does not know,
// as in tests connecting without a process).
func (c *Clients) Done() <-chan struct{} { return c.done }
