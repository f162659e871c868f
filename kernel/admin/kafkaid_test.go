package admin

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The id comes from a real broker's metadata; with no broker it is "" and asked again.
func TestKafkaClusterID(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.ClusterID("test-cluster-7"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := func() *sarama.Config {
		sc := sarama.NewConfig()
		sc.Version = sarama.V3_6_0_0
		return sc
	}
	if id := KafkaClusterID(c.ListenAddrs(), cfg, time.Hour)(); id != "test-cluster-7" {
		t.Errorf("cluster id = %q, want test-cluster-7 (kfake's metadata)", id)
	}
	if id := KafkaClusterID(nil, cfg, time.Hour)(); id != "" {
		t.Errorf("cluster id with no brokers = %q, want \"\"", id)
	}
}
