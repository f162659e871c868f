package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/security"
	"github.com/tributary-dev/tributary/plugins/kc"
)

// The connector config keys of topic creation for sources, as Kafka Connect's
// SourceConnectorConfig and TopicCreationConfig define them (KIP-158).
const (
	topicCreationPrefix = "topic.creation."
	keyTopicGroups      = "topic.creation.groups"
	defaultTopicGroup   = "default"
	groupInclude        = "include"
	groupExclude        = "exclude"
	groupReplication    = "replication.factor"
	groupPartitions     = "partitions"
)

// TopicCreation is a source connector's topic creation settings: its groups in the order
// topic.creation.groups lists them, then the default group, which takes every topic.
type TopicCreation struct {
	groups []*topicGroup
}

// topicGroup is one topic.creation group: which topics it takes and how it creates them.
type topicGroup struct {
	name             string
	include, exclude *regexp.Regexp // nil: none
	partitions       int32          // -1: the broker's default
	replication      int16          // -1: the broker's default
	configs          map[string]*string
}

// ParseTopicCreation reads the topic.creation.* keys of a source connector's config. It
// returns nil when topic creation is off: both topic.creation.default.replication.factor
// and topic.creation.default.partitions must be set to turn it on.
func ParseTopicCreation(cfg map[string]string) (*TopicCreation, error) {
	rfKey := topicCreationPrefix + defaultTopicGroup + "." + groupReplication
	pKey := topicCreationPrefix + defaultTopicGroup + "." + groupPartitions
	_, hasRF := cfg[rfKey]
	_, hasP := cfg[pKey]
	switch {
	case !hasRF && !hasP:
		return nil, nil
	case !hasRF:
		return nil, fmt.Errorf("topic creation needs both %s and %s; %s is missing", rfKey, pKey, rfKey)
	case !hasP:
		return nil, fmt.Errorf("topic creation needs both %s and %s; %s is missing", rfKey, pKey, pKey)
	}
	def, err := parseTopicGroup(cfg, defaultTopicGroup, nil)
	if err != nil {
		return nil, err
	}
	tc := &TopicCreation{}
	seen := map[string]bool{}
	for _, g := range kc.ParseList(cfg[keyTopicGroups]) {
		if g == "" || g == defaultTopicGroup || seen[g] {
			continue // the default group is implicit and always last
		}
		seen[g] = true
		grp, err := parseTopicGroup(cfg, g, def)
		if err != nil {
			return nil, err
		}
		tc.groups = append(tc.groups, grp)
	}
	tc.groups = append(tc.groups, def)
	return tc, nil
}

func parseTopicGroup(cfg map[string]string, name string, def *topicGroup) (*topicGroup, error) {
	prefix := topicCreationPrefix + name + "."
	g := &topicGroup{name: name, configs: map[string]*string{}}
	if def != nil {
		g.partitions, g.replication = def.partitions, def.replication
	}
	var errs []error
	for k, v := range cfg {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || rest == "" {
			continue
		}
		switch rest {
		case groupInclude, groupExclude:
			if def == nil {
				errs = append(errs, fmt.Errorf("%s: the default group takes every topic; set include and exclude on the groups of %s", k, keyTopicGroups))
				continue
			}
			re, err := regexList(k, v)
			if err != nil {
				errs = append(errs, err)
			} else if rest == groupInclude {
				g.include = re
			} else {
				g.exclude = re
			}
		case groupReplication:
			n, err := kc.Int(cfg, k, -1)
			if err == nil && (n < -1 || n == 0 || n > 32767) {
				err = fmt.Errorf("Invalid value %s for configuration %s: Value must be -1 (the broker's default) or at least 1", v, k)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			g.replication = int16(n)
		case groupPartitions:
			n, err := kc.Int(cfg, k, -1)
			if err == nil && (n < -1 || n == 0) {
				err = fmt.Errorf("Invalid value %s for configuration %s: Value must be -1 (the broker's default) or at least 1", v, k)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			g.partitions = int32(n)
		default:
			val := v
			g.configs[rest] = &val
		}
	}
	return g, errors.Join(errs...)
}

// regexList compiles a comma-separated list of regular expressions into one that matches
// a whole topic name matching any of them, as upstream joins them with |.
func regexList(key, v string) (*regexp.Regexp, error) {
	var parts []string
	for _, p := range kc.ParseList(v) {
		if p != "" {
			parts = append(parts, "(?:"+p+")")
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	re, err := regexp.Compile("^(?:" + strings.Join(parts, "|") + ")$")
	if err != nil {
		return nil, fmt.Errorf("Invalid value %s for configuration %s: %v", v, key, err)
	}
	return re, nil
}

// groupFor returns the first group that takes topic: the default group when no other does.
func (tc *TopicCreation) groupFor(topic string) *topicGroup {
	for _, g := range tc.groups {
		if g.name == defaultTopicGroup {
			return g
		}
		if g.include != nil && g.include.MatchString(topic) && (g.exclude == nil || !g.exclude.MatchString(topic)) {
			return g
		}
	}
	return nil
}

// TopicCreator creates a source task's topics before the first record is produced to
// each, remembering the topics it knows exist.
type TopicCreator struct {
	client Client
	tc     *TopicCreation
	log    *slog.Logger
	mu     sync.Mutex
	known  map[string]bool
	admin  sarama.ClusterAdmin
}

// NewTopicCreator returns a creator of the topics tc takes, through client; it logs each
// topic it creates to log.
func NewTopicCreator(client Client, tc *TopicCreation, log *slog.Logger) *TopicCreator {
	return &TopicCreator{client: client, tc: tc, log: log, known: map[string]bool{}}
}

// Ensure makes sure every topic exists, creating the missing ones as their group says.
func (c *TopicCreator) Ensure(topics []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []string
	for _, t := range topics {
		if !c.known[t] && !slices.Contains(missing, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if c.admin == nil {
		ac := c.client.NewConfig()
		admin, err := sarama.NewClusterAdmin(c.client.Brokers, ac)
		if err != nil {
			return fmt.Errorf("kafka admin client: %w", security.ExplainKafkaError(err, c.client.Brokers, ac))
		}
		c.admin = admin
	}
	metas, err := c.admin.DescribeTopics(missing)
	if err != nil {
		return fmt.Errorf("describe topics %s: %w", strings.Join(missing, ", "), err)
	}
	exists := map[string]bool{}
	for _, m := range metas {
		if m.Err == sarama.ErrNoError {
			exists[m.Name] = true
		}
	}
	for _, topic := range missing {
		if exists[topic] {
			c.known[topic] = true
			continue
		}
		g := c.tc.groupFor(topic)
		if g == nil {
			c.known[topic] = true // no group takes it: leave it to the broker
			continue
		}
		d := &sarama.TopicDetail{NumPartitions: g.partitions, ReplicationFactor: g.replication, ConfigEntries: g.configs}
		if err := CreateTopicWith(c.admin, topic, d); err != nil {
			return fmt.Errorf("create topic %q (topic.creation group %s: %d partitions, replication factor %d): %w",
				topic, g.name, g.partitions, g.replication, err)
		}
		c.log.Info("created topic", "topic", topic, "group", g.name, "partitions", g.partitions, "replication_factor", g.replication)
		c.known[topic] = true
	}
	return nil
}

// Close closes the creator's admin client, if it made one.
func (c *TopicCreator) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		c.admin.Close()
		c.admin = nil
	}
}

// CreateTopicWith creates a topic; one that already exists is no error.
func CreateTopicWith(admin sarama.ClusterAdmin, name string, d *sarama.TopicDetail) error {
	err := admin.CreateTopic(name, d, false)
	if err == nil || errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return nil
	}
	return err
}
