package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tributary-dev/tributary/kernel"
	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newDevCmd) }

// The seed pipeline `tributary dev` deploys: Kafka Connect's classic file → topic → file.
const seedTopic = "seed-lines"

func newDevCmd() *cobra.Command {
	cfg := kernel.DefaultConfig()
	cfg.NodeID = "dev"
	cfg.DataDir = ".tributary"
	cfg.Bootstrap = true
	cfg.Standalone = true
	var brokerPort int
	var seed bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a one-node Tributary with an embedded Kafka broker and the seed pipeline",
		Long: `Run everything on this machine in one process: a Kafka-protocol broker (kfake), one
kernel node, and the plugins beside this binary. Topics and connectors are kept under
--data-dir, so a restart carries on where it stopped. Unless --seed=false, it deploys the
seed pipeline: lines appended to <data-dir>/seed/input.txt flow through the topic
seed-lines into <data-dir>/seed/output.txt.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC(cmd.Context())
			dataDir, err := filepath.Abs(cfg.DataDir)
			if err != nil {
				return err
			}
			broker, err := startBroker(brokerPort, 1, 1, filepath.Join(dataDir, "kafka"))
			if err != nil {
				return err
			}
			defer broker.Close()
			cfg.Kafka.BootstrapServers = broker.ListenAddrs()
			cfg.DataDir = filepath.Join(dataDir, "kernel")
			log := newLogger(cfg.LogLevel)
			node, err := kernel.New(cfg, log)
			if err != nil {
				return fmt.Errorf("config: %w", err)
			}
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- node.Run(ctx) }()
			select {
			case err := <-errc:
				return err
			case <-node.Ready():
			}
			a := node.Addrs()
			fmt.Printf("Tributary dev is running (node %s, data in %s)\n", cfg.NodeID, dataDir)
			fmt.Printf("  Kafka broker     %s\n", strings.Join(broker.ListenAddrs(), ","))
			fmt.Printf("  REST API         http://%s  (Kafka Connect compatible)\n", a.REST)
			fmt.Printf("  admin gRPC       %s  (tributary --addr, grpcurl -plaintext)\n", a.Admin)
			fmt.Printf("  metrics          http://%s/metrics\n", a.REST)
			fmt.Printf("  plugins          %s (%d connectors)\n", cfg.PluginDir, len(node.Plugins.Connectors()))
			fmt.Printf("  converters       %s (worker defaults; a connector's own keys override them)\n", converterSummary(cfg.Converters))
			// hashicorp/raft logs its first election at WARN; on a single node it is the
			// node electing itself, not a fault.
			fmt.Println("  (a \"raft: heartbeat timeout reached, starting election\" warning above is this single node electing itself at start: expected)")
			if seed {
				in, out, err := deploySeed(ctx, node, dataDir)
				if err != nil {
					cancel()
					<-errc
					return fmt.Errorf("seed pipeline: %w", err)
				}
				fmt.Printf("Seed pipeline: append lines to %s; they arrive in %s via topic %s\n", in, out, seedTopic)
				fmt.Printf("  echo hello >> %s && tributary connectors status seed-file-sink\n", in)
			}
			return <-errc
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the broker's topics and the kernel's state")
	f.StringVar(&cfg.PluginDir, "plugin-dir", defaultPluginDir(), "directory of plugin binaries")
	f.IntVar(&brokerPort, "broker-port", kernel.DefaultBrokerPort, "port of the embedded Kafka broker")
	f.IntVar(&cfg.RESTPort, "rest-port", cfg.RESTPort, "Kafka Connect REST API port")
	f.IntVar(&cfg.AdminPort, "admin-port", cfg.AdminPort, "admin gRPC port")
	f.IntVar(&cfg.ClusterPort, "cluster-port", cfg.ClusterPort, "cluster gRPC port")
	f.IntVar(&cfg.RaftPort, "raft-port", cfg.RaftPort, "Raft port")
	f.DurationVar(&cfg.OffsetFlushInterval, "offset-flush-interval", cfg.OffsetFlushInterval, "how often task offsets are committed")
	f.StringVar(&cfg.LogLevel, "log-level", "warn", "debug, info, warn or error")
	f.BoolVar(&seed, "seed", true, "deploy the seed file → topic → file pipeline")
	return cmd
}

// converterSummary names the default converters briefly: key StringConverter, value
// JsonConverter (schemas.enable=false).
func converterSummary(c map[string]string) string {
	var parts []string
	for _, k := range []string{"key", "value", "header"} {
		class, ok := c[k+".converter"]
		if !ok {
			continue
		}
		p := k + " " + shortClass(class)
		if se, ok := c[k+".converter.schemas.enable"]; ok {
			p += " (schemas.enable=" + se + ")"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// deploySeed creates the seed connectors unless they exist already (a restart keeps them).
func deploySeed(ctx context.Context, node *kernel.Node, dataDir string) (in, out string, err error) {
	dir := filepath.Join(dataDir, "seed")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	in, out = filepath.Join(dir, "input.txt"), filepath.Join(dir, "output.txt")
	f, err := os.OpenFile(in, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", "", err
	}
	f.Close()
	seeds := map[string]map[string]string{
		"seed-file-source": {"connector.class": "FileStreamSource", "file": in, "topic": seedTopic},
		"seed-file-sink":   {"connector.class": "FileStreamSink", "file": out, "topics": seedTopic},
	}
	for name, config := range seeds {
		exists := false
		node.Cluster.Read(func(s *state.State) { exists = s.Connector(name) != nil })
		if exists {
			continue
		}
		if _, err := node.Admin.PutConnectorConfig(ctx, &adminv1.PutConnectorConfigRequest{Name: name, Config: config}); err != nil {
			return "", "", fmt.Errorf("%s: %w", name, err)
		}
	}
	return in, out, nil
}
