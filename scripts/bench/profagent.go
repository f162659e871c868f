package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/tributary-dev/tributary/kernel"
)

// runProfilingAgent is `bench agent …`: a kernel node like `tributary agent` (the same
// kernel.New and Run, the flags the harness passes), which writes a CPU profile for its
// whole life and an allocation profile at exit. `tributary agent` serves no pprof, so with
// -profile the harness runs its nodes this way.
func runProfilingAgent(args []string) error {
	cfg := kernel.DefaultConfig()
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	var join, brokers, cpuProfile string
	fs.StringVar(&cfg.NodeID, "node-id", cfg.NodeID, "")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "")
	fs.IntVar(&cfg.RESTPort, "rest-port", cfg.RESTPort, "")
	fs.IntVar(&cfg.AdminPort, "admin-port", cfg.AdminPort, "")
	fs.IntVar(&cfg.ClusterPort, "cluster-port", cfg.ClusterPort, "")
	fs.IntVar(&cfg.RaftPort, "raft-port", cfg.RaftPort, "")
	fs.StringVar(&cfg.PluginDir, "plugin-dir", cfg.PluginDir, "")
	fs.StringVar(&brokers, "kafka-bootstrap-servers", "", "")
	fs.DurationVar(&cfg.OffsetFlushInterval, "offset-flush-interval", cfg.OffsetFlushInterval, "")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "")
	fs.BoolVar(&cfg.Bootstrap, "bootstrap", false, "")
	fs.IntVar(&cfg.BootstrapExpect, "bootstrap-expect", 0, "")
	fs.StringVar(&join, "join", "", "")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if brokers != "" {
		cfg.Kafka.BootstrapServers = strings.Split(brokers, ",")
	}
	if join != "" {
		cfg.Join = strings.Split(join, ",")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	node, err := kernel.New(cfg, log)
	if err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile + ".pprof")
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
			writeProfile("allocs", cpuProfile+".allocs.pprof")
		}()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	go func() {
		select {
		case <-node.Ready():
			a := node.Addrs()
			fmt.Printf("tributary node %s ready: rest http://%s admin %s cluster %s raft %s\n", cfg.NodeID, a.REST, a.Admin, a.Cluster, a.Raft)
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	err = node.Run(ctx)
	fmt.Fprintf(os.Stderr, "profiling agent ran %s\n", time.Since(start).Round(time.Millisecond))
	return err
}

func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
