package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newPluginsCmd) }

func newPluginsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "plugins",
		Aliases: []string{"plugin"},
		Short:   "Show the connector plugins a node can run",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List connector classes with their type, version, binary and aliases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				resp, err := c.ListPlugins(ctx, &adminv1.ListPluginsRequest{ConnectorsOnly: true})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), resp)
				}
				t := newTable(cmd.OutOrStdout(), "CLASS", "TYPE", "VERSION", "BINARY", "ALIASES")
				for _, p := range resp.Plugins {
					t.row(p.Class, p.Type, dash(p.Version), dash(p.Binary), dash(strings.Join(p.Aliases, ", ")))
				}
				return t.flush()
			})
		},
	})
	cmd.AddCommand(newPluginsTestCmd())
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
