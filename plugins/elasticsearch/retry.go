package main

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxRetryWait caps one backoff, as Confluent's RetryUtil.MAX_RETRY_TIME_MS (24 hours).
const maxRetryWait = 24 * time.Hour

// retryWait is the wait before retry number attempt (from 1), as Confluent's
// RetryUtil.computeRandomRetryWaitTimeInMillis: a random time in [0, initial << attempt),
// capped at a day. rnd returns a number in [0, n); nil means math/rand/v2.
func retryWait(attempt int, initial time.Duration, rnd func(n int64) int64) time.Duration {
	if initial <= 0 {
		return 0
	}
	limit := maxRetryWait
	if attempt <= 0 {
		limit = initial
	} else if attempt <= 32 {
		if w := initial << attempt; w > 0 && w < maxRetryWait {
			limit = w
		}
	}
	if rnd == nil {
		rnd = rand.Int64N
	}
	return time.Duration(rnd(int64(limit)))
}

// sleep waits d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retriable marks an error the kernel should retry (the gRPC code Unavailable, which the
// kernel's runtime retries with backoff, and never dead-letters a record for): an
// Elasticsearch outage that outlasted max.retries or flush.timeout.ms.
func retriable(format string, args ...any) error {
	return status.Errorf(codes.Unavailable, "elasticsearch: "+format, args...)
}

// isRetriable says whether err is one [retriable] made.
func isRetriable(err error) bool { return status.Code(err) == codes.Unavailable }
