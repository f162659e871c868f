package kafka

import (
	"fmt"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/security"
)

// Client is how a node's tasks reach Kafka: the bootstrap brokers, and the client config
// every producer, consumer and admin client of theirs starts from.
type Client struct {
	Brokers []string
	// Config returns a fresh client config; nil means DefaultConfig. Force is applied to
	// what it returns.
	Config func() *sarama.Config
}

// NewConfig returns a fresh client config, with what the task loop depends on forced.
func (c Client) NewConfig() *sarama.Config {
	var cfg *sarama.Config
	if c.Config != nil {
		cfg = c.Config()
	} else {
		cfg = DefaultConfig()
	}
	Force(cfg)
	return cfg
}

// CreateTopic creates a topic unless it exists, with an admin client of its own.
func (c Client) CreateTopic(name string, d *sarama.TopicDetail) error {
	ac := c.NewConfig()
	admin, err := sarama.NewClusterAdmin(c.Brokers, ac)
	if err != nil {
		return fmt.Errorf("kafka admin client: %w", security.ExplainKafkaError(err, c.Brokers, ac))
	}
	defer admin.Close()
	return CreateTopicWith(admin, name, d)
}
