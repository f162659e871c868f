package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-dev/tributary/kernel/version"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newVersionCmd) }

func newVersionCmd() *cobra.Command {
	var server bool
	cmd := &cobra.Command{
		Use:   "version [--server]",
		Short: "Print this binary's version and commit (--server: also the node's, and its Kafka cluster id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, c := version.Get()
			fmt.Fprintf(cmd.OutOrStdout(), "tributary %s (commit %s)\n", v, c)
			if !server {
				return nil
			}
			return withAdmin(cmd, func(ctx context.Context, cl adminv1.AdminClient) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				info, err := cl.ServerInfo(ctx, &adminv1.ServerInfoRequest{})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "node %s at %s: tributary %s (commit %s), Kafka cluster %s\n",
					info.NodeId, flags.addr, info.Version, info.Commit, dash(info.KafkaClusterId))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&server, "server", false, "also ask the node at --addr")
	return cmd
}
