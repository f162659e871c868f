package sdk

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/tributary-dev/tributary/plugins/protocol"
	"github.com/tributary-dev/tributary/plugins/protocol/gctune"
)

// shutdownTimeout bounds closing the open tasks when the plugin stops. The kernel kills
// a plugin that has not exited 2 s after asking it to.
const shutdownTimeout = 1500 * time.Millisecond

// Serve serves connectors to the kernel and returns when the kernel stops the plugin,
// after closing every open task. Call it from main; it exits the process with status 1
// if the connectors are misdeclared, or when the binary is run by hand (without the
// kernel's handshake cookie). It also ends the process, after closing open tasks, on
// SIGTERM or when the kernel that started it has gone.
func Serve(connectors ...Connector) {
	gctune.Start(context.Background(), pluginMemoryFloor)
	level := hclog.LevelFromString(os.Getenv(protocol.LogLevelEnv))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	// JSON on the real stderr: go-plugin's host parses each line into a structured log
	// entry at its level.
	log := hclog.New(&hclog.LoggerOptions{Level: level, Output: os.Stderr, JSONFormat: true})

	defer startCPUProfile(log)()

	srv, err := newServer(connectors, log)
	if err != nil {
		log.Error("cannot serve", "error", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Getenv(protocol.Handshake.MagicCookieKey) == protocol.Handshake.MagicCookieValue {
		go watchExit(srv, log)
	}

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins:         protocol.ServerSet(srv.register),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, protocol.AllServerOptions()...)...)
		},
		Logger: log,
	})
	// go-plugin returns once the kernel asked the server to stop (Kill on its side).
	srv.closeAll(shutdownTimeout)
}

// pluginMemoryFloor is what a plugin process may use before its collector tightens
// (package gctune).
const pluginMemoryFloor = 64 << 20

func startCPUProfile(log hclog.Logger) (stop func()) {
	prefix := os.Getenv(protocol.CPUProfileEnv)
	if prefix == "" {
		return func() {}
	}
	path := prefix + "-" + filepath.Base(os.Args[0]) + ".pprof"
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		log.Warn("cannot write a CPU profile", "env", protocol.CPUProfileEnv, "error", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// watchExit ends the process gracefully on SIGTERM, or when the parent (the kernel) has
// died and this process was re-parented, so plugins never outlive their kernel.
func watchExit(srv *server, log hclog.Logger) {
	parent := os.Getppid()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case sig := <-term:
			log.Info("stopping", "signal", sig.String())
			srv.closeAll(shutdownTimeout)
			os.Exit(0)
		case <-tick.C:
			if os.Getppid() != parent {
				log.Warn("kernel process has gone; stopping")
				srv.closeAll(shutdownTimeout)
				os.Exit(1)
			}
		}
	}
}
