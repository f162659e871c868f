package protocol

import (
	"context"
	"errors"
	"os/exec"

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

// CPUProfileEnv names an environment variable for load tests (make bench -profile): set
// to a path prefix, each Go plugin writes a CPU profile of its life to
// PREFIX-<binary>.pprof when the kernel stops it.
const CPUProfileEnv = "TRIBUTARY_PLUGIN_CPUPROFILE"

// LogLevelEnv names the environment variable that sets a plugin's log level (trace,
// debug, info, warn, error); info when unset.
const LogLevelEnv = "TRIBUTARY_PLUGIN_LOG_LEVEL"

// ClientSet returns the go-plugin plugin set the kernel launches plugins with: it
// dispenses PluginName as *[Clients].
func ClientSet() plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{}}
}

// ServerSet returns the go-plugin plugin set a plugin binary serves: register installs
// the plugin's implementations of the Plugin, Connector, SourceTask and SinkTask services.
func ServerSet(register func(*grpc.Server) error) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Register: register}}
}

// GRPCPlugin is the go-plugin plugin.GRPCPlugin of the Tributary protocol. Its server
// side calls Register; its client side dispenses *Clients.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	// Register installs the protocol's services on the plugin's gRPC server. The
	// client side ignores it.
	Register func(*grpc.Server) error
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the protocol services on s.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("protocol: plugin serves no services (GRPCPlugin.Register is nil)")
	}
	return p.Register(s)
}

// GRPCClient returns *Clients on conn. ctx is go-plugin's: it ends when the plugin
// process exits.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewClients(conn, ctx.Done()), nil
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

// NewClients returns the clients on conn. done, if not nil, is closed when the plugin
// process has exited.
func NewClients(conn *grpc.ClientConn, done <-chan struct{}) *Clients {
	return &Clients{
		Plugin:    pluginv1.NewPluginClient(conn),
		Connector: pluginv1.NewConnectorClient(conn),
		Source:    pluginv1.NewSourceTaskClient(conn),
		Sink:      pluginv1.NewSinkTaskClient(conn),
		Conn:      conn,
		done:      done,
	}
}

// Done is closed when the plugin process has exited (nil when go-plugin does not know,
// as in tests connecting without a process).
func (c *Clients) Done() <-chan struct{} { return c.done }

// MaxMessageBytes bounds one message between kernel and plugin, set explicitly on both
// ends: a Poll answer or Put request is a whole batch (up to 1024 records of the 1 MiB a
// record may have), far beyond gRPC's 4 MiB default; a plugin that sends more (a runaway
// record) fails its call with ResourceExhausted instead of growing the kernel's memory.
const MaxMessageBytes = 1 << 30

// ClientDialOptions are every option the kernel's connection to a plugin needs: the
// transport options, the message bound and the protocol's codec.
func ClientDialOptions() []grpc.DialOption {
	return append(DialOptions(), grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes),
		grpc.ForceCodecV2(Codec)))
}

// AllServerOptions are every option a plugin's gRPC server needs, added to go-plugin's
// own: the transport options, the message bound and the protocol's codec.
func AllServerOptions() []grpc.ServerOption {
	return append(ServerOptions(), grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.ForceServerCodecV2(Codec))
}

// NewClientConfig returns the go-plugin client config that launches cmd as a Tributary
// plugin, as the kernel does: the handshake, the client plugin set, gRPC only, AutoMTLS
// and the connection's options. The caller adds what is its own (logger, output sinks,
// checksum, socket directory, start timeout).
func NewClientConfig(cmd *exec.Cmd) *plugin.ClientConfig {
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          ClientSet(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  ClientDialOptions(),
	}
}
