package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
		Short: "List connector classes with their type, version, binary, its SHA-256 and aliases",
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
				t := newTable(cmd.OutOrStdout(), "CLASS", "TYPE", "VERSION", "BINARY", "SHA256", "ALIASES")
				for _, p := range resp.Plugins {
					t.row(p.Class, p.Type, dash(p.Version), dash(p.Binary), dash(short(p.Sha256)), dash(strings.Join(p.Aliases, ", ")))
				}
				return t.flush()
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "reload",
		Short: "Rescan the node's plugin dir now: new binaries become creatable, changed ones serve their tasks' next start",
		Long: `Rescan the plugin directory of the node --addr reaches. A new binary is started and
its connector classes become creatable; a binary whose content changed (a new SHA-256)
gets a new process that serves each of its tasks from the task's next start, while
running tasks stay on the old one; a removed binary's classes can no longer be created.
Every node also does this on its own every plugin_rescan_interval (default 2s), so in a
cluster copy the binary to every node's plugin dir; this command only saves the wait.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				resp, err := c.ReloadPlugins(ctx, &adminv1.ReloadPluginsRequest{})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), resp)
				}
				t := newTable(cmd.OutOrStdout(), "BINARY", "CHANGE", "DETAIL")
				for _, b := range resp.Added {
					t.row(b, "added", "-")
				}
				for _, b := range resp.Replaced {
					t.row(b, "replaced", "running tasks stay on the old process until they restart")
				}
				for _, b := range resp.Removed {
					t.row(b, "removed", "-")
				}
				for _, b := range slices.Sorted(maps.Keys(resp.Failed)) {
					t.row(b, "failed", resp.Failed[b])
				}
				if err := t.flush(); err != nil {
					return err
				}
				if len(resp.Added)+len(resp.Replaced)+len(resp.Removed)+len(resp.Failed) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "no change in %s\n", resp.Dir)
				}
				if len(resp.Failed) > 0 {
					return fmt.Errorf("%d plugin binaries failed to start", len(resp.Failed))
				}
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "describe CLASS",
		Short: "Show a connector class's config keys: type, default, importance and doc",
		Long: `Describe lists the config keys a connector class defines (its name or any alias, e.g.
org.apache.kafka.connect.file.FileStreamSourceConnector), as GET
/connector-plugins/CLASS/config does: each key's type, default ("-" when it has none;
required keys are marked), importance and documentation. The keys every connector takes
(connector.class, tasks.max, converters, transforms, errors.*) are in the README.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				resp, err := c.GetPluginConfig(ctx, &adminv1.PluginRequest{Class: args[0]})
				if err != nil {
					return err
				}
				if asJSON {
					return printProto(cmd.OutOrStdout(), resp)
				}
				t := newTable(cmd.OutOrStdout(), "KEY", "TYPE", "DEFAULT", "IMPORTANCE", "DOC")
				for _, k := range resp.Keys {
					def := "-"
					switch {
					case k.HasDefault:
						def = k.DefaultValue
						if def == "" {
							def = `""`
						}
					case k.Required:
						def = "(required)"
					}
					t.row(k.Name, k.Type, def, k.Importance, k.Documentation)
				}
				return t.flush()
			})
		},
	})
	cmd.AddCommand(newPluginsTestCmd())
	return cmd
}

// short is the first 12 hex digits of a checksum, as git shortens a commit.
func short(sum string) string { return sum[:min(len(sum), 12)] }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
