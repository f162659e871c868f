package security

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// ErrKafkaAuthentication marks an error from DiagnoseKafka that is an authentication
// failure (SASL refused), as opposed to TLS or the network.
var ErrKafkaAuthentication = errors.New("kafka authentication failed")

// DiagnoseKafka finds out why a client configured with c cannot use the brokers, for an
// error sarama reports only as "client has run out of available brokers to talk to: EOF".
// It tries each broker step by step — TCP, then the TLS handshake when c enables TLS, then
// sarama's own connection with SASL — and returns the first step that fails on every
// broker, naming it: a SASL refusal wraps ErrKafkaAuthentication and says the mechanism and
// user (never the password); a TLS failure says so. It returns nil when a broker accepts
// the connection. It makes network calls bounded by c.Net.DialTimeout.
func DiagnoseKafka(brokers []string, c *sarama.Config) error {
	var errs []error
	for _, addr := range brokers {
		err := diagnoseBroker(addr, c)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrKafkaAuthentication) {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func diagnoseBroker(addr string, c *sarama.Config) error {
	d := &net.Dialer{Timeout: c.Net.DialTimeout}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("kafka broker %s: %w", addr, err)
	}
	if c.Net.TLS.Enable {
		cfg := &tls.Config{}
		if c.Net.TLS.Config != nil {
			cfg = c.Net.TLS.Config.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(conn, cfg)
		_ = tc.SetDeadline(timeoutFrom(c))
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return fmt.Errorf("kafka broker %s: TLS handshake failed (check ssl.truststore.* and ssl.endpoint.identification.algorithm): %w", addr, err)
		}
	}
	conn.Close()

	b := sarama.NewBroker(addr)
	if err := b.Open(c); err != nil {
		return fmt.Errorf("kafka broker %s: %w", addr, err)
	}
	defer b.Close()
	ok, err := b.Connected()
	if err == nil && ok {
		// The connection is up; ask for metadata so a listener that wanted SASL and got
		// none fails here too.
		if _, err = b.GetMetadata(&sarama.MetadataRequest{Version: 1}); err == nil {
			return nil
		}
	}
	if err == nil {
		err = errors.New("not connected")
	}
	if c.Net.SASL.Enable {
		return fmt.Errorf("%w: SASL %s as user %q to broker %s was refused (check the username and password in sasl.jaas.config): %v",
			ErrKafkaAuthentication, c.Net.SASL.Mechanism, c.Net.SASL.User, addr, redact(err, c.Net.SASL.Password))
	}
	return fmt.Errorf("kafka broker %s: %w (a plaintext client on a TLS listener, or no SASL where the listener wants it? check security.protocol)", addr, err)
}

func timeoutFrom(c *sarama.Config) time.Time {
	d := c.Net.DialTimeout
	if d <= 0 {
		d = 30 * time.Second
	}
	return time.Now().Add(d)
}

func redact(err error, secret string) string {
	s := err.Error()
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[hidden]")
	}
	return s
}

// ExplainKafkaError adds DiagnoseKafka's finding to err when err is sarama's "run out of
// available brokers" (or "not connected"), which says nothing of why; any other err, or
// one the diagnosis cannot explain, comes back unchanged. The result still matches err
// with errors.Is, and matches ErrKafkaAuthentication when SASL was refused, so a task
// failed with it names authentication:
//
//	if s.producer, err = sarama.NewAsyncProducer(brokers, pc); err != nil {
//		return fmt.Errorf("kafka producer: %w", security.ExplainKafkaError(err, brokers, pc))
//	}
func ExplainKafkaError(err error, brokers []string, c *sarama.Config) error {
	if err == nil || !(errors.Is(err, sarama.ErrOutOfBrokers) || errors.Is(err, sarama.ErrNotConnected)) {
		return err
	}
	d := DiagnoseKafka(brokers, c)
	if d == nil {
		return err
	}
	return &explained{err: err, why: d}
}

type explained struct{ err, why error }

func (e *explained) Error() string   { return e.why.Error() + " (" + e.err.Error() + ")" }
func (e *explained) Unwrap() []error { return []error{e.err, e.why} }
