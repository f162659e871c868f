package protocol

import "google.golang.org/grpc"

// The plugin connection carries batches of about 150 KB (a Poll answer, a Put) between two
// processes on one machine. gRPC's defaults suit many small calls over a network: a 64 KB
// flow-control window that a batch outgrows, refilled by WINDOW_UPDATE round trips until
// its bandwidth estimate catches up, and 32 KB socket buffers. A fixed window of a few
// batches and larger buffers take those round trips and half the read and write calls off
// every batch.
const (
	windowSize = 4 << 20
	bufferSize = 256 << 10
)

// DialOptions are the kernel's transport options for its connection to a plugin.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(windowSize), grpc.WithInitialConnWindowSize(windowSize),
		grpc.WithReadBufferSize(bufferSize), grpc.WithWriteBufferSize(bufferSize),
	}
}

// ServerOptions are the plugin's matching transport options.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(windowSize), grpc.InitialConnWindowSize(windowSize),
		grpc.ReadBufferSize(bufferSize), grpc.WriteBufferSize(bufferSize),
	}
}
