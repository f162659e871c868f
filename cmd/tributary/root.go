package main

import (
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"

	"github.com/tributary-dev/tributary/kernel/cluster"
)

// DefaultAdminAddr is where the CLI finds a node's admin gRPC service by default.
const DefaultAdminAddr = "127.0.0.1:8084"

// globalFlags are the flags every client command shares.
type globalFlags struct {
	addr   string
	output string // "table" or "json"
}

var flags globalFlags

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "tributary",
		Short:         "Tributary moves data between Kafka and other systems with connectors",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addr := os.Getenv("TRIBUTARY_ADDR")
	if addr == "" {
		addr = DefaultAdminAddr
	}
	root.PersistentFlags().StringVar(&flags.addr, "addr", addr, "admin gRPC address of a Tributary node (env TRIBUTARY_ADDR)")
	root.PersistentFlags().StringVarP(&flags.output, "output", "o", "table", "output format: table or json")
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands is filled by each command file's init, so commands live in their own files.
var subcommands []func() *cobra.Command

func register(c func() *cobra.Command) { subcommands = append(subcommands, c) }

// dialAdmin connects to the admin service at --addr.
func dialAdmin() (adminv1.AdminClient, func(), error) {
	conn, err := grpc.NewClient(flags.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cluster.MaxMessageBytes)))
	if err != nil {
		return nil, nil, err
	}
	return adminv1.NewAdminClient(conn), func() { conn.Close() }, nil
}
