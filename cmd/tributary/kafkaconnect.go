package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// getKafkaConnect prints the worker as a Strimzi KafkaConnect resource.
func getKafkaConnect(cmd *cobra.Command) error {
	return errors.New("not yet")
}
