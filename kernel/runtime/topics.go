package runtime

import (
	"context"
	"slices"

	"github.com/tributary-dev/tributary/kernel/state"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// noteTopics records in the state, as the connector's active topics (KIP-558), those of
// topics — the topics a source just produced to or a sink consumed from — that the state
// does not list yet. It returns at once; the command is applied in the background, and a
// topic whose recording failed is tried again with the next records. After a reset
// (PUT /connectors/{name}/topics/reset) the next records record their topics anew.
func (t *workerTask) noteTopics(topics []string) {
	var recorded []string
	t.r.cfg.Store.Read(func(s *state.State) { recorded = s.Connector(t.key.Connector).GetActiveTopics() })
	var fresh []string
	t.topicsMu.Lock()
	for _, topic := range topics {
		if _, ok := slices.BinarySearch(recorded, topic); !ok && !t.topicsPending[topic] && !slices.Contains(fresh, topic) {
			fresh = append(fresh, topic)
			t.topicsPending[topic] = true
		}
	}
	t.topicsMu.Unlock()
	if len(fresh) == 0 {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), applyTimeout)
		defer cancel()
		cmd := &clusterv1.Command{Cmd: &clusterv1.Command_RecordActiveTopics{RecordActiveTopics: &clusterv1.RecordActiveTopics{
			Connector: t.key.Connector, CreatedIndex: t.connector.GetCreatedIndex(), Topics: fresh}}}
		_, err := t.r.cfg.Store.Apply(ctx, cmd)
		if err != nil {
			t.log.Warn("recording the connector's active topics failed; the next records try again", "topics", fresh, "err", err)
		}
		t.topicsMu.Lock()
		for _, topic := range fresh {
			delete(t.topicsPending, topic)
		}
		t.topicsMu.Unlock()
	}()
}
