package herder

import (
	"slices"
	"testing"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// A connector's active topics (KIP-558) are what its tasks produced to (sources) or
// consumed from (sinks), recorded in the state as they go; after a reset the next records
// record them again.
func TestTasksRecordTheirActiveTopics(t *testing.T) {
	h := newHarness(t, "n1")
	h.createTopic("src", 1)
	h.createTopic("in", 1)
	h.produce("in", 1, 5)
	h.putConnector(genConnector("gen", map[string]string{"topic": "src", "name": "g0", "sleep.ms": "5"}))
	h.putConnector(sinkConnector("snk", "in", 1))
	h.assign("gen", 0, "n1")
	h.assign("snk", 0, "n1")
	h.start("n1")
	topics := func(connector string) (out []string) {
		h.store.Read(func(s *state.State) { out = s.Connector(connector).GetActiveTopics() })
		return out
	}
	eventually(t, "the source records src", func() bool { return slices.Equal(topics("gen"), []string{"src"}) })
	eventually(t, "the sink records in", func() bool { return slices.Equal(topics("snk"), []string{"in"}) })

	h.apply(&clusterv1.Command{Cmd: &clusterv1.Command_ResetActiveTopics{ResetActiveTopics: &clusterv1.ResetActiveTopics{Connector: "gen"}}})
	eventually(t, "the running source records src again after a reset", func() bool { return slices.Equal(topics("gen"), []string{"src"}) })
}
