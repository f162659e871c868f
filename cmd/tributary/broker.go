package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tributary-dev/tributary/kernel/security"
)

func init() { register(newBrokerCmd) }

func newBrokerCmd() *cobra.Command {
	var port, brokers, partitions int
	var dataDir string
	var sec brokerSecurity
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run an embedded Kafka-protocol broker (kfake) for development and tests",
		Long: `Run a Kafka-protocol broker in this process (github.com/twmb/franz-go/pkg/kfake), the
same one 'tributary dev' embeds. Any Kafka client (kcat, sarama, librdkafka) can use it.
It is for development, demos and tests, not production.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := signalContext(cmd.Context())
			defer cancel()
			opts, err := sec.options()
			if err != nil {
				return err
			}
			c, err := startBroker(port, brokers, partitions, dataDir, opts...)
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
	cmd.Flags().StringVar(&sec.certFile, "tls-cert-file", "", "serve TLS with this certificate (PEM; tributary tls cert create --server)")
	cmd.Flags().StringVar(&sec.keyFile, "tls-key-file", "", "the certificate's key (PEM)")
	cmd.Flags().StringArrayVar(&sec.users, "sasl-user", nil, "turn SASL on with this user, MECHANISM:USER:PASSWORD (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; repeat it)")
	return cmd
}

// brokerSecurity is how `tributary broker` secures its listeners.
type brokerSecurity struct {
	certFile, keyFile string
	users             []string
}

func (b brokerSecurity) options() ([]kfake.Opt, error) {
	var opts []kfake.Opt
	if (b.certFile == "") != (b.keyFile == "") {
		return nil, errors.New("--tls-cert-file and --tls-key-file go together")
	}
	if b.certFile != "" {
		cfg, err := security.ServerTLS(b.certFile, b.keyFile, "", tls.NoClientCert)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kfake.TLS(cfg))
	}
	if len(b.users) > 0 {
		opts = append(opts, kfake.EnableSASL())
	}
	for _, u := range b.users {
		parts := strings.SplitN(u, ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			return nil, fmt.Errorf("--sasl-user %s: use MECHANISM:USER:PASSWORD", parts[0])
		}
		switch parts[0] {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			return nil, fmt.Errorf("--sasl-user: mechanism %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", parts[0])
		}
		opts = append(opts, kfake.Superuser(parts[0], parts[1], parts[2]))
	}
	return opts, nil
}

func startBroker(port, brokers, partitions int, dataDir string, extra ...kfake.Opt) (*kfake.Cluster, error) {
	opts := append([]kfake.Opt{kfake.NumBrokers(brokers), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(partitions)}, extra...)
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
