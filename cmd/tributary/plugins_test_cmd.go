package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-dev/tributary/kernel/conformance"
)

// newPluginsTestCmd is `tributary plugins test`: the conformance kit, run on one plugin
// executable without a node.
func newPluginsTestCmd() *cobra.Command {
	var (
		opts    conformance.Options
		kvs     []string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "test BINARY",
		Short: "Check a plugin executable against the plugin protocol's contract",
		Long: "Launches BINARY as a node would and runs the conformance checks on it: handshake and health, " +
			"Describe, Validate, TaskConfigs, a source's Open/Poll/Commit/Close and resume, a sink's " +
			"Open/Put/Flush/Close, schemas and values, shutdown on SIGTERM. Exits 1 if any check fails.",
		Example: "  tributary plugins test bin/plugins/tributary-file --class file-source --config file=/tmp/in.txt --config topic=t",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			opts.Config = map[string]string{}
			for _, kv := range kvs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--config %q: want key=value", kv)
				}
				opts.Config[k] = v
			}
			if verbose {
				opts.Log = os.Stderr
			}
			results := conformance.Run(cmd.Context(), args[0], opts)
			if asJSON {
				err = printJSON(cmd.OutOrStdout(), results)
			} else {
				t := newTable(cmd.OutOrStdout(), "CHECK", "RESULT", "DETAIL")
				for _, r := range results {
					name := r.Check
					if r.Class != "" {
						name = r.Class + " " + name
					}
					t.row(name, strings.ToUpper(string(r.Status)), dash(r.Detail))
				}
				err = t.flush()
			}
			if err != nil {
				return err
			}
			if conformance.Failed(results) {
				return fmt.Errorf("%s does not conform: a check failed", args[0])
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Class, "class", "", "connector class to test (default: the only one, or each the config validates for)")
	cmd.Flags().StringArrayVar(&kvs, "config", nil, "connector config entry key=value (repeatable)")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 10*time.Second, "bound on the plugin's start, each call and its exit after SIGTERM")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print the plugin's log lines to standard error")
	return cmd
}
