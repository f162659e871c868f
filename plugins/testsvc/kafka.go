package testsvc

import (
	"crypto/tls"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// KafkaUser is a SASL user a [StartKafka] broker accepts.
type KafkaUser struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism, User, Password string
}

// KafkaOptions says how to secure a [StartKafka] broker.
type KafkaOptions struct {
	// TLS, when set, is the listener's server config: every connection is TLS.
	TLS *tls.Config
	// Users, when set, turn SASL on: only these users may connect.
	Users []KafkaUser
	// Port is the listener's port; 0 picks a free one.
	Port int
}

// StartKafka starts an in-process kfake broker with a secured listener (TLS, SASL or
// both) and returns its addresses; it is closed when the test ends.
func StartKafka(t testing.TB, o KafkaOptions) []string {
	t.Helper()
	if o.Port == 0 {
		o.Port = FreePort(t)
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.Ports(o.Port)}
	if o.TLS != nil {
		opts = append(opts, kfake.TLS(o.TLS))
	}
	if len(o.Users) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range o.Users {
			opts = append(opts, kfake.Superuser(u.Mechanism, u.User, u.Password))
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("start secured kfake broker: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}
