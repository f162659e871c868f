package runtime

import (
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-dev/tributary/kernel/kafka"
	"github.com/tributary-dev/tributary/kernel/tolerance"
)

func TestProducerRetriesCoverTheRetryTimeout(t *testing.T) {
	// How a source task fits its producer to its error policy (source.go).
	fit := func(p tolerance.Policy) *sarama.Config {
		return kafka.FitRetries(kafka.DefaultConfig(), p.RetryTimeout, p.Backoff)
	}
	sum := kafka.RetrySpan
	if got := sum(kafka.DefaultConfig()); got < 2*time.Minute {
		t.Errorf("default producer retries last %v; want about two minutes, as delivery.timeout.ms", got)
	}
	for _, pol := range []tolerance.Policy{{}, {RetryTimeout: 20 * time.Second, MaxDelay: time.Minute}} {
		if c := fit(pol); c.Producer.Retry.Max != 125 {
			t.Errorf("errors.retry.timeout=%v changed the default Retry.Max to %d", pol.RetryTimeout, c.Producer.Retry.Max)
		}
	}
	c := fit(tolerance.Policy{RetryTimeout: 20 * time.Minute, MaxDelay: 20 * time.Second})
	if got := sum(c); got < 20*time.Minute || got > 21*time.Minute {
		t.Errorf("errors.retry.timeout=20m: the producer retries for %v", got)
	}
	if d := c.Producer.Retry.BackoffFunc(1, 0); d != 300*time.Millisecond {
		t.Errorf("first backoff %v; want %v", d, 300*time.Millisecond)
	}
	if d := c.Producer.Retry.BackoffFunc(40, 0); d != 20*time.Second {
		t.Errorf("backoff %v; want errors.retry.delay.max.ms", d)
	}
	if c := fit(tolerance.Policy{RetryTimeout: -1, MaxDelay: time.Minute}); sum(c) < 24*time.Hour {
		t.Errorf("errors.retry.timeout=-1: the producer retries for %v only", sum(c))
	}
	c = fit(tolerance.Policy{RetryTimeout: time.Hour, MaxDelay: time.Millisecond})
	if got := sum(c); c.Producer.Retry.Max > 2048 || got < time.Hour {
		t.Errorf("errors.retry.timeout=1h with 1ms waits: %d attempts over %v", c.Producer.Retry.Max, got)
	}
}
