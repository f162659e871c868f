package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
)

func init() { register(newBrokerCmd) }

func newBrokerCmd() *cobra.Command {
	var port, brokers, partitions int
	var dataDir string
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run an embedded Kafka-protocol broker (kfake) for development and tests",
		Long: `Run a Kafka-protocol broker in this process (github.com/twmb/franz-go/pkg/kfake), the
same one 'tributary dev' embeds. Any Kafka client (kcat, sarama, librdkafka) can use it.
It is for development, demos and tests, not production.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			c, err := startBroker(port, brokers, partitions, dataDir)
			if err != nil {
				return err
			}
			defer c.Close()
			fmt.Printf("broker ready: %s\n", strings.Join(c.ListenAddrs(), ","))
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().IntVar(&port, "port", 9092, "port of the first broker (the others take the next ports); 0 picks free ports")
	cmd.Flags().IntVar(&brokers, "brokers", 1, "number of brokers")
	cmd.Flags().IntVar(&partitions, "partitions", 1, "partitions of auto-created topics")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "keep topics in this directory across restarts (default: memory only)")
	return cmd
}

func startBroker(port, brokers, partitions int, dataDir string) (*kfake.Cluster, error) {
	opts := []kfake.Opt{kfake.NumBrokers(brokers), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(partitions)}
	if port > 0 {
		ports := make([]int, brokers)
		for i := range ports {
			ports[i] = port + i
		}
		opts = append(opts, kfake.Ports(ports...))
	}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	return c, nil
}
