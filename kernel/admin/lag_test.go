package admin

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// A sink's lag is the end offset of each partition of its topics less what it has
// committed, read from a real broker; a partition with nothing committed lags from its
// earliest offset.
func TestGetLag(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "lines"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := func() *sarama.Config {
		sc := sarama.NewConfig()
		sc.Version = sarama.V3_6_0_0
		sc.Producer.Return.Successes = true
		sc.Producer.Partitioner = sarama.NewManualPartitioner
		return sc
	}
	prod, err := sarama.NewSyncProducer(c.ListenAddrs(), cfg())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: "lines", Partition: int32(i % 2), Value: sarama.StringEncoder("x")}); err != nil {
			t.Fatal(err)
		}
	}
	prod.Close()

	f := newFixture(t)
	f.svc.cfg.Kafka = func() (sarama.Client, error) { return sarama.NewClient(c.ListenAddrs(), cfg()) }
	f.create(t, "snk", map[string]string{"connector.class": "file-sink", "file": "/tmp/out", "topics": "lines", "tasks.max": "1"})
	f.place(t, "node-1", "snk", clusterv1.TaskState_TASK_STATE_RUNNING)
	f.apply(t, &clusterv1.Command{Cmd: &clusterv1.Command_CommitOffsets{CommitOffsets: &clusterv1.CommitOffsets{Tasks: []*clusterv1.TaskOffsets{{
		Task: &clusterv1.TaskID{Connector: "snk"}, Epoch: f.epoch("snk", 0),
		Sink: []*clusterv1.SinkOffset{{Topic: "lines", Partition: 0, Offset: 2}}}}}}})

	lag, err := f.svc.GetLag(ctx, &adminv1.ConnectorRequest{Name: "snk"})
	if err != nil {
		t.Fatal(err)
	}
	if lag.Total != 8 || len(lag.Partitions) != 2 ||
		lag.Partitions[0].Committed != 2 || lag.Partitions[0].End != 5 || lag.Partitions[0].Lag != 3 ||
		lag.Partitions[1].Committed != -1 || lag.Partitions[1].End != 5 || lag.Partitions[1].Lag != 5 {
		t.Errorf("lag = %v; want partition 0 at 2 of 5 (3), partition 1 none committed of 5 (5), total 8", lag)
	}
	f.create(t, "src", sourceConfig())
	if lag, err := f.svc.GetLag(ctx, &adminv1.ConnectorRequest{Name: "src"}); err != nil || lag.Total != 0 || len(lag.Partitions) != 0 {
		t.Errorf("a source's lag: %v, %v; want none", lag, err)
	}
	if _, err := f.svc.GetLag(ctx, &adminv1.ConnectorRequest{Name: "nope"}); err == nil {
		t.Error("the lag of an unknown connector was answered")
	}
}
