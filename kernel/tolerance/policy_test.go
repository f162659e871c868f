package tolerance

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestParseDefaultsAndRefusals(t *testing.T) {
	p, err := Parse(map[string]string{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.TolerateAll || p.RetryTimeout != 0 || p.MaxDelay != time.Minute || p.DLQReplication != 3 || p.DLQTopic != "" {
		t.Errorf("defaults = %+v; want upstream's (none, no retries, 60s delay cap, replication 3)", p)
	}
	p, err = Parse(map[string]string{"errors.tolerance": "ALL", "errors.retry.timeout": "-1",
		"errors.deadletterqueue.topic.name": " dlq ", "errors.deadletterqueue.context.headers.enable": "true"}, true)
	if err != nil || !p.TolerateAll || p.RetryTimeout >= 0 || p.DLQTopic != "dlq" || !p.DLQHeaders {
		t.Errorf("all/-1/dlq: %+v, %v", p, err)
	}
	if p, err := Parse(map[string]string{"errors.deadletterqueue.topic.name": "dlq"}, false); err != nil || p.DLQTopic != "" {
		t.Errorf("a source's dead letter queue keys: %+v, %v; want ignored, as upstream", p, err)
	}
	for key, bad := range map[string]string{
		"errors.tolerance":     "some",
		"errors.retry.timeout": "-2",
		"errors.log.enable":    "yes please",
		"errors.deadletterqueue.topic.replication.factor": "0",
		"errors.retry.delay.max.ms":                       "-5",
	} {
		_, err := Parse(map[string]string{key: bad}, true)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: err %v; want a refusal naming the key", key, bad, err)
		}
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	p := Policy{MaxDelay: time.Second}
	var got []time.Duration
	for a := 1; a <= 4; a++ {
		got = append(got, p.Backoff(a))
	}
	want := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoffs %v; want %v", got, want)
		}
	}
	if d := (Policy{}).Backoff(3); d != time.Millisecond {
		t.Errorf("a zero delay cap waits %v; want the 1ms floor", d)
	}
}

func TestRetryGivesUpOnlyOnRetriableFailuresPastTheTimeout(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	blip := errors.New("blip")
	p := Policy{RetryTimeout: 20 * time.Millisecond, MaxDelay: time.Millisecond}
	attempts := 0
	err := p.Retry(context.Background(), log, "op", func(error) bool { return true }, func() error { attempts++; return blip })
	var ex *RetriesExhausted
	if !errors.As(err, &ex) || !errors.Is(err, blip) || ex.Attempts != attempts || attempts < 2 {
		t.Fatalf("err %v after %d attempts; want RetriesExhausted wrapping the last error, counting every attempt", err, attempts)
	}
	attempts = 0
	err = p.Retry(context.Background(), log, "op", func(error) bool { return false }, func() error { attempts++; return blip })
	if err != blip || attempts != 1 {
		t.Errorf("a failure retriable refuses: err %v after %d attempts; want it returned at once", err, attempts)
	}
	attempts = 0
	err = Policy{}.Retry(context.Background(), log, "op", func(error) bool { return true }, func() error {
		attempts++
		if attempts < 3 {
			return blip
		}
		return nil
	})
	if err != blip || attempts != 1 {
		t.Errorf("errors.retry.timeout=0: err %v after %d attempts; want no retry", err, attempts)
	}
}

func TestHandlerFailsSkipsAndCounts(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &Failure{Stage: StageValueConverter, Class: "org.apache.kafka.connect.json.JsonConverter", Err: errors.New("bad json"),
		Msg: &sarama.ConsumerMessage{Topic: "in", Partition: 2, Offset: 7}}
	var counts Counts
	err := NewHandler(Policy{}, &counts, log).Handle(context.Background(), f)
	var te *ToleranceError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "VALUE_CONVERTER") || !strings.Contains(err.Error(), `topic "in" partition 2 offset 7`) {
		t.Errorf("errors.tolerance=none: %v; want a ToleranceError naming the stage and the record", err)
	}
	if err := NewHandler(Policy{TolerateAll: true}, &counts, log).Handle(context.Background(), f); err != nil {
		t.Errorf("errors.tolerance=all: %v", err)
	}
	if counts.Failures.Load() != 2 || counts.Skipped.Load() != 1 || counts.DeadLettered.Load() != 0 {
		t.Errorf("counts failures=%d skipped=%d dead-lettered=%d; want 2, 1, 0",
			counts.Failures.Load(), counts.Skipped.Load(), counts.DeadLettered.Load())
	}
	if got := f.ExceptionClass(); got != dataExceptionClass {
		t.Errorf("a converter's failure is %s; want %s", got, dataExceptionClass)
	}
	put := &Failure{Stage: StageTaskPut, Err: &RetriesExhausted{Err: errors.New("down")}}
	if got := put.ExceptionClass(); got != retriableExceptionClass {
		t.Errorf("a put that ran out of retries is %s; want %s", got, retriableExceptionClass)
	}
}
