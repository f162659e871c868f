package security

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/IBM/sarama"
)

// OverridePolicy is connector.client.config.override.policy: which producer.override.*,
// consumer.override.* and admin.override.* keys a connector may set.
type OverridePolicy string

// The policies, as Kafka 3.x names them; All is the default.
const (
	PolicyNone      OverridePolicy = "None"
	PolicyPrincipal OverridePolicy = "Principal"
	PolicyAll       OverridePolicy = "All"
)

// principalKeys are what the Principal policy lets a connector override, as Kafka's
// PrincipalConnectorClientConfigOverridePolicy.
var principalKeys = []string{KeySASLJAASConfig, KeySASLMechanism, KeySecurityProtocol}

// ParseOverridePolicy reads connector.client.config.override.policy: None, Principal or
// All (any case), or Kafka's class names for them; empty is All.
func ParseOverridePolicy(s string) (OverridePolicy, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimPrefix(v, "org.apache.kafka.connect.connector.policy.")
	v = strings.TrimSuffix(v, "ConnectorClientConfigOverridePolicy")
	switch strings.ToLower(v) {
	case "", "all":
		return PolicyAll, nil
	case "none":
		return PolicyNone, nil
	case "principal":
		return PolicyPrincipal, nil
	}
	return "", fmt.Errorf("connector.client.config.override.policy=%s: use None, Principal or All", s)
}

// overridePrefix is the prefix of a client's overrides in a connector config.
func overridePrefix(c Client) string { return string(c) + ".override." }

// Overrides returns the connector's overrides for one client, with the prefix cut:
// producer.override.linger.ms=5 is linger.ms=5 for Producer.
func Overrides(connectorConfig map[string]string, c Client) map[string]string {
	out := map[string]string{}
	p := overridePrefix(c)
	for k, v := range connectorConfig {
		if after, ok := strings.CutPrefix(k, p); ok && after != "" {
			out[after] = v
		}
	}
	return out
}

// CheckOverrides checks a connector's client overrides against the worker's policy (as
// ParseOverridePolicy reads it) and against what Tributary can apply. The error names
// every refused key, e.g. "producer.override.sasl.jaas.config: the worker's
// connector.client.config.override.policy None allows no client overrides".
func CheckOverrides(policy string, connectorConfig map[string]string) error {
	pol, err := ParseOverridePolicy(policy)
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range sortedKeys(connectorConfig) {
		for _, c := range Clients {
			key, ok := strings.CutPrefix(k, overridePrefix(c))
			if !ok {
				continue
			}
			switch {
			case pol == PolicyNone:
				errs = append(errs, fmt.Errorf("%s: the worker's connector.client.config.override.policy None allows no client overrides", k))
			case pol == PolicyPrincipal && !slices.Contains(principalKeys, key):
				errs = append(errs, fmt.Errorf("%s: the worker's connector.client.config.override.policy Principal allows only %s", k,
					strings.Join(principalKeys, ", ")))
			case !KnownKey(key):
				errs = append(errs, fmt.Errorf("%s: %s is not a Kafka client key Tributary applies", k, key))
			}
		}
	}
	return errors.Join(errs...)
}

// ApplyOverrides fits base, a client config already carrying the worker's settings, to one
// client of a connector: the worker's keys for that client (ClientProperties) with the
// connector's overrides on top. worker and connectorConfig must be resolved (no ${…}
// placeholders left). A connector with no overrides for the client leaves base unchanged
// but for the worker's prefixed keys.
func ApplyOverrides(base *sarama.Config, client Client, worker, connectorConfig map[string]string) error {
	props := ClientProperties(worker, client, connectorConfig)
	if err := Apply(base, props); err != nil {
		return fmt.Errorf("%s client: %w", client, err)
	}
	return nil
}
