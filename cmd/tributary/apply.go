package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/config"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

func init() { register(newApplyCmd) }

func newApplyCmd() *cobra.Command {
	var files []string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "apply -f FILE [-f FILE…]",
		Short: "Create or update connectors from manifest files",
		Long: `Apply creates or updates the connectors described in manifest files: Tributary's own
(apiVersion tributary.dev/v1, kind Connector), Strimzi KafkaConnector resources unchanged,
or Kafka Connect REST bodies ({"name": …, "config": {…}}), in YAML or JSON, several per file
separated by ---. "-f -" reads standard input.

A Strimzi KafkaConnect resource (the workers) is checked against the running cluster and
reported key by key: bootstrapServers and converters against the nodes' settings, replicas
against the live nodes, build plugins against the bundled ones (one Tributary does not
ship is an error), storage topics as held by Raft; nothing on the nodes changes.

Every file is read and checked before anything is sent: a mistake anywhere changes nothing.
A manifest's state (running, paused, stopped) is applied after its config; without one a
connector keeps the state it has.

With --wait it then watches the connectors it applied and returns once each is RUNNING
with all of its tasks RUNNING (or PAUSED, or STOPPED, when its manifest asks for that),
printing a line per connector as its state changes; a task that FAILED ends it with an
error and the task's trace, and so does --timeout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return errors.New("no manifest given: use -f FILE (or -f - for standard input)")
			}
			specs, workers, err := readManifests(cmd.InOrStdin(), files)
			if err != nil {
				return err
			}
			err = withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				for _, kc := range workers {
					if err := checkKafkaConnect(ctx, cmd.OutOrStdout(), c, kc); err != nil {
						return err
					}
				}
				var failed int
				for _, s := range specs {
					if err := applySpec(ctx, cmd.OutOrStdout(), c, s.Spec); err != nil {
						failed++
						fmt.Fprintf(cmd.ErrOrStderr(), "error: connector %s (%s line %d): %v\n", s.Name, s.file, s.Line, rpcError(err))
					}
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d connectors not applied", failed, len(specs))
				}
				return nil
			})
			if err != nil || !wait || len(specs) == 0 {
				return err
			}
			return withAdminStream(cmd, timeout, func(ctx context.Context, c adminv1.AdminClient) error {
				return waitApplied(ctx, c, cmd.OutOrStdout(), specs)
			})
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file to apply (repeatable; - for standard input)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until every connector applied runs (or is in its manifest's state)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "with --wait, how long to wait")
	return cmd
}

// fileSpec is a parsed connector and the file it came from.
type fileSpec struct {
	config.Spec
	file string
}

// readManifests reads and parses every file, refusing a connector defined twice; it also
// returns the Strimzi KafkaConnect resources among them.
func readManifests(stdin io.Reader, files []string) ([]fileSpec, []config.KafkaConnect, error) {
	var out []fileSpec
	var workers []config.KafkaConnect
	seen := map[string]fileSpec{}
	for _, f := range files {
		var data []byte
		var err error
		name := f
		if f == "-" {
			name = "<stdin>"
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, nil, err
		}
		specs, kcs, err := config.ParseResources(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		workers = append(workers, kcs...)
		for _, s := range specs {
			if prev, dup := seen[s.Name]; dup {
				return nil, nil, fmt.Errorf("%s: line %d: connector %q is also defined in %s at line %d", name, s.Line, s.Name, prev.file, prev.Line)
			}
			fs := fileSpec{Spec: s, file: name}
			seen[s.Name] = fs
			out = append(out, fs)
		}
	}
	if len(out) == 0 && len(workers) == 0 {
		return nil, nil, errors.New("the manifests describe no connector")
	}
	return out, workers, nil
}

// stateOps maps a manifest state to the connector state it asks for, the call that
// gets there, and what to say when it did.
var stateOps = map[string]struct {
	target, done string
	call         func(adminv1.AdminClient, context.Context, *adminv1.ConnectorRequest) error
}{
	config.StateRunning: {"RUNNING", "resumed", func(c adminv1.AdminClient, ctx context.Context, r *adminv1.ConnectorRequest) error {
		_, err := c.ResumeConnector(ctx, r)
		return err
	}},
	config.StatePaused: {"PAUSED", "paused", func(c adminv1.AdminClient, ctx context.Context, r *adminv1.ConnectorRequest) error {
		_, err := c.PauseConnector(ctx, r)
		return err
	}},
	config.StateStopped: {"STOPPED", "stopped", func(c adminv1.AdminClient, ctx context.Context, r *adminv1.ConnectorRequest) error {
		_, err := c.StopConnector(ctx, r)
		return err
	}},
}

// applySpec creates or updates one connector, then brings it to the manifest's state. A
// new connector that should not run is created in that state, so it never starts.
func applySpec(ctx context.Context, w io.Writer, c adminv1.AdminClient, s config.Spec) error {
	req := &adminv1.ConnectorRequest{Name: s.Name}
	current, err := c.GetConnectorStatus(ctx, req)
	if status.Code(err) == codes.NotFound {
		current, err = nil, nil
	}
	if err != nil {
		return err
	}
	op, hasState := stateOps[s.State]
	if current == nil && hasState {
		if _, err := c.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: s.Name, Config: s.Config, InitialState: op.target}); err != nil {
			return err
		}
		if op.target == "RUNNING" {
			fmt.Fprintf(w, "connector %s created\n", s.Name)
		} else {
			fmt.Fprintf(w, "connector %s created (%s)\n", s.Name, s.State)
		}
		return nil
	}
	var before *adminv1.ConnectorInfo
	if current != nil {
		before, _ = c.GetConnector(ctx, req)
	}
	resp, err := c.PutConnectorConfig(ctx, &adminv1.PutConnectorConfigRequest{Name: s.Name, Config: s.Config})
	if err != nil {
		return err
	}
	if resp.Created {
		fmt.Fprintf(w, "connector %s created\n", s.Name)
	} else if before != nil && maps.Equal(before.GetConfig(), resp.GetInfo().GetConfig()) && len(before.GetTasks()) == len(resp.GetInfo().GetTasks()) &&
		(!hasState || current.GetConnector().GetState() == op.target) {
		// The node writes nothing for a config it already has (no task restarts).
		fmt.Fprintf(w, "connector %s unchanged\n", s.Name)
	} else {
		fmt.Fprintf(w, "connector %s configured\n", s.Name)
	}
	if hasState && current != nil && current.GetConnector().GetState() != op.target {
		if err := op.call(c, ctx, req); err != nil {
			return err
		}
		fmt.Fprintf(w, "connector %s %s\n", s.Name, op.done)
	}
	return nil
}
