package main

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newMembersCmd) }

func newMembersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "members",
		Short: "List the cluster's nodes: address, Raft role, liveness and task count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				resp, err := c.ListMembers(ctx, &adminv1.ListMembersRequest{})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), resp)
				}
				t := newTable(cmd.OutOrStdout(), "ID", "ADDRESS", "VOTER", "LEADER", "ALIVE", "LAST CONTACT", "TASKS")
				for _, m := range resp.Members {
					t.row(m.Id, dash(memberAddr(m)), yesNo(m.Voter), yesNo(m.Leader), yesNo(m.Alive),
						lastContact(m.LastContactMs), strconv.Itoa(int(m.Tasks)))
				}
				return t.flush()
			})
		},
	}
}

// memberAddr is the address to reach a node at: its admin address (what --addr takes),
// else its cluster RPC or Raft address.
func memberAddr(m *adminv1.Member) string {
	for _, a := range []string{m.AdminAddr, m.RpcAddr, m.RaftAddr} {
		if a != "" {
			return a
		}
	}
	return ""
}

func lastContact(ms int64) string {
	if ms < 0 {
		return "-"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}
