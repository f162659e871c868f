package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// newTopicsCmd is `tributary connectors topics NAME [--reset]`: a connector's active
// topics (KIP-558), as GET /connectors/NAME/topics and PUT …/topics/reset.
func newTopicsCmd() *cobra.Command {
	var reset bool
	cmd := &cobra.Command{
		Use:   "topics NAME",
		Short: "Show (or reset) the topics a connector's tasks have used",
		Long: `Topics lists the topics a connector's tasks have produced to (sources) or consumed from
(sinks) since the connector was created or the list was last reset, as Kafka Connect's
GET /connectors/NAME/topics (KIP-558). --reset empties the list (PUT …/topics/reset); the
running tasks record the topics they use again from their next records.`,
		Example: `  tributary connectors topics my-source
  tributary connectors topics my-source -o json
  tributary connectors topics my-source --reset`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := jsonOutput()
			if err != nil {
				return err
			}
			return withAdmin(cmd, func(ctx context.Context, c adminv1.AdminClient) error {
				req := &adminv1.ConnectorRequest{Name: args[0]}
				if reset {
					if _, err := c.ResetConnectorTopics(ctx, req); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "active topics of %s reset\n", args[0])
					return nil
				}
				resp, err := c.GetConnectorTopics(ctx, req)
				if err != nil {
					return err
				}
				topics := resp.GetTopics()
				if topics == nil {
					topics = []string{}
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]map[string][]string{resp.GetName(): {"topics": topics}})
				}
				t := newTable(cmd.OutOrStdout(), "TOPIC")
				for _, topic := range topics {
					t.row(topic)
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "empty the connector's list of active topics")
	return cmd
}
