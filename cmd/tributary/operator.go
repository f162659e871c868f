package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newOperatorCmd) }

func newOperatorCmd() *cobra.Command {
	op := &cobra.Command{Use: "operator", Short: "Cluster operator commands"}
	raftCmd := &cobra.Command{Use: "raft", Short: "Inspect and change the Raft configuration"}
	op.AddCommand(raftCmd)

	raftCmd.AddCommand(&cobra.Command{
		Use:   "list-peers",
		Short: "List the Raft peers: id, address, voter or non-voter, leader",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				resp, err := c.RaftListPeers(ctx, &adminv1.RaftListPeersRequest{})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), resp)
				}
				t := newTable(cmd.OutOrStdout(), "ID", "ADDRESS", "SUFFRAGE", "LEADER")
				for _, p := range resp.Peers {
					t.row(p.Id, p.Address, p.Suffrage, yesNo(p.Leader))
				}
				return t.flush()
			})
		},
	})
	raftCmd.AddCommand(&cobra.Command{
		Use:   "remove-peer ID",
		Short: "Remove a server from the Raft configuration and the cluster (its tasks move)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				if _, err := c.RaftRemovePeer(ctx, &adminv1.RaftPeerRequest{Id: args[0]}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "peer %s removed\n", args[0])
				return nil
			})
		},
	})
	raftCmd.AddCommand(&cobra.Command{
		Use:   "transfer-leader [ID]",
		Short: "Hand Raft leadership to the voter ID, or to any other voter",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				if _, err := c.RaftTransferLeader(ctx, &adminv1.RaftPeerRequest{Id: id}); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "leadership transferred")
				return nil
			})
		},
	})
	return op
}
