package main

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

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
// kernel's runtime retries with backoff and never dead-letters a record for): a Redis
// outage that outlasted the command timeout. Nothing of the batch is reported written.
func retriable(format string, args ...any) error {
	return status.Errorf(codes.Unavailable, "redis: "+format, args...)
}

// isRetriable says whether err is one [retriable] made.
func isRetriable(err error) bool { return status.Code(err) == codes.Unavailable }
