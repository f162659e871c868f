package herder

import (
	"errors"
	"strings"
	"testing"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/runtime"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// A task's Kafka clients are fitted to its connector through runtime.Config.ClientConfig
// (the node applies kafka.properties and producer/consumer/admin.override.* there): the
// producer a source opens uses what the hook made of it, and an override the hook cannot
// apply fails the task at its start, naming the client's override keys.
func TestClientConfigFitsEachClientToItsConnector(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	hook := func(c *sarama.Config, client string, connectorConfig map[string]string) error {
		if connectorConfig["consumer.override.broken"] == "true" && client == "consumer" {
			return errors.New("consumer.override.broken: not a Kafka client key")
		}
		if connectorConfig["producer.override.max.request.size"] != "" && client == "producer" {
			c.Producer.MaxMessageBytes = 1 // every record is too large for this producer
		}
		return nil
	}
	small := genConnector("small", map[string]string{"topic": "src", "name": "g0", "count": "5"})
	small.Config["producer.override.max.request.size"] = "1"
	broken := genConnector("broken", map[string]string{"topic": "src", "name": "g1", "count": "5"})
	broken.Config["consumer.override.broken"] = "true"
	h.putConnector(small)
	h.putConnector(broken)
	h.assign("small", 0, "n1")
	h.assign("broken", 0, "n1")
	h.startWith("n1", func(c *runtime.Config) { c.ClientConfig = hook })

	eventually(t, "the connector whose producer takes 1-byte records fails on its first record",
		stateIs(h, "small", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("small", 0).Trace; !strings.Contains(tr, "max.request.size") {
		t.Errorf("trace %q; want the record-size refusal of the producer the hook made", tr)
	}
	eventually(t, "the connector with an override that cannot apply fails at its start",
		stateIs(h, "broken", 0, clusterv1.TaskState_TASK_STATE_FAILED))
	if tr := h.status("broken", 0).Trace; !strings.Contains(tr, "consumer.override.* keys") || !strings.Contains(tr, "consumer.override.broken") {
		t.Errorf("trace %q; want it to name the consumer's override keys", tr)
	}
	if h.sourceOffset("small", `{"g":"g0"}`) != "" {
		t.Error("the failed source committed offsets")
	}
}
