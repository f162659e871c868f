package admin

import (
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// KafkaClusterID returns a Config.KafkaClusterID that asks the brokers for their cluster id
// (the metadata response's ClusterID, as sarama's ClusterAdmin.DescribeCluster reads it)
// and remembers it once known. An unreachable broker is asked again on the next call, at
// most every retry; until it answers the id is "".
func KafkaClusterID(brokers []string, cfg func() *sarama.Config, retry time.Duration) func() string {
	var mu sync.Mutex
	var id string
	var last time.Time
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		if id != "" || len(brokers) == 0 || (!last.IsZero() && time.Since(last) < retry) {
			return id
		}
		last = time.Now()
		c := cfg()
		c.Net.DialTimeout, c.Net.ReadTimeout, c.Metadata.Retry.Max = 3*time.Second, 3*time.Second, 0
		client, err := sarama.NewClient(brokers, c)
		if err != nil {
			return ""
		}
		defer client.Close()
		b := client.LeastLoadedBroker()
		if b == nil {
			return ""
		}
		resp, err := b.GetMetadata(sarama.NewMetadataRequest(c.Version, []string{}))
		if err == nil && resp.ClusterID != nil {
			id = *resp.ClusterID
		}
		return id
	}
}
