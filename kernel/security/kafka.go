package security

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// Client is a kind of Kafka client; its name is the prefix of its worker keys
// (producer.security.protocol) and of a connector's overrides (producer.override.*).
type Client string

// The Kafka clients a worker makes.
const (
	Producer Client = "producer"
	Consumer Client = "consumer"
	Admin    Client = "admin"
)

// Clients lists every Client.
var Clients = []Client{Producer, Consumer, Admin}

// The Kafka client keys Apply understands, with Kafka's names.
const (
	KeySecurityProtocol    = "security.protocol"
	KeySASLMechanism       = "sasl.mechanism"
	KeySASLJAASConfig      = "sasl.jaas.config"
	KeyTruststoreLocation  = "ssl.truststore.location"
	KeyTruststoreType      = "ssl.truststore.type"
	KeyTruststoreCerts     = "ssl.truststore.certificates"
	KeyTruststorePassword  = "ssl.truststore.password"
	KeyKeystoreLocation    = "ssl.keystore.location"
	KeyKeystoreType        = "ssl.keystore.type"
	KeyKeystoreChain       = "ssl.keystore.certificate.chain"
	KeyKeystoreKey         = "ssl.keystore.key"
	KeyKeystorePassword    = "ssl.keystore.password"
	KeyKeyPassword         = "ssl.key.password"
	KeyEndpointIdentAlgo   = "ssl.endpoint.identification.algorithm"
	KeyEnabledProtocols    = "ssl.enabled.protocols"
	KeySSLProtocol         = "ssl.protocol"
	KeyClientID            = "client.id"
	KeyCompressionType     = "compression.type"
	KeyLingerMS            = "linger.ms"
	KeyBatchSize           = "batch.size"
	KeyMaxRequestSize      = "max.request.size"
	KeyRequestTimeoutMS    = "request.timeout.ms"
	KeyFetchMaxBytes       = "max.partition.fetch.bytes"
	KeyFetchMaxWaitMS      = "fetch.max.wait.ms"
	KeyMetadataMaxAgeMS    = "metadata.max.age.ms"
	KeySASLClientCallback  = "sasl.client.callback.handler.class"
	KeySASLLoginCallback   = "sasl.login.callback.handler.class"
	KeySASLKerberosService = "sasl.kerberos.service.name"
)

// securityKeys are the keys that decide how a client authenticates and encrypts.
var securityKeys = []string{
	KeySecurityProtocol, KeySASLMechanism, KeySASLJAASConfig,
	KeyTruststoreLocation, KeyTruststoreType, KeyTruststoreCerts, KeyTruststorePassword,
	KeyKeystoreLocation, KeyKeystoreType, KeyKeystoreChain, KeyKeystoreKey, KeyKeystorePassword, KeyKeyPassword,
	KeyEndpointIdentAlgo, KeyEnabledProtocols, KeySSLProtocol,
}

// tuningKeys are the other client keys Apply maps onto sarama.
var tuningKeys = []string{
	KeyClientID, KeyCompressionType, KeyLingerMS, KeyBatchSize, KeyMaxRequestSize, KeyRequestTimeoutMS,
	KeyFetchMaxBytes, KeyFetchMaxWaitMS, KeyMetadataMaxAgeMS,
}

// KnownKey reports whether Apply understands the (unprefixed) Kafka client key.
func KnownKey(key string) bool {
	return slices.Contains(securityKeys, key) || slices.Contains(tuningKeys, key)
}

// SecretKey reports whether the value of a Kafka client key is a secret, to be masked
// wherever configs are shown or logged.
func SecretKey(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "sasl.jaas.config") || strings.HasSuffix(k, "ssl.keystore.key")
}

// CheckWorkerProperties checks the worker's Kafka client keys (kafka.properties in the
// node's config): each must be a key Apply understands, bare or with a producer.,
// consumer. or admin. prefix. The error names every key it refuses.
func CheckWorkerProperties(props map[string]string) error {
	var errs []error
	for _, k := range sortedKeys(props) {
		bare := k
		for _, c := range Clients {
			if after, ok := strings.CutPrefix(k, string(c)+"."); ok {
				bare = after
				break
			}
		}
		if !KnownKey(bare) {
			errs = append(errs, fmt.Errorf("kafka.properties: %s is not a Kafka client key Tributary applies (known: %s, each also with a producer., consumer. or admin. prefix)",
				k, strings.Join(append(slices.Clone(securityKeys), tuningKeys...), ", ")))
		}
	}
	return errors.Join(errs...)
}

// ClientProperties returns the keys one client of a connector uses: the worker's bare
// keys, then the worker's keys with the client's prefix (producer.security.protocol), then
// the connector's overrides (producer.override.security.protocol), each later one winning,
// with the prefixes cut. connectorConfig may be nil for the worker's own clients.
func ClientProperties(worker map[string]string, client Client, connectorConfig map[string]string) map[string]string {
	out := map[string]string{}
	prefix := string(client) + "."
	for k, v := range worker {
		if !hasClientPrefix(k) {
			out[k] = v
		}
	}
	for k, v := range worker {
		if after, ok := strings.CutPrefix(k, prefix); ok {
			out[after] = v
		}
	}
	maps := Overrides(connectorConfig, client)
	for k, v := range maps {
		out[k] = v
	}
	return out
}

// SharedProperties merges the keys of every client for a runtime that builds all its
// clients from one sarama config: a key that the producer, consumer and admin clients set
// to different values is an error naming it.
func SharedProperties(worker map[string]string) (map[string]string, error) {
	out := map[string]string{}
	from := map[string]Client{}
	var errs []error
	for _, c := range Clients {
		for k, v := range ClientProperties(worker, c, nil) {
			if prev, ok := out[k]; ok && prev != v {
				errs = append(errs, fmt.Errorf("kafka.properties: %s.%s differs from what the %s client gets: this runtime builds every Kafka client from one config, so set %s once without a prefix",
					c, k, from[k], k))
				continue
			}
			if _, ok := out[k]; !ok {
				out[k], from[k] = v, c
			}
		}
	}
	return out, errors.Join(errs...)
}

func hasClientPrefix(k string) bool {
	for _, c := range Clients {
		if strings.HasPrefix(k, string(c)+".") {
			return true
		}
	}
	return false
}

// Apply sets c's network security (TLS, SASL) and the tuning keys present in props, a
// resolved map of bare Kafka client keys (see ClientProperties). Every security field is
// set from props, so applying a client's full keys over a config that already carried the
// worker's gives exactly the client's security. An unknown key is an error naming it.
func Apply(c *sarama.Config, props map[string]string) error {
	for _, k := range sortedKeys(props) {
		if !KnownKey(k) {
			return fmt.Errorf("%s is not a Kafka client key Tributary applies", k)
		}
	}
	s, err := ParseKafkaSecurity(props)
	if err != nil {
		return err
	}
	s.apply(c)
	return applyTuning(c, props)
}

// KafkaSecurity is how one Kafka client authenticates and encrypts.
type KafkaSecurity struct {
	// Protocol is PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
	Protocol string
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 when Protocol is SASL_*.
	Mechanism          string
	Username, Password string
	// TLS is set when Protocol is SSL or SASL_SSL.
	TLS *tls.Config
}

// ParseKafkaSecurity reads the security keys of one client from props (resolved, bare).
func ParseKafkaSecurity(props map[string]string) (*KafkaSecurity, error) {
	s := &KafkaSecurity{Protocol: strings.ToUpper(strings.TrimSpace(props[KeySecurityProtocol]))}
	if s.Protocol == "" {
		s.Protocol = "PLAINTEXT"
	}
	var useTLS, useSASL bool
	switch s.Protocol {
	case "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return nil, fmt.Errorf("%s=%s: use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", KeySecurityProtocol, props[KeySecurityProtocol])
	}
	if useSASL {
		if err := s.parseSASL(props); err != nil {
			return nil, err
		}
	}
	if useTLS {
		var err error
		if s.TLS, err = KafkaTLSConfig(props); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *KafkaSecurity) parseSASL(props map[string]string) error {
	for _, k := range []string{KeySASLClientCallback, KeySASLLoginCallback, KeySASLKerberosService} {
		if props[k] != "" {
			return fmt.Errorf("%s is not supported: Tributary authenticates with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 from sasl.jaas.config", k)
		}
	}
	raw := strings.TrimSpace(props[KeySASLJAASConfig])
	if raw == "" {
		return fmt.Errorf("%s=%s needs %s (e.g. %s required username=\"…\" password=\"…\";)",
			KeySecurityProtocol, s.Protocol, KeySASLJAASConfig, PlainLoginModule)
	}
	j, err := ParseJAAS(raw)
	if err != nil {
		return err
	}
	s.Mechanism = strings.ToUpper(strings.TrimSpace(props[KeySASLMechanism]))
	switch s.Mechanism {
	case "":
		if j.Module != PlainLoginModule {
			return fmt.Errorf("%s is not set: Kafka's default, GSSAPI, is not supported; set PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", KeySASLMechanism)
		}
		s.Mechanism = sarama.SASLTypePlaintext
	case sarama.SASLTypePlaintext:
		if j.Module != PlainLoginModule {
			return fmt.Errorf("%s=PLAIN needs %s in %s, not %s", KeySASLMechanism, PlainLoginModule, KeySASLJAASConfig, j.Module)
		}
	case sarama.SASLTypeSCRAMSHA256, sarama.SASLTypeSCRAMSHA512:
		if j.Module != ScramLoginModule {
			return fmt.Errorf("%s=%s needs %s in %s, not %s", KeySASLMechanism, s.Mechanism, ScramLoginModule, KeySASLJAASConfig, j.Module)
		}
	case "GSSAPI", "OAUTHBEARER":
		return fmt.Errorf("%s=%s is not supported yet: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", KeySASLMechanism, s.Mechanism)
	default:
		return fmt.Errorf("%s=%s: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", KeySASLMechanism, s.Mechanism)
	}
	var ok bool
	if s.Username, ok = j.Options["username"]; !ok || s.Username == "" {
		return fmt.Errorf("%s: %s has no username=\"…\" option", KeySASLJAASConfig, j.Module)
	}
	if s.Password, ok = j.Options["password"]; !ok {
		return fmt.Errorf("%s: %s has no password=\"…\" option", KeySASLJAASConfig, j.Module)
	}
	return nil
}

// apply sets every network security field of c from s.
func (s *KafkaSecurity) apply(c *sarama.Config) {
	c.Net.TLS.Enable = s.TLS != nil
	c.Net.TLS.Config = s.TLS
	c.Net.SASL.Enable = s.Mechanism != ""
	c.Net.SASL.Mechanism = sarama.SASLMechanism(s.Mechanism)
	c.Net.SASL.User, c.Net.SASL.Password = s.Username, s.Password
	c.Net.SASL.Handshake = true
	c.Net.SASL.SCRAMClientGeneratorFunc = nil
	switch s.Mechanism {
	case sarama.SASLTypeSCRAMSHA256:
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
	case sarama.SASLTypeSCRAMSHA512:
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
	}
}

// scramClient is sarama's SCRAMClient over github.com/xdg-go/scram.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (x *scramClient) Begin(user, password, authzID string) error {
	cl, err := x.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	x.conv = cl.NewConversation()
	return nil
}

func (x *scramClient) Step(challenge string) (string, error) { return x.conv.Step(challenge) }
func (x *scramClient) Done() bool                            { return x.conv.Done() }

func applyTuning(c *sarama.Config, props map[string]string) error {
	ms := func(k string) (time.Duration, bool, error) {
		v, ok := props[k]
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0, false, fmt.Errorf("%s=%s: use a whole number of milliseconds", k, v)
		}
		return time.Duration(n) * time.Millisecond, true, nil
	}
	num := func(k string) (int, bool, error) {
		v, ok := props[k]
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return 0, false, fmt.Errorf("%s=%s: use a whole number of bytes", k, v)
		}
		return n, true, nil
	}
	var errs []error
	if v, ok := props[KeyClientID]; ok {
		c.ClientID = v
	}
	if v, ok := props[KeyCompressionType]; ok {
		switch strings.ToLower(v) {
		case "none":
			c.Producer.Compression = sarama.CompressionNone
		case "gzip":
			c.Producer.Compression = sarama.CompressionGZIP
		case "snappy":
			c.Producer.Compression = sarama.CompressionSnappy
		case "lz4":
			c.Producer.Compression = sarama.CompressionLZ4
		case "zstd":
			c.Producer.Compression = sarama.CompressionZSTD
		default:
			errs = append(errs, fmt.Errorf("%s=%s: use none, gzip, snappy, lz4 or zstd", KeyCompressionType, v))
		}
	}
	if d, ok, err := ms(KeyLingerMS); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Producer.Flush.Frequency = d
	}
	if n, ok, err := num(KeyBatchSize); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Producer.Flush.Bytes = n
	}
	if n, ok, err := num(KeyMaxRequestSize); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Producer.MaxMessageBytes = n
	}
	if d, ok, err := ms(KeyRequestTimeoutMS); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Net.ReadTimeout, c.Producer.Timeout = d, d
	}
	if n, ok, err := num(KeyFetchMaxBytes); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Consumer.Fetch.Default = int32(min(n, 1<<30))
	}
	if d, ok, err := ms(KeyFetchMaxWaitMS); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Consumer.MaxWaitTime = d
	}
	if d, ok, err := ms(KeyMetadataMaxAgeMS); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Metadata.RefreshFrequency = d
	}
	return errors.Join(errs...)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
